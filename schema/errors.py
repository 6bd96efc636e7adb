"""Errors clients may see. Anything else is masked as "Unexpected error." and logged with the request id."""

from graphql import GraphQLError


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
