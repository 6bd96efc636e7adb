"""Request id, request log and request metrics, as plain ASGI middleware (works for HTTP and WebSocket)."""

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import observe_request
from db.pool import request_statements
from partnerpulse.logs import request_id_var

log = logging.getLogger("partnerpulse.request")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        statements: list[str] = []
        statements_token = request_statements.set(statements)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                seconds = time.perf_counter() - started
                operation = scope["state"].get("operation_name")
                observe_request(scope["path"], operation, status, seconds)
                log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                        "operation": operation,
                        "sql_statements": len(statements),
                    },
                )
            if statements and log.isEnabledFor(logging.DEBUG):
                log.debug("request statements", extra={"statements": statements})
            request_statements.reset(statements_token)
            request_id_var.reset(token)
