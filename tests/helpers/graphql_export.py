"""The export of survey rounds and answers as it was first built: the GraphQL schema asked in-process, pages of
50 projects, with the caller's token. It is what the API gives the token by construction, so the set-based
export (partnerpulse/export.py) is compared with it byte for byte (tests/system/test_export_differential.py)."""

from collections.abc import AsyncIterator
from typing import Any

from api.auth import Role
from partnerpulse.export import (
    ANSWER_COLUMNS,
    DIMENSIONS,
    ROUND_COLUMNS,
    ExportError,
    InProcessApi,
    Table,
    _number,
)

PAGE = 50  # projects per query: 50 × 100 rounds stays inside the query cost budget
ROUNDS = 100  # the most rounds per project the API gives in one page

_TREND = "\n".join(
    f"    {d}: satisfactionTrend(dimension: {d}, last: {ROUNDS}) {{ sequence mean responseCount suppressed }}"
    for d in DIMENSIONS
)
PROJECT_FIELDS = f"""id title kind phase
    surveyRounds(first: {ROUNDS}) {{ edges {{ node {{ sequence status openedAt closedAt responseCount expectedResponses
      responses @include(if: $answers) {{ organization {{ name kind }} overall expectationsMet mutualBenefit
        decisionSpeed communicationTrust continueLikelihood comment submittedAt }} }} }} }}
{_TREND}"""
PROJECT_PAGE = f"""query ExportProjects($after: String, $answers: Boolean!) {{
  cooperationProjects(first: {PAGE}, after: $after) {{ totalCount pageInfo {{ hasNextPage endCursor }}
    edges {{ node {{ {PROJECT_FIELDS} }} }} }} }}"""
ONE_PROJECT = f"""query ExportProject($id: ID!, $answers: Boolean!) {{
  node(id: $id) {{ ... on CooperationProject {{ {PROJECT_FIELDS} }} }} }}"""


def round_rows(project: dict[str, Any]) -> list[list[Any]]:
    by_sequence = {d: {p["sequence"]: p for p in project[d]} for d in DIMENSIONS}
    rows = []
    for edge in sorted(project["surveyRounds"]["edges"], key=lambda e: e["node"]["sequence"]):
        survey = edge["node"]
        points = [by_sequence[d].get(survey["sequence"]) for d in DIMENSIONS]
        rows.append([
            project["id"], project["title"], project["kind"], project["phase"], survey["sequence"], survey["status"],
            survey["openedAt"], survey["closedAt"] or "", survey["responseCount"], survey["expectedResponses"],
            *(_number(p["mean"]) if p else "" for p in points),
            any(p and p["suppressed"] for p in points),
        ])  # fmt: skip
    return rows


def answer_rows(project: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for edge in sorted(project["surveyRounds"]["edges"], key=lambda e: e["node"]["sequence"]):
        survey = edge["node"]
        for answer in survey.get("responses") or []:
            rows.append([
                project["id"], project["title"], survey["sequence"], answer["organization"]["name"],
                answer["organization"]["kind"], answer["overall"], answer["expectationsMet"], answer["mutualBenefit"],
                answer["decisionSpeed"], answer["communicationTrust"], answer["continueLikelihood"],
                answer["comment"] or "", answer["submittedAt"],
            ])  # fmt: skip
    return rows


def graphql_projects_table(api: InProcessApi, project_ids: list[str], answers: bool) -> Table:
    if answers and api.principal.role is not Role.ADMIN:
        raise ExportError("individual answers are exported for admin tokens only")
    to_rows = answer_rows if answers else round_rows

    async def by_id() -> AsyncIterator[tuple[int, list[list[Any]]]]:
        for project_id in project_ids:
            data = await api.query(ONE_PROJECT, {"id": project_id, "answers": answers})
            if not data["node"] or "title" not in data["node"]:
                raise ExportError(f"no project {project_id!r} that this token may see")
            yield 1, to_rows(data["node"])

    async def all_visible() -> AsyncIterator[tuple[int, list[list[Any]]]]:
        after = None
        while True:
            page = (await api.query(PROJECT_PAGE, {"after": after, "answers": answers}))["cooperationProjects"]
            yield len(page["edges"]), [row for edge in page["edges"] for row in to_rows(edge["node"])]
            if not page["pageInfo"]["hasNextPage"]:
                return
            after = page["pageInfo"]["endCursor"]

    columns = ANSWER_COLUMNS if answers else ROUND_COLUMNS
    if project_ids:
        return Table(columns, len(project_ids), by_id)
    return Table(columns, None, all_visible)
