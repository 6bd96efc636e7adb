"""Schema extensions: put the operation name where the request log and metrics find it; choose the
operation as the GraphQL spec says; subscriptions only where they can be delivered."""

from collections.abc import Iterator

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import OperationDefinitionNode
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.errors import ClientError


class OperationName(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        name = self.execution_context.operation_name
        if name:
            self.execution_context.context.state.name_operation(name)


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
            # first operation's); tests/api/test_http_behaviour.py notices if that changes
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


SUBSCRIPTION_OVER_HTTP = (
    "Subscriptions are delivered over a WebSocket: connect to /graphql with the graphql-transport-ws "
    "protocol and send the subscription there. HTTP (GET or POST) carries queries and mutations only."
)


class SubscriptionsOverWebSocket(SchemaExtension):
    """A subscription sent over HTTP is the client's mistake: a request error that names the WebSocket
    protocol, before any resolver runs (strawberry would start the resolver and fail inside it)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = getattr(context.context, "request", None)
        if (
            context.result is None
            and request is not None
            and request.scope.get("type") == "http"
            and context.graphql_document is not None
            and context.operation_type is OperationType.SUBSCRIPTION
        ):
            context.result = GraphQLExecutionResult(
                data=None, errors=[ClientError(SUBSCRIPTION_OVER_HTTP, "BAD_REQUEST")]
            )
        yield
