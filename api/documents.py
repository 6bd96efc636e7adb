"""Trusted documents: the GraphQL documents of PartnerPulse's own frontends, known by their SHA-256.

GraphQL over HTTP's persisted documents: a request may name a document with `documentId` ("sha256:" and the
hex SHA-256 of the document's text, UTF-8) instead of sending it as `query`, by POST or GET
(`GET /graphql?documentId=sha256:…&variables=…`). The registry (`api/documents.json`, written by
`partnerpulse documents --write`, kept current by a test) holds every document of the dashboard
(`api/dashboard/app.js`), of the answer page (`api/answer_page/answer.js`) and of the API guide's examples
(`docs/api.md`). Arbitrary documents stay allowed unless
PARTNERPULSE_TRUSTED_DOCUMENTS_ONLY is true; then a `query` is run only when its text is a registered
document, so frontends sending the full text keep working.

GET answers carry validators for private caching: the answer depends on the token, so it is
`Cache-Control: private, no-cache` with `Vary: Authorization, Accept` and an ETag of the body; a
revalidation whose `If-None-Match` matches is answered 304 without a body.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.metrics import count_graphql_errors

REGISTRY = Path(__file__).with_name("documents.json")
DASHBOARD = Path(__file__).with_name("dashboard") / "app.js"
API_GUIDE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
ANSWER_PAGE = Path(__file__).with_name("answer_page") / "answer.js"
PREFIX = "sha256:"

_LOOKS_LIKE_A_DOCUMENT = re.compile(r"^(?:query|mutation|subscription)\b|^\{\s*\w")


def document_id(document: str) -> str:
    return PREFIX + hashlib.sha256(document.encode()).hexdigest()


class DocumentError(Exception):
    """A request that names an unknown document, or sends one that is not trusted: a request error (400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message

    def as_graphql(self) -> dict[str, Any]:
        return {"message": self.message, "extensions": {"code": self.code}}


class TrustedDocuments:
    def __init__(self, documents: Mapping[str, str], only: bool = False) -> None:
        self.documents = dict(documents)
        self.only = only

    @classmethod
    def load(cls, only: bool = False, path: Path = REGISTRY) -> "TrustedDocuments":
        entries = json.loads(path.read_text())
        return cls({key: entry["document"] for key, entry in entries.items()}, only)

    def resolve(self, operation: dict[str, Any]) -> dict[str, Any]:
        """The operation with `documentId` replaced by its document; DocumentError when it names no registered
        document, sends both, or (trusted documents only) sends a document that is not registered."""
        if "documentId" not in operation:
            query = operation.get("query")
            if self.only and isinstance(query, str) and document_id(query) not in self.documents:
                raise DocumentError(
                    "TRUSTED_DOCUMENT_REQUIRED",
                    "This server runs trusted documents only: send the `documentId` of a registered document "
                    "(or exactly its text).",
                )
            return operation
        key = operation["documentId"]
        if not isinstance(key, str):
            raise DocumentError("BAD_REQUEST", "`documentId` must be a string.")
        if operation.get("query") is not None:
            raise DocumentError("BAD_REQUEST", "Send either `query` or `documentId`, not both.")
        document = self.documents.get(key)
        if document is None:
            raise DocumentError(
                "PERSISTED_DOCUMENT_NOT_FOUND",
                f"No registered document has the id {key[:80]!r} (ids are 'sha256:' and the document's SHA-256).",
            )
        resolved = {name: value for name, value in operation.items() if name != "documentId"}
        resolved["query"] = document
        return resolved


def collect(
    dashboard: Path = DASHBOARD, guide: Path = API_GUIDE, answer_page: Path = ANSWER_PAGE
) -> dict[str, dict[str, str]]:
    """The registry: every document of the dashboard's and the answer page's scripts and of the API guide's
    ```graphql blocks (one document per paragraph), each validated against the schema."""
    from graphql import parse, validate

    from schema import schema

    found: list[tuple[str, str]] = []
    for source, script in (("dashboard", dashboard), ("answer page", answer_page)):
        literals = string_literals(script.read_text())
        found += [(source, text) for text in literals if _LOOKS_LIKE_A_DOCUMENT.match(text.strip())]
    found += [
        ("docs/api.md", document.strip())
        for block in re.findall(r"```graphql\n(.*?)```", guide.read_text(), flags=re.S)
        for document in block.split("\n\n")
        if document.strip()
    ]
    registry: dict[str, dict[str, str]] = {}
    for source, document in found:
        problems = validate(schema._schema, parse(document))
        if problems:
            raise ValueError(f"a {source} document does not validate: {problems[0].message}\n{document}")
        registry.setdefault(document_id(document), {"source": source, "document": document})
    return dict(sorted(registry.items()))


def string_literals(script: str) -> list[str]:
    """The string literals of a script (quoted strings and template literals without `${…}`), in order.

    A small scanner rather than a regular expression: a backtick inside a quoted string (the dashboard's
    texts quote commands) must not start a template literal. Comments are skipped; regular expression
    literals are read as code, which holds as long as they contain no quotes."""
    scanner = _LiteralScanner(script)
    position = 0
    while position < len(script):
        position = scanner.code(position)
    return scanner.found


class _LiteralScanner:
    """The steps of `string_literals`: each reads from an index and returns the index after what it read."""

    def __init__(self, script: str) -> None:
        self.script = script
        self.found: list[str] = []

    def quoted(self, start: int) -> int:
        script = self.script
        quote, index = script[start], start + 1
        while script[index] != quote:
            index += 2 if script[index] == "\\" else 1
        text = script[start + 1 : index]
        if quote == "'":  # JSON's escapes are JavaScript's but for these two
            text = text.replace("\\'", "'").replace('"', '\\"')
        try:
            self.found.append(json.loads(f'"{text}"'))
        except ValueError:
            self.found.append(text)
        return index + 1

    def template(self, start: int) -> int:
        script = self.script
        index, interpolated = start + 1, False
        while script[index] != "`":
            if script[index] == "\\":
                index += 2
            elif script.startswith("${", index):
                index, interpolated = self.code(index + 2, closing="}"), True
            else:
                index += 1
        if not interpolated:
            self.found.append(script[start + 1 : index])
        return index + 1

    def comment(self, index: int) -> int | None:
        """The index after a comment starting at `index`; None when none starts there."""
        if self.script.startswith("//", index):
            return self.script.find("\n", index) % (len(self.script) + 1)
        if self.script.startswith("/*", index):
            return self.script.index("*/", index) + 2
        return None

    def code(self, index: int, closing: str = "") -> int:
        script, depth = self.script, 0
        while index < len(script):
            char = script[index]
            if char in "\"'":
                index = self.quoted(index)
            elif char == "`":
                index = self.template(index)
            elif (after_comment := self.comment(index)) is not None:
                index = after_comment
            else:
                if closing and char == "{":
                    depth += 1
                elif closing and char == "}":
                    if depth == 0:
                        return index + 1
                    depth -= 1
                index += 1
        return index


def render(registry: Mapping[str, Mapping[str, str]]) -> str:
    return json.dumps(registry, indent=2, ensure_ascii=False) + "\n"


class DocumentEndpoint:
    """Around the GraphQL view: a DocumentError becomes a GraphQL error with status 400 (it never reaches
    execution, so the answer has no `data`), and GET answers get validators for private caching."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            send = _with_validators(scope, send)
        try:
            await self.app(scope, receive, send)
        except DocumentError as error:
            if scope["type"] != "http":
                raise
            count_graphql_errors([error.code])
            await JSONResponse({"errors": [error.as_graphql()]}, status_code=400)(scope, receive, send)


def _with_validators(scope: Scope, send: Send) -> Send:
    """A JSON 200 answer is held back until complete, to send it with its ETag, or 304 when the client's
    `If-None-Match` names that ETag. Anything else (a stream, an error status, GraphiQL) passes through."""
    start: Message | None = None
    body = bytearray()

    async def send_with_validators(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", []))
            if message["status"] == 200 and b"json" in headers.get(b"content-type", b""):
                start = message
                return
        elif message["type"] == "http.response.body" and start is not None:
            body.extend(message.get("body", b""))
            if message.get("more_body"):
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            validators = [(b"etag", etag.encode()), (b"cache-control", b"private, no-cache"),
                          (b"vary", b"Authorization, Accept")]  # fmt: skip
            if etag in _if_none_match(scope):
                kept = [(k, v) for k, v in start.get("headers", []) if k.lower() not in _NOT_IN_304]
                await send({**start, "status": 304, "headers": [*kept, *validators]})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({**start, "headers": [*start.get("headers", []), *validators]})
            await send({"type": "http.response.body", "body": bytes(body)})
            return
        await send(message)

    return send_with_validators


_NOT_IN_304 = {b"content-length", b"content-type"}


def _if_none_match(scope: Scope) -> set[str]:
    values = [value.decode("latin-1") for name, value in scope["headers"] if name == b"if-none-match"]
    tags = {tag.strip() for value in values for tag in value.split(",")}
    return {tag.removeprefix("W/") for tag in tags}
