"""The documentation a newcomer reads first must stay true: the API guide's GraphQL examples (docs/api.md)
are what a frontend developer copies, so each must validate against the schema and each query must run on the
demo network without an error; the README's start banner names the demo tokens as `partnerpulse dev` makes
them; every relative link of the documentation resolves inside the repository."""

import re
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import pytest
from graphql import OperationDefinitionNode, OperationType, parse, validate

from db.demo import plan_network
from db.seed import demo_principals, load_network
from db.tokens import create_token
from partnerpulse.settings import Settings
from schema import schema
from tests.helpers import gql
from tests.helpers.paths import ROOT
from workers.bulk import recompute_all
from workers.recompute import thresholds

README = (ROOT / "README.md").read_text()
API_GUIDE = (ROOT / "docs" / "api.md").read_text()
# one document per paragraph of a ```graphql block (a block may show several operations)
DOCUMENTS = [
    document.strip()
    for block in re.findall(r"```graphql\n(.*?)```", API_GUIDE, flags=re.S)
    for document in block.split("\n\n")
    if document.strip()
]


def test_the_api_guide_has_its_examples() -> None:
    assert len(DOCUMENTS) >= 6


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: " ".join(d.split())[:40])
def test_every_api_guide_example_validates(document: str) -> None:
    assert validate(schema._schema, parse(document)) == []


async def test_every_api_guide_query_runs_on_the_demo_network(
    settings: Settings, connection: asyncpg.Connection, client: httpx.AsyncClient
) -> None:
    await load_network(connection, plan_network(seed=42, scale=1, today=date.today()))
    await recompute_all(connection, thresholds(settings))
    _, admin = await create_token(connection, organization_id=None, label="readme")
    member_of = await connection.fetchval("SELECT organization_id FROM project_partners WHERE role = 'PARTNER' LIMIT 1")
    _, member = await create_token(connection, organization_id=member_of, label="readme")
    project = (await gql(client, "{ cooperationProjects(first: 1) { edges { node { id } } } }", token=admin))[
        "cooperationProjects"
    ]["edges"][0]["node"]["id"]
    ran = 0
    for document in DOCUMENTS:
        [operation] = [d for d in parse(document).definitions if isinstance(d, OperationDefinitionNode)]
        if operation.operation is not OperationType.QUERY:
            continue
        variables = {"id": project, "after": None}
        for token in (admin, member):
            await gql(client, document, variables, token)  # fails on any GraphQL error
        ran += 1
    assert ran >= 4


