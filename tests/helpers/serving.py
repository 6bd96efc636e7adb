"""One request against an app whose lifespan runs for just that request."""

import httpx
from starlette.applications import Starlette


async def serve_once(app: Starlette, path: str) -> httpx.Response:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path)
