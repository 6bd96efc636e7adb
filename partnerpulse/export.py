"""`partnerpulse export`: statistics as CSV for the people who write reports.

The export asks the GraphQL schema in-process, with the caller's token, the questions a frontend would ask:
it gets exactly what the API would give that token (suppressed small groups stay suppressed, projects the
token may not see are absent). Individual answers are exported for admin tokens only.
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from api.auth import Principal, Role, authenticate
from partnerpulse.settings import Settings
from schema import create_schema
from schema.context import Context
from schema.loaders import Loaders

DIMENSIONS = ["OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST"]
PAGE = 50  # projects per query: 50 × 100 rounds stays inside the query cost budget
ROUNDS = 100  # the most rounds per project the API gives in one page


class ExportError(Exception):
    """Something the caller must fix; the message says what."""


class InProcessApi:
    """The API's schema and permission rules, answered in this process for one principal."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, principal: Principal) -> None:
        self.pool, self.settings, self.principal = pool, settings, principal
        self.schema = create_schema(settings)

    @classmethod
    async def for_token(cls, pool: asyncpg.Pool, settings: Settings, token: str | None) -> "InProcessApi":
        if not token:
            raise ExportError("an export needs a token (--token or PARTNERPULSE_TOKEN): it contains what that "
                              "token may see through the API")  # fmt: skip
        principal = await authenticate(pool, f"Bearer {token}")
        if principal is None:
            raise ExportError("the token is not valid (revoked or mistyped)")
        return cls(pool, settings, principal)

    async def query(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        context = Context(
            request=None,
            response=None,
            pool=self.pool,
            redis=None,  # type: ignore[arg-type]  # queries only: nothing here enqueues or subscribes
            settings=self.settings,
            principal=self.principal,
            loaders=Loaders.create(self.pool, self.principal),
        )
        result = await self.schema.execute(document, variable_values=variables, context_value=context)
        if result.errors:
            raise ExportError("; ".join(error.message for error in result.errors))
        assert result.data is not None
        return result.data


@dataclass
class Table:
    columns: list[str]
    total: int | None  # projects (or series) to go through, for the progress bar
    rows: Callable[[], AsyncIterator[tuple[int, list[list[Any]]]]]  # (units done in this step, rows)


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
PORTFOLIO = """query ExportPortfolio($groupBy: TrendGrouping!, $dimension: SatisfactionDimension!) {
  satisfactionTrends(groupBy: $groupBy, dimension: $dimension) {
    key label points { period mean responseCount organizationCount suppressed } }
}"""

ROUND_COLUMNS = ["project_id", "project", "kind", "phase", "round", "status", "opened_at", "closed_at",
                 "answers", "expected", *(f"mean_{d.lower()}" for d in DIMENSIONS), "suppressed"]  # fmt: skip
ANSWER_COLUMNS = ["project_id", "project", "round", "organization", "organization_kind", "overall",
                  "expectations_met", "mutual_benefit", "decision_speed", "communication_trust",
                  "continue_likelihood", "comment", "submitted_at"]  # fmt: skip
PORTFOLIO_COLUMNS = ["grouping", "key", "label", "dimension", "month", "mean", "answers", "organizations", "suppressed"]


def round_rows(project: dict[str, Any]) -> list[list[Any]]:
    """One row per survey round: its response rate and the means the token may see (empty when suppressed)."""
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


def portfolio_rows(grouping: str, dimension: str, series: list[dict[str, Any]]) -> list[list[Any]]:
    return [
        [grouping, s["key"], s["label"], dimension, p["period"], _number(p["mean"]), p["responseCount"],
         p["organizationCount"], p["suppressed"]]
        for s in series
        for p in s["points"]
    ]  # fmt: skip


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text a member typed (a name, a comment) that a spreadsheet would run as a formula gets a leading
    apostrophe: partners are competitors, and an export is opened by someone else (OWASP: CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class DecimalText(str):
    """A number written with a decimal point; a dialect may write it with its own decimal separator."""


def _number(value: float | None) -> str:
    return "" if value is None else DecimalText(f"{value:.4f}")


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    decimal_separator: str


# excel-de: what a spreadsheet set to German opens with a double click (it splits at ";", reads "4,5" as 4.5)
DIALECTS = {"standard": Dialect(",", "."), "excel-de": Dialect(";", ",")}


def cell_text(value: Any, dialect: Dialect) -> Any:
    """A cell as the dialect writes it: numbers with its decimal separator, text made spreadsheet-safe."""
    if isinstance(value, DecimalText):
        return value.replace(".", dialect.decimal_separator)
    return spreadsheet_safe(value)


def projects_table(api: InProcessApi, project_ids: list[str], answers: bool) -> Table:
    """Per-round statistics (or, with `answers`, individual answers) of the given projects, or of every
    project the token may see."""
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


async def project_total(api: InProcessApi) -> int:
    return (await api.query("{ cooperationProjects(first: 1) { totalCount } }"))["cooperationProjects"]["totalCount"]


def portfolio_table(api: InProcessApi) -> Table:
    """Monthly means per organization kind and per industry, on every dimension."""
    steps = [(grouping, d) for grouping in ("ORGANIZATION_KIND", "INDUSTRY") for d in DIMENSIONS]

    async def rows() -> AsyncIterator[tuple[int, list[list[Any]]]]:
        for grouping, dimension in steps:
            data = await api.query(PORTFOLIO, {"groupBy": grouping, "dimension": dimension})
            yield 1, portfolio_rows(grouping, dimension, data["satisfactionTrends"])

    return Table(PORTFOLIO_COLUMNS, len(steps), rows)
