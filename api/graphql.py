"""The strawberry ASGI view, behind authentication: builds the request context (pool, Redis, principal)."""

import logging
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.types import ExecutionResult as StrawberryExecutionResult

from api.auth import ANONYMOUS, Principal
from api.documents import DocumentError, TrustedDocuments
from api.metrics import count_execution, count_graphql_errors, count_user_errors
from api.rate_limit import Budget, mutation_limiter, subject, take
from api.sessions import CookieRefused, authenticate_connection, clear_cookie, sign_in_link_limiter
from schema.context import Context, RequestState
from schema.errors import is_timeout, is_unavailable
from schema.limits import rate_limited
from schema.loaders import Loaders

log = logging.getLogger(__name__)
GRAPHQL_RESPONSE = "application/graphql-response+json"
UNAVAILABLE = "The database is unavailable; try again shortly."


class CheckedTransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """graphql-transport-ws with every message checked first: strawberry assumes well-formed messages, and a
    subscribe whose payload is a string, or a message that is a JSON array, ended in an unhandled exception
    and an abrupt close. The protocol's answer to a malformed message is close code 4400."""

    view: "PartnerPulseGraphQL"  # the only view that uses this handler

    async def handle_message(self, message: Any) -> None:
        if self.connection_acknowledged and _is_subscribe(message):
            try:
                message = {**message, "payload": self.view.documents.resolve(message["payload"])}
            except DocumentError as error:
                await self.websocket.send_json({"id": message["id"], "type": "error", "payload": [error.as_graphql()]})
                return
        problem = _message_problem(message)
        if problem:
            await self.handle_invalid_message(problem)
            return
        if message["type"] == "subscribe" and self.connection_acknowledged and not await self._admit(message["id"]):
            return
        await super().handle_message(message)

    async def _admit(self, operation_id: str) -> bool:
        """Every operation on an open connection: its token is checked again (through the token cache, as
        over HTTP), and the operation counts against the token's request budget. A revoked token's
        connection is closed with 4403; an operation over budget gets an `error` message, RATE_LIMITED."""
        context: Context = self.context
        state = context.request.app.state
        try:
            principal = await authenticate_connection(
                context.request, context.pool, _authorization(context.connection_params), state.token_cache
            )
        except Exception as error:
            if not (is_unavailable(error) or is_timeout(error)):
                raise
            log.warning("authentication could not reach the database", extra={"error": repr(error)})
            await self._refuse(operation_id, GraphQLError(UNAVAILABLE, extensions={"code": "SERVICE_UNAVAILABLE"}))
            return False
        if not isinstance(principal, Principal) or principal != context.principal:
            await self.websocket.close(code=4403, reason="Invalid or revoked token.")
            return False
        if principal.token_id is not None:
            state.token_usage.seen(principal.token_id)
        if state.rate_limiter is not None:
            budget = Budget("requests", state.settings.rate_requests_per_minute)
            refused = await take(state.rate_limiter, [(budget, 1)], subject(principal, context.request.scope))
            if refused is not None:
                await self._refuse(operation_id, rate_limited(refused.message, refused.retry_after))
                return False
        # the DataLoaders' caches belong to one operation, not to the connection
        context.loaders = Loaders.create(context.pool, principal)
        return True

    async def _refuse(self, operation_id: str, error: GraphQLError) -> None:
        count_graphql_errors([error_code(error)])
        await self.send_message({"id": operation_id, "type": "error", "payload": [error.formatted]})