async def test_the_readme_says_what_the_demo_tokens_are(
    settings: Settings, connection: asyncpg.Connection, client: httpx.AsyncClient
) -> None:
    """The organizations `partnerpulse dev` makes tokens for (db.seed.demo_principals), as the README tells."""
    await load_network(connection, plan_network(seed=42, scale=1, today=date.today()))
    await recompute_all(connection, thresholds(settings))
    principals = await demo_principals(connection)
    member, moderator = principals["member"], principals["moderator"]
    assert member is not None and moderator is not None
    # the banner names each token with its id, e.g. "  member (token 2) — Gridwise GmbH"
    assert re.search(rf"^  member \(token \d+\) — {re.escape(member['name'])}$", README, re.M)
    assert re.search(rf"^  moderator \(token \d+\) — {re.escape(moderator['name'])}$", README, re.M)
    tokens = {"admin": (await create_token(connection, organization_id=None, label="readme"))[1]}
    for name, principal in principals.items():
        assert principal is not None
        tokens[name] = (await create_token(connection, organization_id=principal["id"], label="readme"))[1]
    roles = {
        name: (await gql(client, "{ viewer { role organization { name } } }", token=token))["viewer"]
        for name, token in tokens.items()
    }
    assert roles["admin"] == {"role": "ADMIN", "organization": None}
    assert roles["member"]["role"] == roles["moderator"]["role"] == "MEMBER"
    assert "`role` is `ADMIN` for the admin\ntoken and `MEMBER` for the other two" in README

    # the member: a startup that a SATISFACTION_GAP flag names
    assert member["kind"] == "STARTUP"
    assert await connection.fetchval(
        "SELECT count(*) FROM risk_flags WHERE reason = 'SATISFACTION_GAP' AND organization_id = $1 "
        "AND resolved_at IS NULL",
        member["id"],
    )
    assert "a `SATISFACTION_GAP` flag names it" in README
    # the moderator: of the at-risk projects with a moderator, it moderates the highest-ranked one, which is
    # high on the admin's list but not its top
    listing = await gql(
        client,
        "{ atRiskProjects(first: 100) { edges { node { id partners { role organization { name } } } } } }",
        token=tokens["admin"],
    )
    projects = [edge["node"] for edge in listing["atRiskProjects"]["edges"]]
    position, moderated = next(
        (i, p) for i, p in enumerate(projects) if any(x["role"] == "MODERATOR" for x in p["partners"])
    )
    assert moderator["name"] in {x["organization"]["name"] for x in moderated["partners"] if x["role"] == "MODERATOR"}
    assert 0 < position < 10, position
    assert "research institute moderating the highest-ranked at-risk project that has a moderator" in " ".join(
        README.split()
    )
    node = await gql(
        client,
        "query($id: ID!) { node(id: $id) { ... on CooperationProject { viewerRole } } }",
        {"id": moderated["id"]},
        token=tokens["moderator"],
    )
    assert node["node"]["viewerRole"] == "MODERATOR"


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|<(?:img|a)\s[^>]*(?:src|href)=\"([^\"]+)\"")


def anchors(markdown: str) -> set[str]:
    """GitHub's ids of a document's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+\s+(.+?)\s*$", re.sub(r"```.*?```", "", markdown, flags=re.S), flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


# folders that hold no documentation of ours: virtual environments, data, installed or bundled packages
NOT_OURS = {".git", ".venv", ".data", "node_modules", "assets"}


def repository_files(*suffixes: str) -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*")
        if path.suffix in suffixes and path.is_file() and not NOT_OURS & set(path.relative_to(ROOT).parts)
    )


def test_the_documentation_pages_exist() -> None:
    """The README's map of the documentation: each page it promises is there and linked from the README."""
    pages = ["design", "api", "operations", "performance", "benchmarks", "guides/add-a-mutation"]
    for page in [*pages, "guides/add-a-risk-rule"]:
        assert (ROOT / "docs" / f"{page}.md").is_file(), page
        assert f"(docs/{page}.md" in README, page


def test_every_relative_link_in_the_documentation_resolves_inside_the_repository() -> None:
    documents = repository_files(".md")
    assert {ROOT / "README.md", ROOT / "SECURITY.md", ROOT / "docs" / "design.md"} <= set(documents)
    broken, checked = [], 0
    for document in documents:
        text = document.read_text()
        for match in LINK.finditer(re.sub(r"```.*?```", "", text, flags=re.S)):
            target = match.group(1) or match.group(2)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            checked += 1
            path, _, fragment = target.partition("#")
            resolved = (document.parent / path).resolve() if path else document
            if not resolved.is_relative_to(ROOT) or not resolved.exists():
                broken.append(f"{document.name}: {target} (no such file in the repository)")
            elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved.read_text()):
                broken.append(f"{document.name}: {target} (no such heading)")
    assert checked >= 5 and broken == []


def test_nothing_refers_to_a_document_outside_the_repository() -> None:
    """Docs, SDL descriptions, docstrings and comments name only what the repository holds: no design document
    kept elsewhere, no path that climbs out of the checkout."""
    outside = re.compile(r"\bDESIGN\.md\b|(?<![\w.-])shared/")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in repository_files(".md", ".py", ".graphql", ".sql", ".js", ".toml", ".yml", ".html", ".css")
        if path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert found == []
