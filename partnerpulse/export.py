"""`partnerpulse export`: statistics as CSV for the people who write reports.

The export gives exactly what the API would give the caller's token: suppressed small groups stay
suppressed, projects the token may not see are absent. Survey rounds and answers are read set-based, thousands
of projects a statement (db/export.py), and the API's own rules decide what the token sees of them
(domain/export.py); the portfolio asks the GraphQL schema in-process. Individual answers are exported for admin
tokens only.
"""

import csv
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import IO, Any

import asyncpg
from strawberry.relay import to_base64

from api.auth import Principal, Role, authenticate
from db.export import snapshot
from domain import export
from partnerpulse.settings import Settings
from schema import PartnerPulseSchema, create_schema
from schema.context import Context
from schema.ids import project_id_of
from schema.loaders import Loaders

DIMENSIONS = ["OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST"]
# projects per step: four statements a page; a page of the benchmark network is about 7,000 rounds (peak
# memory grows with it: 84 MB at 500, 93 MB at 1,000, 110 MB at 2,000, docs/performance.md)
PAGE = 1000


class ExportError(Exception):
    """Something the caller must fix; the message says what."""


class InProcessApi:
    """The API's schema and permission rules, answered in this process for one principal."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings, principal: Principal) -> None:
        self.pool, self.settings, self.principal = pool, settings, principal
        self._schema: PartnerPulseSchema | None = None

    @property
    def schema(self) -> PartnerPulseSchema:
        """Built on first use: exports of rounds and answers do not need it."""
        if self._schema is None:
            self._schema = create_schema(self.settings)
        return self._schema

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


@functools.lru_cache(maxsize=65536)
def _number(value: float | None) -> str:
    """Cached: means of a few scores of 1-5 take few distinct values, and an export writes millions of them."""
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


def _global_id(project: export.ExportProject, ids: dict[int, str]) -> str:
    """The project's id as the API gives it (`CooperationProject.id`)."""
    if project.id not in ids:
        ids[project.id] = to_base64("CooperationProject", project.id)
    return ids[project.id]


def round_rows(lines: list[export.RoundLine], ids: dict[int, str]) -> list[list[Any]]:
    """One row per survey round: its response rate and the means the token may see (empty when suppressed)."""
    return [
        [_global_id(line.project, ids), line.project.title, line.project.kind, line.project.phase, line.sequence,
         line.status, line.opened_at.isoformat(), line.closed_at.isoformat() if line.closed_at else "",
         line.responses, line.expected, *(_number(mean) for mean in line.means), line.suppressed]
        for line in lines
    ]  # fmt: skip


def answer_rows(lines: list[export.AnswerLine], ids: dict[int, str]) -> list[list[Any]]:
    return [
        [_global_id(line.project, ids), line.project.title, line.sequence, line.organization,
         line.organization_kind, *line.scores, line.continue_likelihood, line.comment or "",
         line.submitted_at.isoformat()]
        for line in lines
    ]  # fmt: skip


def projects_table(api: InProcessApi, project_ids: list[str], answers: bool) -> Table:
    """Per-round statistics (or, with `answers`, individual answers) of the given projects, or of every
    project the token may see (newest first), each project's latest rounds oldest first."""
    if answers and api.principal.role is not Role.ADMIN:
        raise ExportError("individual answers are exported for admin tokens only")
    principal, minimum = api.principal, api.settings.min_group_size
    ids: dict[int, str] = {}  # global ids by database id, encoded once per project

    async def rows_of(connection: asyncpg.Connection, page: list[export.ExportProject]) -> list[list[Any]]:
        if answers:
            return answer_rows(await export.answer_lines(connection, principal, page), ids)
        return round_rows(await export.round_lines(connection, principal, page, minimum), ids)

    async def by_id() -> AsyncIterator[tuple[int, list[list[Any]]]]:
        async with api.pool.acquire() as connection, snapshot(connection):
            found = await export.projects_by_ids(connection, principal, [project_id_of(i) for i in project_ids])
            for project_id, project in zip(project_ids, found, strict=True):
                if project is None:
                    raise ExportError(f"no project {project_id!r} that this token may see")
            yield len(project_ids), await rows_of(connection, [p for p in found if p is not None])

    async def all_visible() -> AsyncIterator[tuple[int, list[list[Any]]]]:
        # one snapshot on both connections: the pages add up to the network as it was when the export began
        async with (
            api.pool.acquire() as first,
            api.pool.acquire() as second,
            snapshot(first, second),
            aclosing(export.visible_pages((first, second), principal, PAGE, rows_of)) as pages,
        ):
            async for step in pages:
                yield step

    columns = ANSWER_COLUMNS if answers else ROUND_COLUMNS
    if project_ids:
        return Table(columns, len(project_ids), by_id)
    return Table(columns, None, all_visible)


async def project_total(api: InProcessApi) -> int:
    """How many projects an export of every visible project goes through (the progress bar's total)."""
    async with api.pool.acquire() as connection:
        return await export.visible_project_count(connection, api.principal)


async def write_csv(table: Table, target: IO[str], dialect: Dialect, advance: Callable[[int], None]) -> int:
    """Write the table (header first) to `target` in the dialect; `advance(units)` after each step. Returns
    the rows written below the header."""
    writer = csv.writer(target, delimiter=dialect.delimiter)
    writer.writerow(table.columns)
    written = 0
    async for done, rows in table.rows():
        writer.writerows([cell_text(cell, dialect) for cell in row] for row in rows)
        written += len(rows)
        advance(done)
    return written


def portfolio_table(api: InProcessApi) -> Table:
    """Monthly means per organization kind and per industry, on every dimension."""
    steps = [(grouping, d) for grouping in ("ORGANIZATION_KIND", "INDUSTRY") for d in DIMENSIONS]

    async def rows() -> AsyncIterator[tuple[int, list[list[Any]]]]:
        for grouping, dimension in steps:
            data = await api.query(PORTFOLIO, {"groupBy": grouping, "dimension": dimension})
            yield 1, portfolio_rows(grouping, dimension, data["satisfactionTrends"])

    return Table(PORTFOLIO_COLUMNS, len(steps), rows)
