"""Every project at once: the same results as `recompute` per project, in a few set-based statements.

For start-up, bulk loads and benchmarks. The statistics come from SQL over all answers; the rules run in
Python on the few numbers per project; trends, health and flags are written back in bulk. One REPEATABLE
READ snapshot: every project is marked computed from exactly the data_version it was computed from.
"""

import asyncio
import itertools
import os
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import asyncpg

from db import bulk as bulk_sql
from db import flags, portfolio
from db import recompute as recompute_sql
from domain.events import FlagEvent
from domain.risk_rules import Thresholds
from domain.vocabulary import ANSWERING_ROLES
from workers.portfolio import publish_closed_months
from workers.recompute import Evaluated, evaluate_projects


@dataclass
class BulkResult:
    projects: int = 0
    events: list[FlagEvent] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # per phase, for benchmarks


async def recompute_all(
    connection: asyncpg.Connection,
    rules: Thresholds,
    beside: asyncpg.Connection | None = None,
    portfolio_beside: asyncpg.Connection | None = None,
) -> BulkResult:
    """`beside`, a second connection: the per-kind statistics and the portfolio run there at the same time,
    on the same snapshot, so that two cores aggregate. Without it the per-kind statistics run on `connection`
    while the rules run in Python. `portfolio_beside`, a third one (with `beside`): the portfolio and its
    publication run there, beside the per-kind statistics instead of after them; after a bulk load the
    publication alone outlasts the rules' connection, and the second core would otherwise idle at the end."""
    result = BulkResult()
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        result.seconds[phase] = now - clock
        clock = now

    kind_statistics: asyncio.Task[None] | None = None
    await recompute_sql.lock_bulk_recomputation(connection)
    try:
        async with connection.transaction(isolation="repeatable_read"):
            # the pool's idle-in-transaction limit ends sessions a crashed client left open; this one is idle
            # on purpose while the rules run in Python (a minute and more on a busy machine at 72,000 projects)
            await bulk_sql.keep_transaction_open(connection)
            if beside is not None:
                snapshot = await bulk_sql.export_snapshot(connection)
                kind_statistics = asyncio.create_task(
                    beside_work(beside, snapshot, rules.min_group_size, portfolio_beside)
                )
            await bulk_sql.recompute_all_round_statistics(connection)
            lap("statistics (SQL)")
            projects = await bulk_sql.all_projects_for_rules(connection, ANSWERING_ROLES)
            rounds_by_project: dict[int, list[asyncpg.Record]] = defaultdict(list)
            for row in await bulk_sql.all_rounds_for_rules(connection):
                rounds_by_project[row["project_id"]].append(row)
            prior = await portfolio.portfolio_prior(connection)  # as published before this recomputation
            lap("facts (fetch)")
            if kind_statistics is None:
                # PostgreSQL aggregates per organization kind on one core while the rules run in Python on
                # the other (the rules do not need those numbers)
                kind_statistics = asyncio.create_task(bulk_sql.recompute_all_kind_statistics(connection))
                await asyncio.sleep(0)  # the script is on its way before the rules hold the event loop
                try:
                    trend_rows, health_rows, desired = evaluate_all(projects, rounds_by_project, rules, prior)
                finally:
                    await kind_statistics
            else:
                trend_rows, health_rows, desired = evaluate_all(projects, rounds_by_project, rules, prior)
            lap("rules (Python)")
            await recompute_sql.store_trends(connection, trend_rows)
            await recompute_sql.store_health(connection, health_rows)
            project_ids = [project["id"] for project in projects]
            changes = await flags.sync_all_flags(connection, desired, project_ids)
            await recompute_sql.mark_computed(connection, [(p["id"], p["data_version"]) for p in projects])
            if beside is None:
                await portfolio.refresh_portfolio(connection)
                await publish_closed_months(connection, rules.min_group_size)
            lap("writes")
            await kind_statistics  # before the snapshot it shares ends with this transaction
            lap("beside (waiting)")
        # the per-project jobs that follow plan their statements on these statistics: stale ones (taken
        # before the bulk write, when the tables were empty) made one small job scan a million rows
        await bulk_sql.analyze_derived_tables(connection)
        lap("analyze")
    finally:
        if kind_statistics is not None and not kind_statistics.done():
            await asyncio.wait([kind_statistics])
        await recompute_sql.unlock_bulk_recomputation(connection)
    result.projects = len(projects)
    result.events = [FlagEvent(c.flag_id, c.project_id, c.change) for c in changes]
    return result


async def beside_work(
    connection: asyncpg.Connection,
    snapshot: str,
    min_group_size: int,
    portfolio_connection: asyncpg.Connection | None = None,
) -> None:
    """The per-kind statistics and the portfolio: they read only answers, and nothing else waits for them.
    With `portfolio_connection` the portfolio runs there at the same time, on the same snapshot."""

    async def kind_statistics(on: asyncpg.Connection) -> None:
        await bulk_sql.recompute_all_kind_statistics(on)

    async def portfolio_and_publication(on: asyncpg.Connection) -> None:
        await portfolio.refresh_portfolio(on)
        await publish_closed_months(on, min_group_size)

    async def in_snapshot(on: asyncpg.Connection, *works: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
        async with on.transaction(isolation="repeatable_read"):
            await bulk_sql.use_snapshot(on, snapshot)
            await bulk_sql.keep_transaction_open(on)
            for work in works:
                await work(on)

    if portfolio_connection is None:
        await in_snapshot(connection, kind_statistics, portfolio_and_publication)
        return
    kinds = asyncio.create_task(in_snapshot(connection, kind_statistics))
    try:
        await in_snapshot(portfolio_connection, portfolio_and_publication)
    finally:
        await kinds  # its error, if any, after the portfolio's


# from this many projects on, the rules run in forked processes, one per core: at 72,000 projects they are the
# longest phase, pure Python, and each project is independent
PARALLEL_FROM = 5_000
_shared: tuple | None = None  # what the forked processes read (inherited, copy-on-write; never pickled)


def evaluate_all(
    projects: list[asyncpg.Record],
    rounds_by_project: dict[int, list[asyncpg.Record]],
    rules: Thresholds,
    portfolio_means: dict[str, float] | None = None,
) -> Evaluated:
    """Trend rows, health rows and the flags that should be open, of every project (in project order)."""
    processes = len(os.sched_getaffinity(0))
    if processes < 2 or len(projects) < PARALLEL_FROM:
        return evaluate_projects(projects, rounds_by_project, rules, portfolio_means)
    global _shared
    _shared = (projects, rounds_by_project, rules, portfolio_means)
    step = -(-len(projects) // (4 * processes))  # a few chunks per process: they finish at about the same time
    try:
        with ProcessPoolExecutor(processes, mp_context=get_context("fork")) as pool:
            parts = list(pool.map(_evaluate_slice, range(0, len(projects), step), itertools.repeat(step)))
    finally:
        _shared = None
    trend_rows, health_rows = [], []
    desired: dict[int, list[flags.DesiredFlag]] = {}
    for part_trends, part_health, part_desired in parts:
        trend_rows += part_trends
        health_rows += part_health
        desired |= part_desired
    return trend_rows, health_rows, desired


def _evaluate_slice(start: int, length: int) -> Evaluated:
    assert _shared is not None
    projects, rounds_by_project, rules, portfolio_means = _shared
    return evaluate_projects(projects[start : start + length], rounds_by_project, rules, portfolio_means)
