"""The answer page at /answer/<token>: the link of an invitation or reminder mail. The page asks the API with
the token itself; the server only tells it beforehand whether the link exists and its round is still open,
and in which language to greet (the person's)."""

from pathlib import Path

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from api.dashboard import HEADERS, DashboardFiles
from db import invitations

FILES = Path(__file__).parent
TEMPLATE = (FILES / "answer.html").read_text()


async def answer_page(request: Request) -> HTMLResponse:
    token = request.path_params["token"]
    async with request.app.state.pool.acquire() as connection:
        state = await invitations.answer_link_state(connection, token)
    if state is None:
        status, language = "unknown", "de"
    else:
        status, language = ("open" if state["status"] == "OPEN" else "closed"), state["language"] or "de"
    html = TEMPLATE.replace("{{state}}", status).replace("{{lang}}", language)
    # the token is in the address: no caching, no referrer
    return HTMLResponse(html, headers={**HEADERS, "cache-control": "no-store"})


async def signed_in_answer_page(request: Request) -> HTMLResponse:
    """From the dashboard: the page asks as the signed-in viewer (session cookie or the dashboard's token)."""
    language = request.query_params.get("lang", "de")
    language = language if language in ("de", "en") else "de"
    html = TEMPLATE.replace("{{state}}", "signed-in").replace("{{lang}}", language)
    return HTMLResponse(html, headers={**HEADERS, "cache-control": "no-store"})


def answer_routes() -> list[Route | Mount]:
    return [
        Route("/answer/round/{round_id}", signed_in_answer_page),
        Route("/answer/{token}", answer_page),
        Mount("/answer-page", DashboardFiles(directory=FILES), name="answer-page"),
    ]
