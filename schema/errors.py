"""Errors clients may see. Anything else is masked as "Unexpected error." and logged with the request id."""

from graphql import GraphQLError
from strawberry.extensions import MaskErrors


class ClientError(GraphQLError):
    """A GraphQL error meant for the client, with `extensions.code`."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, extensions={"code": code})


def unauthenticated() -> ClientError:
    return ClientError("Authentication required: send `Authorization: Bearer <token>`.", "UNAUTHENTICATED")


def bad_input(message: str) -> ClientError:
    return ClientError(message, "BAD_USER_INPUT")


def should_mask(error: GraphQLError) -> bool:
    original = error.original_error
    # no original error: the document did not parse or validate, and the message says why
    return original is not None and not isinstance(original, GraphQLError)


def is_timeout(error: BaseException | None) -> bool:
    """A statement timeout, a client-side query timeout or a pool that stayed busy."""
    import asyncio

    import asyncpg

    return isinstance(error, asyncio.TimeoutError | asyncpg.QueryCanceledError)


class MaskInternalErrors(MaskErrors):
    """Clients see no tracebacks, SQL or internal messages: only "Unexpected error." with a code, or for
    timeouts "The service is busy; try again." (SERVICE_BUSY)."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        busy = is_timeout(error.original_error)
        return GraphQLError(
            "The service is busy; try again." if busy else self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "SERVICE_BUSY" if busy else "INTERNAL_SERVER_ERROR"},
        )
