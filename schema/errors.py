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


def is_unavailable(error: BaseException | None) -> bool:
    """The database connection broke or cannot be made (a restart, a failover)."""
    import asyncpg

    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.InterfaceError
        | asyncpg.InternalClientError
        | asyncpg.CannotConnectNowError
        | asyncpg.AdminShutdownError
        | ConnectionError
        | OSError,
    )


class MaskInternalErrors(MaskErrors):
    """Clients see no tracebacks, SQL or internal messages: "Unexpected error." (INTERNAL_SERVER_ERROR), or
    for timeouts SERVICE_BUSY and for a database that is away SERVICE_UNAVAILABLE: both worth a retry."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=should_mask)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        if is_timeout(error.original_error):
            message, code = "The service is busy; try again.", "SERVICE_BUSY"
        elif is_unavailable(error.original_error):
            message, code = "The database is unavailable; try again shortly.", "SERVICE_UNAVAILABLE"
        else:
            message, code = self.error_message, "INTERNAL_SERVER_ERROR"
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": code},
        )