class PartnerPulseGraphQL(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = CheckedTransportWSHandler
    documents = TrustedDocuments({})  # create_app sets the registry; api/documents.py

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            try:
                principal = await authenticate_connection(
                    request, request.app.state.pool, request.headers.get("authorization"), request.app.state.token_cache
                )
            except Exception as error:
                if not (is_unavailable(error) or is_timeout(error)):
                    raise
                log.warning("authentication could not reach the database", extra={"error": repr(error)})
                await unavailable_response()(scope, receive, send)
                return
            if principal is None:
                await invalid_token_response()(scope, receive, send)
                return
            if isinstance(principal, CookieRefused):
                await principal.response(request.app.state.settings)(scope, receive, send)
                return
            scope["state"]["principal"] = principal
            if principal.token_id is not None:
                request.app.state.token_usage.seen(principal.token_id)
            send = _with_allow_header(scope, send)
        await super().__call__(scope, receive, send)

    def parse_json(self, data: str | bytes) -> Any:
        """A POST body is one operation (an object) or a batch (a non-empty array of them), each field of
        the right type. Strawberry checks this for a single operation only: anything else answered 500, and
        a batched operation with a non-string query an unmasked internal message."""
        parsed = super().parse_json(data)
        operations = parsed if isinstance(parsed, list) else [parsed]
        if not operations:
            raise HTTPException(400, "A batch (a JSON array) needs at least one operation.")
        for operation in operations:
            problem = _operation_problem(operation)
            if problem:
                raise HTTPException(400, problem)
        if isinstance(parsed, list):
            return [self.documents.resolve(operation) for operation in parsed]
        return self.documents.resolve(parsed)

    def encode_json(self, data: object) -> str:
        """orjson: several times faster than json.dumps on a page of results. A str (not bytes): strawberry
        sends bytes over a WebSocket as binary frames, which the browser's clients do not read as JSON."""
        return orjson.dumps(data).decode()

    def should_render_graphql_ide(self, request: Any) -> bool:
        return request.query_params.get("documentId") is None and super().should_render_graphql_ide(request)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """GET: `variables` and `extensions` are JSON (decoded without the checks of a body above), and a
        `documentId` names a registered document."""
        data = dict(params)
        for name in ("variables", "extensions"):
            if data.get(name):
                data[name] = super().parse_json(data[name])
        return self.documents.resolve(data)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        sub_response = await super().get_sub_response(request)
        if isinstance(request, Request):
            request.state.sub_response = sub_response
            if GRAPHQL_RESPONSE in request.headers.get("accept", ""):
                sub_response.media_type = GRAPHQL_RESPONSE
        return sub_response

    async def process_result(self, request: Request, result: StrawberryExecutionResult) -> GraphQLHTTPResponse:
        """GraphQL over HTTP: with application/graphql-response+json, a document that does not parse or
        validate is answered 400 without `data` (errors without a path never reached execution)."""
        processed = await super().process_result(request, result)
        if result.errors:
            count_graphql_errors([error_code(error) for error in result.errors])
        sub_response: Response = request.state.sub_response
        retry_after = request.scope["state"].pop("retry_after", None)
        if retry_after:
            sub_response.status_code = 429
            sub_response.headers["Retry-After"] = str(retry_after)
        # A request error (the document does not parse or validate, a limit refused it) never reached
        # execution: the response has no `data` entry (GraphQL spec 7.1.2), and with
        # application/graphql-response+json the status is 400 (GraphQL over HTTP).
        errors = result.errors or []
        request_error = result.data is None and bool(errors) and all(e.path is None for e in errors)
        if request_error:
            processed.pop("data", None)
            if sub_response.media_type == GRAPHQL_RESPONSE and not retry_after:
                sub_response.status_code = 400
        return processed

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: Any,
        sub_response: Response,
    ) -> Any:
        """Every operation of a request counts against the request budget, a batch's all at once: a batch
        is refused whole (nothing runs) rather than cut at an arbitrary operation."""
        operations = request_data if isinstance(request_data, list) else [request_data]
        limiter = request.app.state.rate_limiter
        if limiter is not None:
            budget = Budget("requests", request.app.state.settings.rate_requests_per_minute)
            refused = await take(limiter, [(budget, len(operations))], subject(context.principal, request.scope))
            if refused is not None:
                request.scope["state"]["retry_after"] = refused.retry_after
                results = [
                    StrawberryExecutionResult(data=None, errors=[rate_limited(refused.message, refused.retry_after)])
                    for _ in operations
                ]
                return results if isinstance(request_data, list) else results[0]
        return await super().execute_operation(
            request=request,
            request_adapter=request_adapter,
            request_data=request_data,
            context=context,
            root_value=root_value,
            sub_response=sub_response,
        )

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: Any,
        request_data: GraphQLRequestData,
    ) -> StrawberryExecutionResult:
        try:
            return await super().execute_single(
                request=request,
                request_adapter=request_adapter,
                sub_response=sub_response,
                context=context,
                root_value=root_value,
                request_data=request_data,
            )
        except HTTPException as error:
            # GraphQL over HTTP: a mutation sent as GET is 405 Method Not Allowed (strawberry answers 400)
            if request_adapter.method == "GET" and isinstance(error.__cause__, InvalidOperationTypeError):
                request.scope["state"]["allow"] = "POST"
                raise HTTPException(405, error.reason) from error
            raise

    def create_response(self, response_data: Any, sub_response: Response) -> Response:
        response = super().create_response(response_data, sub_response)
        if sub_response.media_type == GRAPHQL_RESPONSE:
            response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
        return response

    async def on_ws_connect(self, context: Context) -> None:
        """graphql-transport-ws: authenticate with {"Authorization": "Bearer <token>"} in connection_init."""
        state = context.request.app.state
        principal = await authenticate_connection(
            context.request, context.pool, _authorization(context.connection_params), state.token_cache
        )
        if isinstance(principal, CookieRefused):
            raise ConnectionRejectionError({"message": principal.message})
        if principal is None:
            raise ConnectionRejectionError({"message": "Invalid or revoked token."})
        context.principal = principal
        context.loaders = Loaders.create(context.pool, principal)

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        state = request.app.state
        principal: Principal = request.scope["state"].get("principal", ANONYMOUS)
        http = request.scope["type"] == "http"

        async def authenticate_now(authorization: str | None) -> Principal | None:
            # the same way the connection was let in: its token, else its session cookie
            principal = await authenticate_connection(request, state.pool, authorization, state.token_cache)
            return None if isinstance(principal, CookieRefused) else principal

        return Context(
            request=request,
            response=response,
            pool=state.pool,
            redis=state.redis,
            settings=state.settings,
            principal=principal,
            loaders=Loaders.create(state.pool, principal),
            # over a WebSocket nothing reads what schema reports about the request
            state=RequestState(request.scope["state"] if http else None),
            limit_mutations=mutation_limiter(state.rate_limiter, state.settings, request.scope),
            authenticate=authenticate_now,
            flag_events=state.flag_events,
            count_user_errors=count_user_errors,
            count_execution=count_execution,
            limit_sign_in_links=sign_in_link_limiter(request) if http else None,
            end_session_cookie=(lambda: clear_cookie(response, state.settings)) if http else None,
        )


