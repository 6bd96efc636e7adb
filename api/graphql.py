"""The strawberry ASGI view, behind authentication: builds the request context (pool, Redis, principal)."""

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import ANONYMOUS, Principal, authenticate
from schema.context import Context
from schema.loaders import Loaders


class PartnerPulseGraphQL(GraphQL):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            principal = await authenticate(request.app.state.pool, request.headers.get("authorization"))
            if principal is None:
                await invalid_token_response()(scope, receive, send)
                return
            scope["state"]["principal"] = principal
            if principal.token_id is not None:
                request.app.state.token_usage.seen(principal.token_id)
        await super().__call__(scope, receive, send)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        principal: Principal = request.scope["state"].get("principal", ANONYMOUS)
        return Context(
            request=request,
            response=response,
            pool=state.pool,
            redis=state.redis,
            settings=state.settings,
            principal=principal,
            loaders=Loaders.create(state.pool, principal),
        )


def invalid_token_response() -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": "Invalid or revoked token.", "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )
