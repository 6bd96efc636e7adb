"""bench.flags: the simulation's ground truth is what it says, and the workers agree with the rules on it."""

import random

import asyncpg

from bench import baseline_rules, flags
from workers import analytics
from workers.analytics import Thresholds


def test_the_simulation_plants_its_stories() -> None:
    rng = random.Random(3)
    projects = [flags.simulate(rng) for _ in range(400)]
    assert {p.situation for p in projects} == set(flags.SITUATIONS)
    for project in projects:
        assert len(project.states) == 2 * flags.ROUNDS and all(not s.rounds[-1].closed for s in project.states[::2])
        assert all(2 <= len(levels) <= 6 for levels in project.levels)
        if project.situation == "silent":
            assert all(1 not in answers for _, answers, _ in project.answers[flags.ONSET - 1 :])
        if project.situation == "drop":
            before, after = project.levels[flags.ONSET - 2], project.levels[flags.ONSET - 1]
            assert all(abs(before[o] - after[o] - 1.5) < 1e-9 for o in before)
        assert project.truth("DECLINING_SATISFACTION", 1) is False


def test_the_figures_separate_the_rule_sets_on_the_same_data() -> None:
    rng = random.Random(5)
    projects = [flags.simulate(rng) for _ in range(150)]
    before = flags.measure(projects, baseline_rules.evaluate, baseline_rules.BASELINE)
    after = flags.measure(projects, analytics.evaluate, Thresholds())
    assert before.healthy_rounds == after.healthy_rounds > 0
    assert sum(after.false_alarms.values()) < sum(before.false_alarms.values())
    lines = list(flags.report(before, after))
    assert any(line.startswith("DECLINING_SATISFACTION") for line in lines)


async def test_one_pass_through_the_real_workers_agrees_with_the_rules(connection: asyncpg.Connection) -> None:
    rng = random.Random(11)
    projects = [flags.simulate(rng) for _ in range(12)]
    assert {p.situation for p in projects} >= {"healthy", "drop", "silent"}
    assert await flags.through_the_workers(connection, projects, Thresholds()) == []
    reasons = {r["reason"] for r in await connection.fetch("SELECT DISTINCT reason::text FROM risk_flags")}
    assert len(reasons) >= 2, reasons  # the comparison covered flags, not only quiet projects
