"""Sessions of people: an e-mailed sign-in link (`requestSignInLink`) opens /sign-in/<token>; its button
(a POST, so that a mail scanner fetching the link does not use it up) starts a session held in an HttpOnly
cookie. `/graphql` and the dashboard accept the cookie with the rights of the person's organization.

A browser sends cookies with requests other sites make, so a cookie-authenticated request must prove it comes
from PartnerPulse's own pages (CSRF): a POST needs a JSON content type (a form cannot send one without CORS)
and an Origin that is the public URL's or the request's own (or, where the browser sends `Origin: null`,
`Sec-Fetch-Site: same-origin`); a GET (queries only: mutations over GET are
refused anyway) and a WebSocket must not come from another Origin. API tokens in `Authorization` are not
sent by browsers on their own and need none of this; a request that sends one is judged by it alone."""

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from api.auth import Principal, Role, TokenCache, authenticate
from api.dashboard import HEADERS
from api.metrics import count_graphql_errors
from api.rate_limit import Budget
from db import sessions
from partnerpulse.settings import Settings

log = logging.getLogger(__name__)
SESSION_COOKIE = "pp_session"
TEMPLATE = (Path(__file__).parent / "sign_in" / "sign_in.html").read_text()


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(connection: HTTPConnection, settings: Settings) -> set[str]:
    """The public URL's origin and the one the request was sent to (its Host header)."""
    origins = {_origin_of(settings.public_url)}
    host = connection.headers.get("host")
    if host:
        scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
        origins.add(f"{scheme}://{host}".lower())
    return origins


def same_origin(connection: HTTPConnection, settings: Settings) -> bool | None:
    """True when the request comes from our own pages, False when from another site, None when it does not say.
    Our pages send no referrer (`Referrer-Policy: no-referrer`), and then a browser's own requests carry
    `Origin: null`; for those `Sec-Fetch-Site` (which no script can set) says where they come from."""
    origin = connection.headers.get("origin")
    if origin is not None and origin != "null":
        return origin.lower() in allowed_origins(connection, settings)
    fetch_site = connection.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    return False if origin == "null" else None


def csrf_problem(connection: HTTPConnection, settings: Settings) -> str | None:
    """Why a cookie-authenticated request is refused, or None when it may proceed."""
    origin_ok = same_origin(connection, settings)
    if connection.scope["type"] == "websocket" or connection.scope.get("method") == "GET":
        return "The request comes from another site (Origin)." if origin_ok is False else None
    content_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return "A request signed in with the session cookie must send JSON (Content-Type: application/json)."
    if origin_ok is None:
        return "A request signed in with the session cookie must send an Origin header."
    if not origin_ok:
        return "The request comes from another site (Origin)."
    return None


async def session_principal(pool: asyncpg.Pool, token: str) -> Principal | None:
    """Not cached: a revoked session, or one whose person was removed, ends at once."""
    async with pool.acquire() as connection:
        row = await sessions.find_session(connection, token)
    if row is None:
        return None
    return Principal(Role.MEMBER, organization_id=row["organization_id"], session_id=row["id"])


@dataclass(frozen=True)
class CookieRefused:
    """A request whose session cookie is refused: from another site (403), or the session ended (401)."""

    status: int
    code: str
    message: str

    def response(self, settings: Settings) -> JSONResponse:
        count_graphql_errors([self.code])
        response = JSONResponse(
            {"errors": [{"message": self.message, "extensions": {"code": self.code}}]}, status_code=self.status
        )
        if self.status == 401:
            clear_cookie(response, settings)
        return response


async def authenticate_connection(
    connection: HTTPConnection, pool: asyncpg.Pool, authorization: str | None, cache: TokenCache | None
) -> Principal | CookieRefused | None:
    """The principal of a request: by its Authorization when it sends one, else by its session cookie.
    None: an invalid token."""
    cookie = connection.cookies.get(SESSION_COOKIE)
    if authorization or not cookie:
        return await authenticate(pool, authorization, cache)
    problem = csrf_problem(connection, connection.app.state.settings)
    if problem:
        return CookieRefused(403, "FORBIDDEN", problem)
    principal = await session_principal(pool, cookie)
    if principal is None:
        return CookieRefused(401, "UNAUTHENTICATED", "Your session has ended; sign in again.")
    return principal


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.session_days * 86400),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.public_url.startswith("https://"),
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.public_url.startswith("https://")
    )


