"""Schema extensions: put the operation name where the request log and metrics find it."""

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension


class OperationName(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        request = getattr(context, "request", None)
        name = self.execution_context.operation_name
        if request is not None and name and request.scope.get("type") == "http":
            request.scope["state"]["operation_name"] = name[:100]
