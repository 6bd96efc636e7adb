"""bench.flags through the real workers: they agree with the rules on the simulated projects."""

import random

import asyncpg

from bench import flags
from domain.risk_rules import Thresholds


async def test_one_pass_through_the_real_workers_agrees_with_the_rules(connection: asyncpg.Connection) -> None:
    rng = random.Random(11)
    projects = [flags.simulate(rng) for _ in range(12)]
    assert {p.situation for p in projects} >= {"healthy", "drop", "silent"}
    assert await flags.through_the_workers(connection, projects, Thresholds()) == []
    reasons = {r["reason"] for r in await connection.fetch("SELECT DISTINCT reason::text FROM risk_flags")}
    assert len(reasons) >= 2, reasons  # the comparison covered flags, not only quiet projects