PAGE_CONTENT = {
    "valid": """<form class="card sign-in" method="post">
  <h1>Anmelden · Sign in</h1>
  <p lang="de">Mit diesem Knopf melden Sie sich bei PartnerPulse an; der Link gilt danach nicht mehr.</p>
  <p lang="en">This button signs you in to PartnerPulse; the link stops working afterwards.</p>
  <button id="sign-in" type="submit">Anmelden · Sign in</button>
</form>""",
    "used": """<section class="card sign-in" id="status" data-state="used">
  <h1>Link schon benutzt · Link already used</h1>
  <p lang="de">Dieser Anmeldelink wurde schon benutzt. <a href="/">Einen neuen anfordern</a>.</p>
  <p lang="en">This sign-in link has been used already. <a href="/">Ask for a new one</a>.</p>
</section>""",
    "expired": """<section class="card sign-in" id="status" data-state="expired">
  <h1>Link abgelaufen · Link expired</h1>
  <p lang="de">Dieser Anmeldelink ist abgelaufen oder ungültig. <a href="/">Einen neuen anfordern</a>.</p>
  <p lang="en">This sign-in link has expired or is not valid. <a href="/">Ask for a new one</a>.</p>
</section>""",
}


def _page(state: str, status: int = 200) -> HTMLResponse:
    # the token is in the address: no caching, no referrer (HEADERS has no-referrer)
    html = TEMPLATE.replace("{{state}}", state).replace("{{content}}", PAGE_CONTENT[state])
    return HTMLResponse(html, status_code=status, headers={**HEADERS, "cache-control": "no-store"})


async def sign_in_page(request: Request) -> Response:
    """GET: tells whether the link still works and offers the button; uses nothing up."""
    async with request.app.state.pool.acquire() as connection:
        state = await sessions.sign_in_link_state(connection, request.path_params["token"])
    return _page(state, 200 if state == "valid" else 410)


async def sign_in(request: Request) -> Response:
    """POST from the page's button: uses the link up, starts the session, and goes to the dashboard. The
    Origin check keeps another site from signing a visitor in to someone else's session."""
    settings: Settings = request.app.state.settings
    if same_origin(request, settings) is False:
        return HTMLResponse("Refused: the request comes from another site.", status_code=403, headers=HEADERS)
    session_token = sessions.new_session_token()
    async with request.app.state.pool.acquire() as connection:
        session_id = await sessions.start_session(
            connection,
            request.path_params["token"],
            session_token,
            settings.session_days * 86400,
            request.headers.get("user-agent", ""),
        )
        state = None if session_id else await sessions.sign_in_link_state(connection, request.path_params["token"])
    if session_id is None:
        return _page(state or "expired", 410)
    log.info("session started", extra={"session_id": session_id})
    response = RedirectResponse("/", status_code=303, headers={"cache-control": "no-store"})
    set_cookie(response, session_token, settings)
    return response


def sign_in_routes() -> list[Route]:
    return [
        Route("/sign-in/{token}", sign_in_page, methods=["GET"]),
        Route("/sign-in/{token}", sign_in, methods=["POST"]),
    ]


def sign_in_link_limiter(connection: HTTPConnection) -> Callable[[str], Awaitable[int | None]] | None:
    """The budgets of `requestSignInLink`, per address and per client: the seconds to wait, None when a link
    may go now. None without rate limits."""
    limiter = connection.app.state.rate_limiter
    if limiter is None:
        return None
    settings = connection.app.state.settings
    client = connection.scope.get("client")

    async def wait_seconds(email: str) -> int | None:
        address_key = hashlib.sha256(email.lower().encode()).hexdigest()[:32]
        for budget, subject in [
            (
                Budget("sign-in-client", settings.rate_sign_in_links_per_client, 3600, 5),
                f"client:{client and client[0]}",
            ),
            (Budget("sign-in-address", settings.rate_sign_in_links_per_address, 3600, 3), f"address:{address_key}"),
        ]:
            wait = await limiter.wait_seconds(budget, subject)
            if wait:
                return wait
        return None

    return wait_seconds
