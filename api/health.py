"""/healthz (the process is alive) and /readyz (PostgreSQL and Redis answer, migrations applied)."""

import asyncio

from starlette.requests import Request
from starlette.responses import JSONResponse

from db.migrate import pending_migrations

READINESS_TIMEOUT = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            async with request.app.state.pool.acquire() as connection:
                pending = await pending_migrations(connection)
        checks["postgres"] = "ok" if not pending else f"pending migrations: {', '.join(pending)}"
    except Exception as error:  # any failure means "not ready"; the reason goes to the caller
        checks["postgres"] = f"unavailable: {type(error).__name__}"
    try:
        async with asyncio.timeout(READINESS_TIMEOUT):
            await request.app.state.redis.ping()
        checks["redis"] = "ok"
    except Exception as error:
        checks["redis"] = f"unavailable: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
