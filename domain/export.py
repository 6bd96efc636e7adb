"""What `partnerpulse export` gives a principal: the survey rounds (or answers) of the projects it may see, as
the API shows them to it. The same rules as the API's resolvers decide (domain/access.py: which projects and
whose details; domain/disclosure.py: which numbers), applied to rows read for thousands of projects at once."""

import asyncio
import itertools
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

import asyncpg

from db import export, projects
from domain.access import sees_project, sees_project_details
from domain.disclosure import round_withheld, sees_everything, trend_point
from domain.principal import Principal

# the most rounds per project an export gives: the latest ones, as the API gives them in one page
ROUND_WINDOW = 100
MEAN_COLUMNS = ("mean_overall", "mean_expectations_met", "mean_mutual_benefit", "mean_decision_speed",
                "mean_communication_trust")  # fmt: skip
SCORES = ("overall", "expectations_met", "mutual_benefit", "decision_speed", "communication_trust")


Lines = TypeVar("Lines")


@dataclass(frozen=True)
class ExportProject:
    id: int
    title: str
    kind: str
    phase: str
    role: str | None  # the principal organization's current role in it; None: none (or an admin)


class RoundLine(NamedTuple):
    """A round as the principal sees it: means None when withheld (or not computed yet)."""

    project: ExportProject
    sequence: int
    status: str
    opened_at: datetime
    closed_at: datetime | None
    responses: int
    expected: int
    means: tuple[float | None, ...]  # in the order of MEAN_COLUMNS
    suppressed: bool


class AnswerLine(NamedTuple):
    project: ExportProject
    sequence: int
    organization: str
    organization_kind: str
    scores: tuple[int, ...]  # in the order of SCORES
    continue_likelihood: int
    comment: str | None
    submitted_at: datetime


async def _with_roles(
    connection: asyncpg.Connection, principal: Principal, rows: list[asyncpg.Record]
) -> list[ExportProject]:
    roles: dict[int, str] = {}
    if principal.organization_id is not None and rows:
        found = await projects.roles_in_projects(connection, principal.organization_id, [r["id"] for r in rows])
        roles = {row["project_id"]: row["role"] for row in found}
    return [ExportProject(r["id"], r["title"], r["kind"], r["phase"], roles.get(r["id"])) for r in rows]


async def _page(
    connection: asyncpg.Connection, principal: Principal, after_id: int | None, page_size: int
) -> list[ExportProject]:
    rows = await projects.list_projects(
        connection,
        member_of=None if principal.is_admin else principal.organization_id,
        phase=None,
        organization_id=None,
        at_risk=None,
        after_id=after_id,
        limit=page_size,
    )
    return await _with_roles(connection, principal, rows)


async def visible_pages(
    connections: tuple[asyncpg.Connection, asyncpg.Connection],
    principal: Principal,
    page_size: int,
    lines_of: Callable[[asyncpg.Connection, list[ExportProject]], Coroutine[Any, Any, Lines]],
) -> AsyncGenerator[tuple[int, Lines], None]:
    """Every project the principal may list, newest first (the API's `cooperationProjects` list), in pages:
    (projects in the page, `lines_of` the page). The two connections take turns (give them one snapshot,
    db.export.snapshot): PostgreSQL reads the next page while the caller writes this one."""
    pending: list[tuple[int, asyncio.Task[Lines]]] = []
    after_id, more = None, True
    try:
        for turn in itertools.count():
            if more:
                connection = connections[turn % 2]  # free: its previous page was awaited on the turn before
                page = await _page(connection, principal, after_id, page_size)
                more = len(page) == page_size
                if page:
                    after_id = page[-1].id
                    pending.append((len(page), asyncio.create_task(lines_of(connection, page))))
            if not pending:
                return
            if len(pending) == 2 or not more:
                done, task = pending.pop(0)
                yield done, await task
    finally:
        for _, task in pending:
            task.cancel()


async def visible_project_count(connection: asyncpg.Connection, principal: Principal) -> int:
    """How many projects `visible_pages` goes through (the API's `cooperationProjects.totalCount`)."""
    member_of = None if principal.is_admin else principal.organization_id
    return await projects.count_projects(
        connection, member_of=member_of, phase=None, organization_id=None, at_risk=None
    )


async def projects_by_ids(
    connection: asyncpg.Connection, principal: Principal, project_ids: list[int | None]
) -> list[ExportProject | None]:
    """The projects of the ids, None for those that do not exist for the principal (None ids included)."""
    rows = await projects.projects_by_ids(connection, [i for i in project_ids if i is not None])
    found = {project.id: project for project in await _with_roles(connection, principal, rows)}
    published = {row["id"]: row["published_at"] is not None for row in rows}
    return [
        found[i] if i in found and sees_project(principal, found[i].role, published=published[i]) else None
        for i in project_ids
    ]


async def _rounds(
    connection: asyncpg.Connection, principal: Principal, page: list[ExportProject]
) -> tuple[dict[int, ExportProject], list[asyncpg.Record]]:
    """The rounds of the projects whose details the principal sees (none of the others)."""
    shown = [p for p in page if sees_project_details(p.role, is_admin=principal.is_admin)]
    rows = await export.rounds_for_export(connection, [p.id for p in shown], ROUND_WINDOW)
    return {p.id: p for p in shown}, rows


async def round_lines(
    connection: asyncpg.Connection, principal: Principal, page: list[ExportProject], min_group_size: int
) -> list[RoundLine]:
    """The rounds of the page's projects, each project's oldest first, with the numbers the principal may see:
    what the API's `surveyRounds` and `satisfactionTrend` fields give it."""
    by_id, rows = await _rounds(connection, principal, page)
    lines = []
    for row in rows:
        project = by_id[row["project_id"]]
        means: tuple[float | None, ...] = (None,) * len(MEAN_COLUMNS)
        suppressed = False
        if row["has_statistics"]:  # a trend point exists once the workers computed the round
            count = row["statistics_count"]
            sees_all = sees_everything(project.role, is_admin=principal.is_admin)
            withheld = round_withheld(count, row["closed"], min_group_size, sees_all=sees_all)
            points = [trend_point(row[column], count, withheld=withheld) for column in MEAN_COLUMNS]
            means = tuple(mean for mean, _ in points)
            suppressed = any(hidden for _, hidden in points)
        line = (row["sequence"], row["status"], row["opened_at"], row["closed_at"], row["responses"], row["expected"])
        lines.append(RoundLine(project, *line, means, suppressed))
    return lines


async def answer_lines(
    connection: asyncpg.Connection, principal: Principal, page: list[ExportProject]
) -> list[AnswerLine]:
    """Every answer to the rounds of the page's projects whose answers the principal sees (moderators of the
    project and admins: the API's `responses`), per project and round in the API's order."""
    by_id, rows = await _rounds(connection, principal, page)
    rounds = [row for row in rows if sees_everything(by_id[row["project_id"]].role, is_admin=principal.is_admin)]
    answers: dict[int, list[asyncpg.Record]] = {}
    for answer in await export.answers_for_export(connection, [row["id"] for row in rounds]):
        answers.setdefault(answer["round_id"], []).append(answer)
    return [
        AnswerLine(
            by_id[row["project_id"]],
            row["sequence"],
            answer["organization"],
            answer["organization_kind"],
            tuple(answer[score] for score in SCORES),
            answer["continue_likelihood"],
            answer["comment"],
            answer["submitted_at"],
        )
        for row in rounds
        for answer in answers.get(row["id"], [])
    ]
