"""The bulk recomputation gives exactly what the per-project recomputation gives."""

from datetime import date

import asyncpg
import pytest

import workers.bulk
from db import recompute as recompute_sql
from db.demo import plan_network
from db.portfolio import refresh_portfolio
from db.seed import load_network
from partnerpulse.settings import Settings
from workers.bulk import recompute_all
from workers.recompute import recompute, thresholds

DERIVED = {
    "round_statistics": "SELECT round_id, response_count, expected_count, mean_overall, mean_expectations_met, nps FROM round_statistics ORDER BY 1",
    "round_kind_statistics": "SELECT round_id, organization_kind, response_count, mean_overall FROM round_kind_statistics ORDER BY 1, 2",
    "project_trends": "SELECT project_id, dimension, slope, smoothed, rounds_used FROM project_trends ORDER BY 1, 2",
    "project_health": "SELECT project_id, score, risk_level, risk_rank FROM project_health ORDER BY 1",
    "open flags": "SELECT project_id, reason, organization_id, severity, explanations, evidence FROM risk_flags WHERE resolved_at IS NULL ORDER BY 1, 2, 3",
    "portfolio": "SELECT grouping, key, dimension, period, mean, response_count FROM portfolio_trends ORDER BY 1, 2, 3, 4",
}


async def derived(connection: asyncpg.Connection) -> dict[str, list]:
    return {name: [tuple(row) for row in await connection.fetch(sql)] for name, sql in DERIVED.items()}


async def clear_derived(connection: asyncpg.Connection) -> None:
    await connection.execute(
        "TRUNCATE round_statistics, round_kind_statistics, project_trends, project_health, risk_flags, "
        "portfolio_trends, project_recompute_state"
    )


@pytest.mark.parametrize(
    ("beside_connections", "forked_rules"),
    [(0, False), (1, False), (2, False), (2, True)],
    ids=["one connection", "kinds beside", "portfolio beside the kinds", "rules in forked processes"],
)
async def test_bulk_and_per_project_recomputation_agree(
    connection: asyncpg.Connection,
    pool: asyncpg.Pool,
    settings: Settings,
    beside_connections: int,
    forked_rules: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if forked_rules:  # the threshold from which the rules run in one process per core (2 here, at least)
        monkeypatch.setattr(workers.bulk, "PARALLEL_FROM", 1)
        monkeypatch.setattr(workers.bulk.os, "sched_getaffinity", lambda _: {0, 1})
    network = plan_network(seed=11, scale=2, today=date.today())
    await load_network(connection, network)
    # regrouped after they answered: both paths group a round's kinds by the kind each answer recorded
    await connection.execute(
        "UPDATE organizations SET kind = 'CORPORATE', funding_stage = NULL, revenue_band = NULL "
        "WHERE id IN (SELECT organization_id FROM survey_responses WHERE organization_kind <> 'CORPORATE' LIMIT 5)"
    )
    rules = thresholds(settings)

    if beside_connections == 2:
        async with pool.acquire() as beside, pool.acquire() as portfolio_beside:
            result = await recompute_all(connection, rules, beside, portfolio_beside)
    elif beside_connections == 1:
        async with pool.acquire() as beside:
            result = await recompute_all(connection, rules, beside)
    else:
        result = await recompute_all(connection, rules)
    assert result.projects == len(network.projects)
    assert {e.change for e in result.events} == {"RAISED"}
    bulk = await derived(connection)
    assert await recompute_sql.stale_projects(connection) == []

    await clear_derived(connection)
    for plan in network.projects:
        await recompute(connection, plan.id, rules)
    await refresh_portfolio(connection)
    per_project = await derived(connection)

    for name in DERIVED:
        assert bulk[name] == per_project[name], name
    assert len(bulk["open flags"]) > 10 and len(bulk["round_statistics"]) > 100


async def test_bulk_recomputation_is_idempotent_and_resolves_what_stopped_holding(
    connection: asyncpg.Connection, settings: Settings
) -> None:
    network = plan_network(seed=5, today=date.today())
    await load_network(connection, network)
    rules = thresholds(settings)
    first = await recompute_all(connection, rules)
    again = await recompute_all(connection, rules)
    assert first.events and again.events == []  # the same data raises nothing new

    project = next(p.id for p in network.projects if p.trajectory == "NO_EXIT_PLAN")
    await connection.execute(
        "UPDATE cooperation_projects SET exit_plan = 'agreed', data_version = data_version + 1 WHERE id = $1", project
    )
    assert await recompute_sql.stale_projects(connection) == [project]
    changes = await recompute_all(connection, rules)
    # the flag of the moderators' view and the partners' own version
    assert [(e.project_id, e.change) for e in changes.events] == [(project, "RESOLVED")] * 2
    assert await recompute_sql.stale_projects(connection) == []


async def test_bulk_recomputation_outlasts_the_idle_in_transaction_limit(
    connection: asyncpg.Connection, pool: asyncpg.Pool, settings: Settings
) -> None:
    """The pool's sessions end a transaction left idle (60 s); the bulk recomputation's transactions are idle
    on purpose while the rules run in Python, which takes longer than that at 72,000 projects on a busy
    machine. Here the limit is shorter than the rules of a small network."""
    await load_network(connection, plan_network(seed=3, scale=5, today=date.today()))
    async with pool.acquire() as beside:
        for session in (connection, beside):
            await session.execute("SET idle_in_transaction_session_timeout = '50ms'")
        try:
            result = await recompute_all(connection, thresholds(settings), beside)
        finally:
            for session in (connection, beside):
                await session.execute("RESET idle_in_transaction_session_timeout")
    assert result.seconds["rules (Python)"] > 0.05
    assert await recompute_sql.stale_projects(connection) == []
