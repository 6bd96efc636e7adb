"""HTTP-level limits: request body size and a deadline per request; a pool whose acquire is bounded."""

import asyncio
import json
from typing import Any

import asyncpg
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import count_graphql_errors


def _error(status: int, message: str, code: str, headers: list[tuple[bytes, bytes]] | None = None) -> list[Message]:
    count_graphql_errors([code])
    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    return [
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            + (headers or []),
        },
        {"type": "http.response.body", "body": body},
    ]


class BodyTooLarge(Exception):
    pass


class RequestLimits:
    """413 for a body over `max_body_bytes` (declared or streamed); 504 when the answer is not ready
    within `timeout` seconds. WebSockets are not limited here (they live long on purpose)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        too_large = f"The request body is larger than {self.max_body_bytes} bytes."
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body_bytes):
            await self._send(send, 413, too_large, "TOO_LARGE")
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            async with asyncio.timeout(self.timeout):
                await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._send(
                    send, 413, f"The request body is larger than {self.max_body_bytes} bytes.", "TOO_LARGE"
                )
        except TimeoutError:
            if not started:
                await self._send(send, 504, "The request took too long and was stopped.", "TIMEOUT")

    @staticmethod
    async def _send(send: Send, status: int, message: str, code: str) -> None:
        for part in _error(status, message, code):
            await send(part)


class BoundedPool:
    """An asyncpg pool whose `acquire()` gives up after `timeout` seconds instead of waiting forever."""

    def __init__(self, pool: asyncpg.Pool, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return self._pool.acquire(timeout=timeout or self._timeout)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)
