"""bench.flags: the simulation's ground truth is what it says, and the rules measured on it (pure, no servers;
the pass through the real workers is tests/workers/test_bench_flags_workers.py)."""

import random

from bench import baseline_rules, flags
from domain import risk_rules
from domain.risk_rules import Thresholds
from domain.vocabulary import Severity


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
    after = flags.measure(projects, risk_rules.evaluate, Thresholds())
    assert before.healthy_rounds == after.healthy_rounds > 0
    assert sum(after.false_alarms.values()) < sum(before.false_alarms.values())
    lines = list(flags.report(before, after))
    assert any(line.startswith("DECLINING_SATISFACTION") for line in lines)


def test_silent_partner_is_judged_per_partner_and_a_real_streak_is_fair() -> None:
    rng = random.Random(7)
    projects = [flags.simulate(rng) for _ in range(600)]
    silent = next(p for p in projects if p.situation == "silent")
    others = [org for org in silent.levels[-1] if org != flags.SILENT_ORGANIZATION]
    assert silent.truth("SILENT_PARTNER", flags.ONSET + 2, flags.SILENT_ORGANIZATION) is True
    assert silent.truth("SILENT_PARTNER", flags.ONSET - 1, flags.SILENT_ORGANIZATION) is False
    assert {silent.truth("SILENT_PARTNER", flags.ONSET + 2, org) for org in others} <= {False, None}
    # a healthy partner that really missed three expected rounds in a row: either answer is fair, then and
    # while the next round is open; one that answered the round is fairly flagged by nothing
    streaks = [
        (project, org, round_)
        for project in projects
        if project.situation == "healthy"
        for round_ in range(3, flags.ROUNDS + 1)
        for org in project.levels[round_ - 1]
        if all(
            org in project.answers[r - 1][0] and org not in project.answers[r - 1][1]
            for r in range(round_ - 2, round_ + 1)
        )
    ]
    assert streaks  # 15 % random skips make some
    for project, org, round_ in streaks:
        assert project.truth("SILENT_PARTNER", round_, org) is None
        answered_next = round_ < flags.ROUNDS and org in project.answers[round_][1]
        if answered_next:
            assert project.truth("SILENT_PARTNER", round_ + 1, org) is None  # the flag shown while it was open
    answered = next(
        (p, org) for p in projects if p.situation == "healthy" for org in p.answers[1][1] if org in p.answers[0][1]
    )
    assert answered[0].truth("SILENT_PARTNER", 2, answered[1]) is False


def test_disengaging_projects_answer_less_from_the_onset() -> None:
    rng = random.Random(8)
    projects = [p for p in (flags.simulate(rng) for _ in range(800)) if p.situation == "disengaging"]
    assert len(projects) > 40

    def share(rounds: range) -> float:
        given = sum(len(p.answers[r - 1][1]) for p in projects for r in rounds)
        return given / sum(len(p.answers[r - 1][0]) for p in projects for r in rounds)

    assert share(range(1, flags.ONSET)) > 0.8 and share(range(flags.ONSET, flags.ROUNDS + 1)) < 0.55
    assert all(p.truth("RESPONSE_RATE_DROP", flags.ONSET) and not p.truth("RESPONSE_RATE_DROP", 2) for p in projects)


def test_false_alarms_count_only_flags_the_truth_calls_wrong() -> None:
    rng = random.Random(9)
    projects = [flags.simulate(rng) for _ in range(200)]
    healthy = [p for p in projects if p.situation == "healthy"]

    def everything(facts: risk_rules.ProjectFacts, rules: Thresholds) -> list[risk_rules.Finding]:
        """Every judged rule raised about every partner, every time."""
        return [
            risk_rules.Finding(reason, Severity.LOW, {}, organization_id=org)
            for reason in flags.JUDGED
            for org in (facts.partner_names if reason == "SILENT_PARTNER" else [None])
        ]

    figures = flags.measure(healthy, everything, Thresholds())
    wrong = {
        reason: sum(
            any(p.truth(reason, r, org) is False for org in (p.levels[-1] if reason == "SILENT_PARTNER" else [None]))
            for p in healthy
            for r in range(1, flags.ROUNDS + 1)
        )
        for reason in flags.JUDGED
    }
    assert dict(figures.false_alarms) == {reason: count for reason, count in wrong.items() if count}
    assert figures.false_alarms["DECLINING_SATISFACTION"] == figures.healthy_rounds  # always wrong when healthy
    assert figures.false_alarms["SATISFACTION_GAP"] < figures.healthy_rounds  # real gaps are fair either way


def test_the_trade_off_table_moves_with_its_thresholds() -> None:
    rng = random.Random(10)
    projects = [flags.simulate(rng) for _ in range(300)]
    header, *rows = list(flags.trade_off(projects, Thresholds()))
    assert "slow decline" in header and len(rows) == len(flags.TRADE_OFF)
    by_point = {(float(row.split()[0]), float(row.split()[1])): row.split() for row in rows}
    loose, strict = by_point[(0.8, 0.3)], by_point[(0.99, 0.3)]
    assert float(loose[-1]) > float(strict[-1])  # more false alarms at the lower raise probability
    assert float(loose[2]) >= float(strict[2])  # and at least as many slow declines caught
