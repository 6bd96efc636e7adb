"""GraphiQL at /graphql for browsers, served from this project (api/graphiql/): it works without internet.

The page script, stylesheet and Monaco's workers are bundles built from api/graphiql/source/ and stored
gzipped; a browser gets them as they are stored (Content-Encoding: gzip). The page has its own content security
policy: Monaco writes style elements and style attributes, and runs its language services in workers.
"""

import gzip
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from api.graphql import PartnerPulseGraphQL

FILES = Path(__file__).with_name("graphiql")
ASSETS = FILES / "assets"
POLICY = (
    "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)
HEADERS = {"content-security-policy": POLICY, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".ttf": "font/ttf"}


def graphiql_page() -> Response:
    return FileResponse(FILES / "index.html", headers={**HEADERS, "cache-control": "no-cache"})


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    media_type = MEDIA_TYPES.get(Path(name).suffix)
    if "/" in name or media_type is None:
        return Response("Not Found", status_code=404, media_type="text/plain")
    headers = {**HEADERS, "cache-control": "no-cache"}
    if (ASSETS / name).is_file():
        return FileResponse(ASSETS / name, media_type=media_type, headers=headers)
    packed = ASSETS / f"{name}.gz"
    if not packed.is_file():
        return Response("Not Found", status_code=404, media_type="text/plain")
    if "gzip" in request.headers.get("accept-encoding", ""):
        return FileResponse(packed, media_type=media_type, headers={**headers, "content-encoding": "gzip"})
    return Response(gzip.decompress(packed.read_bytes()), media_type=media_type, headers=headers)


def graphiql_routes() -> list[Route]:
    return [Route("/graphiql/assets/{name:path}", asset)]


class OfflineGraphiQL(PartnerPulseGraphQL):
    """The API's GraphQL view with this project's GraphiQL page instead of strawberry's (which loads from a CDN)."""

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql_page()
