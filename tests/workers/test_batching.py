"""Recomputations in batches: each project's results as alone, and the batcher's gathering and failures."""

import asyncio
from collections import Counter
from datetime import date

import asyncpg
import pytest

from db.bulk import DERIVED_TABLES
from db.demo import plan_network
from db.seed import load_network
from partnerpulse.settings import Settings
from workers.batching import Batcher
from workers.recompute import recompute, recompute_many, thresholds

DERIVED = {
    "round_statistics": "round_id, project_id, sequence, response_count, expected_count, mean_overall, "
    "mean_expectations_met, mean_mutual_benefit, mean_decision_speed, mean_communication_trust, nps",
    "round_kind_statistics": "*",
    "project_trends": "project_id, dimension, slope, smoothed, rounds_used",
    "project_health": "project_id, score, risk_level, risk_rank, partner_score, partner_risk_level, partner_risk_rank",
    # flag ids come from a sequence in the order flags are raised: everything else must be equal
    "risk_flags": "project_id, audience, organization_id, reason, severity, explanations::text, evidence::text, "
    "resolved_at IS NULL AS open",
    "project_recompute_state": "project_id, computed_version",
}


async def settle() -> None:
    """Let every task that can run do so (a call's task, then its batch's)."""
    for _ in range(10):
        await asyncio.sleep(0)


async def derived(connection: asyncpg.Connection) -> dict[str, list[tuple]]:
    return {
        table: sorted(tuple(row) for row in await connection.fetch(f"SELECT {columns} FROM {table}"))
        for table, columns in DERIVED.items()
    }


async def test_a_batch_recomputes_each_project_as_it_would_alone(
    connection: asyncpg.Connection, settings: Settings
) -> None:
    await load_network(connection, plan_network(seed=18, scale=1, today=date.today()))
    ids = [row["id"] for row in await connection.fetch("SELECT id FROM cooperation_projects ORDER BY id")]
    rules = thresholds(settings)
    alone_events = {}
    for project_id in ids:
        result = await recompute(connection, project_id, rules)
        assert result is not None
        alone_events[project_id] = Counter(event.change for event in result.events)
    alone = await derived(connection)
    assert alone["risk_flags"] and alone["round_statistics"]  # the network gives something to compare

    await connection.execute(f"TRUNCATE {', '.join(DERIVED_TABLES)}")
    gone = 10**9
    batch_events = {}
    for start in range(0, len(ids), 9):
        batch = [*ids[start : start + 9][::-1], gone]  # in any order, with a project that does not exist
        results = await recompute_many(connection, batch, rules)
        assert results.pop(gone) is None
        for project_id, result in results.items():
            assert result is not None
            assert {event.project_id for event in result.events} <= {project_id}
            batch_events[project_id] = Counter(event.change for event in result.events)
    assert await derived(connection) == alone
    assert batch_events == alone_events

    # idempotent in batches too: nothing changes, no event
    results = await recompute_many(connection, ids, rules)
    assert all(result is not None and not result.events for result in results.values())
    assert await derived(connection) == alone
    locks = await connection.fetchval(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    )
    assert locks == 0


async def test_keys_asked_for_while_a_batch_runs_go_together_into_the_next() -> None:
    calls: list[list[int]] = []
    release = asyncio.Event()

    async def double(keys: list[int]) -> dict[int, int | BaseException]:
        calls.append(keys)
        if len(calls) == 1:
            await release.wait()
        return {key: 2 * key for key in keys}

    batcher = Batcher(double, limit=3, max_batches=1)
    first = asyncio.create_task(batcher(1))
    await settle()  # alone, it runs at once
    assert calls == [[1]]
    others = [asyncio.create_task(batcher(key)) for key in (2, 3, 3, 4, 5)]
    await settle()
    assert calls == [[1]]  # they wait for the running batch
    release.set()
    assert await first == 2
    assert [await task for task in others] == [4, 6, 6, 8, 10]
    assert calls == [[1], [2, 3], [4, 5]]  # at most `limit` calls a batch; a key asked for twice runs once
    assert (batcher.batches, batcher.keys) == (3, 5)


async def test_a_failure_is_its_own_key_s_and_a_failed_batch_stops_nothing_after_it() -> None:
    async def run(keys: list[int]) -> dict[int, int | BaseException]:
        if 0 in keys:
            raise RuntimeError("the whole batch failed")
        return {key: ValueError(key) if key == 2 else key for key in keys}

    batcher = Batcher(run, limit=10, max_batches=1)
    one, two, three = (asyncio.create_task(batcher(key)) for key in (1, 2, 3))
    assert await one == 1
    assert await three == 3
    with pytest.raises(ValueError):
        await two
    zero, four = asyncio.create_task(batcher(0)), asyncio.create_task(batcher(4))
    await settle()
    with pytest.raises(RuntimeError):
        await zero
    assert await four == 4  # it waited for the failed batch and ran in the next


async def test_a_cancelled_caller_leaves_its_batch_running_for_the_others() -> None:
    releases = [asyncio.Event(), asyncio.Event()]
    ran: list[list[int]] = []

    async def run(keys: list[int]) -> dict[int, int | BaseException]:
        ran.append(keys)
        await releases[len(ran) - 1].wait()
        return {key: key for key in keys}

    batcher = Batcher(run, limit=10, max_batches=1)
    blocker = asyncio.create_task(batcher(9))
    await settle()
    cancelled, kept = asyncio.create_task(batcher(1)), asyncio.create_task(batcher(2))
    await settle()
    releases[0].set()
    assert await blocker == 9
    await settle()
    assert ran == [[9], [1, 2]]  # the second batch is running
    cancelled.cancel()
    await settle()
    releases[1].set()
    assert await kept == 2
    assert cancelled.cancelled()
