"""The dashboard at / (static files in api/dashboard/), under a content security policy that allows only
its own script and style and connections back to this API."""

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

FILES = Path(__file__).with_name("dashboard")
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HEADERS = {"content-security-policy": POLICY, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
RAW_HEADERS = [(name.encode(), value.encode()) for name, value in HEADERS.items()]


async def index(request: Request) -> FileResponse:
    return FileResponse(FILES / "index.html", headers={**HEADERS, "cache-control": "no-cache"})


class DashboardFiles(StaticFiles):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *RAW_HEADERS]
            await send(message)

        await super().__call__(scope, receive, send_with_policy)


def dashboard_routes() -> list[Route | Mount]:
    return [Route("/", index), Mount("/dashboard", DashboardFiles(directory=FILES), name="dashboard")]
