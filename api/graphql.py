"""The strawberry ASGI view: builds the request context (pool, Redis, principal)."""

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import authenticate
from schema.context import Context
from schema.loaders import Loaders


class PartnerPulseGraphQL(GraphQL):
    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        principal = await authenticate(state.pool, request.headers.get("authorization"))
        if principal is None:
            raise HTTPException(401, "Invalid or revoked token.")
        return Context(
            request=request,
            response=response,
            pool=state.pool,
            redis=state.redis,
            settings=state.settings,
            principal=principal,
            loaders=Loaders.create(state.pool, principal),
        )
