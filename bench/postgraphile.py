"""PostGraphile, the best-known generic GraphQL API over PostgreSQL, on the benchmark's database (part c).

Installed from npm into .data/bench/postgraphile on first use (Node.js and npm needed; without them the
comparison is skipped). Version 4 is used: its command line runs a tuned server in one line, with
`--cluster-workers` for one process per core like the API. It answers the same three questions through its
generated schema (with the widely used connection-filter plugin for the dashboard's "risk level is not
NONE"); `same_answer` checks that both return the same projects, partners and organizations.
"""

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from partnerpulse.embedded import free_port

PACKAGES = ["postgraphile@4.14.1", "postgraphile-plugin-connection-filter@2.3.0"]  # `filter`: risk level <> NONE

DASHBOARD = """{ allProjectHealths(first: 20, filter: {riskLevel: {notEqualTo: NONE}},
  orderBy: [RISK_RANK_DESC, PROJECT_ID_DESC]) { nodes {
  cooperationProjectByProjectId { title
    projectPartnersByProjectId(orderBy: [ROLE_ASC, JOINED_ON_ASC, ORGANIZATION_ID_ASC]) {
      nodes { role organizationByOrganizationId { name } } }
    roundStatisticsByProjectId(first: 1, orderBy: SEQUENCE_DESC) { nodes { responseCount meanOverall } }
    riskFlagsByProjectId(condition: {resolvedAt: null}, orderBy: [SEVERITY_DESC, RAISED_AT_DESC, ID_DESC]) {
      nodes { reason severity explanation } } } } } }"""
PROJECT = """query($id: BigInt!) { cooperationProjectById(id: $id) { title phase
  projectPartnersByProjectId(orderBy: [ROLE_ASC, JOINED_ON_ASC, ORGANIZATION_ID_ASC]) {
    nodes { role organizationByOrganizationId { name } } }
  projectGoalsByProjectId(orderBy: ID_ASC) { nodes { title status dueOn } }
  roundStatisticsByProjectId(first: 12, orderBy: SEQUENCE_DESC) { nodes { sequence meanOverall } }
  riskFlagsByProjectId(condition: {resolvedAt: null}, orderBy: [SEVERITY_DESC, RAISED_AT_DESC, ID_DESC]) {
    nodes { reason severity explanation } }
  surveyRoundsByProjectId(first: 12, orderBy: SEQUENCE_DESC) { nodes { sequence status
    surveyResponsesByRoundId { totalCount } surveyRoundParticipantsByRoundId { totalCount } } } } }"""
DIRECTORY = """{ allOrganizations(first: 100, orderBy: [NAME_ASC, ID_ASC]) {
  nodes { name kind city projectPartnersByOrganizationId { totalCount } } } }"""


def install(work: Path) -> Path | None:
    """The postgraphile executable, installed on first use; None when npm is not available."""
    folder = (work / "postgraphile").resolve()
    executable = folder / "node_modules" / ".bin" / "postgraphile"
    if executable.exists():
        return executable
    if shutil.which("npm") is None or shutil.which("node") is None:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(folder), *PACKAGES],
        check=True,
    )
    return executable


# PostGraphile derives relations from foreign keys; round_statistics.project_id has none (the round's
# cascade covers it), so a smart comment declares the relation its queries above follow
SMART_COMMENTS = "COMMENT ON TABLE round_statistics IS E'@foreignKey (project_id) references cooperation_projects (id)'"


async def _describe_relations(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SMART_COMMENTS)
    finally:
        await connection.close()


def start(executable: Path, dsn: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    asyncio.run(_describe_relations(dsn))
    port = free_port()
    process = subprocess.Popen(
        [str(executable), "--connection", dsn.replace("postgresql://", "postgres://", 1), "--schema", "public",
         "--host", "127.0.0.1", "--port", str(port), "--cluster-workers", str(workers), "--disable-query-log",
         "--disable-graphiql", "--disable-default-mutations",
         "--append-plugins", "postgraphile-plugin-connection-filter"],
        cwd=executable.parents[2],  # where the plugin is installed
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/graphql"
    deadline = time.monotonic() + 60
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
    raise RuntimeError(f"PostGraphile did not start; see {log}")


def same_answer(case: str, ours: dict[str, Any], theirs: dict[str, Any]) -> bool:
    """Both name the same projects with the same partners (dashboard, project page), or the same organizations
    with the same project counts (directory)."""
    if case == "dashboard":
        our_projects = [e["node"] for e in ours["atRiskProjects"]["edges"]]
        their_projects = [n["cooperationProjectByProjectId"] for n in theirs["allProjectHealths"]["nodes"]]
        return [_project(p) for p in our_projects] == [_their_project(p) for p in their_projects]
    if case == "project":
        return _project(ours["node"]) == _their_project(theirs["cooperationProjectById"])
    our_orgs = [(e["node"]["name"], e["node"]["projectCount"]) for e in ours["organizations"]["edges"]]
    their_orgs = [
        (n["name"], n["projectPartnersByOrganizationId"]["totalCount"]) for n in theirs["allOrganizations"]["nodes"]
    ]
    return our_orgs == their_orgs


def _project(project: dict[str, Any]) -> tuple:
    partners = [(p["role"], p["organization"]["name"]) for p in project["partners"]]
    flags = [(f["reason"], f["severity"]) for f in project["riskFlags"]]
    return project["title"], partners, flags


def _their_project(project: dict[str, Any]) -> tuple:
    partners = [
        (p["role"], p["organizationByOrganizationId"]["name"]) for p in project["projectPartnersByProjectId"]["nodes"]
    ]
    flags = [(f["reason"], f["severity"]) for f in project["riskFlagsByProjectId"]["nodes"]]
    return project["title"], partners, flags
