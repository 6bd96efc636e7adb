"""The demo network's flags match the trajectories the generator planted."""

from datetime import date

import asyncpg
import pytest

from db.demo import EXPECTED_REASON, Trajectory, plan_network
from db.seed import load_network
from partnerpulse.settings import Settings
from workers.recompute import recompute, thresholds


@pytest.mark.parametrize("seed", [42, 7])
async def test_planted_trajectories_raise_their_flags_and_healthy_projects_none(
    connection: asyncpg.Connection, settings: Settings, seed: int
) -> None:
    network = plan_network(seed=seed, today=date.today())
    await load_network(connection, network)
    for plan in network.projects:
        await recompute(connection, plan.id, thresholds(settings))
    rows = await connection.fetch("SELECT project_id, reason::text FROM risk_flags WHERE resolved_at IS NULL")
    open_flags: dict[int, set[str]] = {}
    for row in rows:
        open_flags.setdefault(row["project_id"], set()).add(row["reason"])
    problems = []
    for plan in network.projects:
        found = open_flags.get(plan.id, set())
        expected = EXPECTED_REASON[plan.trajectory]
        if plan.trajectory in (Trajectory.HEALTHY, Trajectory.EARLY) and found:
            problems.append(f"{plan.id} {plan.phase} {plan.trajectory}: unexpected {sorted(found)}")
        elif expected and plan.phase not in ("COMPLETED", "TERMINATED") and expected not in found:
            problems.append(f"{plan.id} {plan.phase} {plan.trajectory}: missing {expected}, found {sorted(found)}")
        elif plan.phase in ("COMPLETED", "TERMINATED") and found:
            problems.append(f"{plan.id} {plan.phase}: ended projects keep no open flags, found {sorted(found)}")
    assert problems == []
    levels = dict(await connection.fetch("SELECT project_id, risk_level::text FROM project_health"))
    assert all(levels[p.id] == "NONE" for p in network.projects if p.trajectory == Trajectory.HEALTHY)
