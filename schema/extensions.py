"""Schema extensions: put the operation name where the request log and metrics find it; choose the
operation as the GraphQL spec says."""

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension

from schema.errors import ClientError


class OperationName(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        context = self.execution_context.context
        request = getattr(context, "request", None)
        name = self.execution_context.operation_name
        if request is not None and name and request.scope.get("type") == "http":
            request.scope["state"]["operation_name"] = name[:100]


class RequireOperationName(SchemaExtension):
    """The GraphQL spec's GetOperation: a document with several operations needs `operationName`.
    Strawberry would run the first one instead; this answers with the request error the spec asks for."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if (
            context.result is None
            and document is not None
            # strawberry keeps the client's operationName only here (its `operation_name` falls back to the
            # first operation's); tests/test_http_behaviour.py notices if that changes
            and context._provided_operation_name is None
            and sum(isinstance(d, OperationDefinitionNode) for d in document.definitions) > 1
        ):
            context.result = GraphQLExecutionResult(
                data=None,
                errors=[
                    ClientError(
                        "The document has several operations: send `operationName` to choose one.",
                        "BAD_REQUEST",
                    )
                ],
            )
        yield