def _authorization(connection_params: dict[str, Any] | None) -> str | None:
    params = connection_params or {}
    authorization = params.get("Authorization") or params.get("authorization")
    return authorization if isinstance(authorization, str) else None


def error_code(error: GraphQLError) -> str:
    """The error's extensions.code; errors without one did not get past parsing or validation."""
    code = (error.extensions or {}).get("code")
    return code if isinstance(code, str) else "GRAPHQL_VALIDATION_FAILED"


def unavailable_response() -> JSONResponse:
    count_graphql_errors(["SERVICE_UNAVAILABLE"])
    return JSONResponse(
        {
            "errors": [
                {
                    "message": UNAVAILABLE,
                    "extensions": {"code": "SERVICE_UNAVAILABLE"},
                }
            ]
        },
        status_code=503,
        headers={"Retry-After": "1"},
    )


def invalid_token_response() -> JSONResponse:
    count_graphql_errors(["UNAUTHENTICATED"])
    return JSONResponse(
        {"errors": [{"message": "Invalid or revoked token.", "extensions": {"code": "UNAUTHENTICATED"}}]},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _with_allow_header(scope: Scope, send: Send) -> Send:
    """HTTP: a 405 answer names the methods that are allowed (strawberry's own 405s do not)."""

    async def send_with_allow(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 405:
            allow = scope["state"].get("allow", "GET, POST").encode()
            message = {**message, "headers": [*message.get("headers", []), (b"allow", allow)]}
        await send(message)

    return send_with_allow


OPERATION_FIELDS = {"query": str, "documentId": str, "operationName": str, "variables": dict, "extensions": dict}


def _operation_problem(operation: object) -> str | None:
    if not isinstance(operation, dict):
        return "The body must be a JSON object with `query`, or an array of such objects (a batch)."
    for name, kind in OPERATION_FIELDS.items():
        value = operation.get(name)
        if value is not None and not isinstance(value, kind):
            return f"`{name}` must be {'a string' if kind is str else 'an object'} or null."
    return None


def _is_subscribe(message: object) -> bool:
    return (
        isinstance(message, dict)
        and message.get("type") == "subscribe"
        and isinstance(message.get("id"), str)
        and isinstance(message.get("payload"), dict)
    )


def _message_problem(message: object) -> str | None:
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        return "A message must be a JSON object with a `type`."
    if message["type"] == "subscribe":
        if not isinstance(message.get("id"), str):
            return "A subscribe message needs an `id`."
        payload = message.get("payload")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return "A subscribe message needs a `payload` with a `query`."
        return _operation_problem(payload)
    return None
