"""The trend maths and risk rules, on hand-made numbers (pure functions, no servers)."""

import re
from datetime import date

import pytest

from workers.analytics import (
    Goal,
    ProjectFacts,
    RoundFacts,
    Severity,
    Thresholds,
    evaluate,
    health,
    least_squares_slope,
    smoothed,
    theil_sen_slope,
    trend_slope,
)

T = Thresholds()
TODAY = date(2026, 11, 26)
NAMES = {1: "Brandt Maschinenbau GmbH", 2: "Quantivo GmbH", 3: "Nordwerke AG"}


def rnd(
    sequence: int,
    scores: dict[int, int] | None = None,
    *,
    expectations: float | None = None,
    closed: bool = True,
    expected: set[int] | None = None,
) -> RoundFacts:
    scores = scores or {}
    mean = sum(scores.values()) / len(scores) if scores else None
    means = dict.fromkeys(
        ("OVERALL", "EXPECTATIONS_MET", "MUTUAL_BENEFIT", "DECISION_SPEED", "COMMUNICATION_TRUST"), mean
    )
    if expectations is not None:
        means["EXPECTATIONS_MET"] = expectations
    return RoundFacts(
        sequence=sequence,
        closed=closed,
        means=means,
        response_count=len(scores),
        expected=frozenset(expected if expected is not None else NAMES),
        overall_by_organization=scores,
    )


def facts(rounds: list[RoundFacts], **change) -> ProjectFacts:
    values = {
        "phase": "ACTIVE",
        "days_in_phase": 30,
        "has_exit_plan": True,
        "rounds": rounds,
        "partner_names": NAMES,
        "today": TODAY,
    }
    return ProjectFacts(**{**values, **change})


def reasons(project: ProjectFacts) -> set[str]:
    return {finding.reason for finding in evaluate(project, T)}


def steady(score: int, n: int = 6) -> list[RoundFacts]:
    return [rnd(i, {1: score, 2: score, 3: score}) for i in range(1, n + 1)]


# -- trend maths


def test_slopes_on_exact_lines_and_edges() -> None:
    assert least_squares_slope([4.0, 3.5, 3.0, 2.5]) == pytest.approx(-0.5)
    assert theil_sen_slope([1.0, 2.0, 3.0, 4.0, 5.0]) == pytest.approx(1.0)
    assert least_squares_slope([3.0]) is None and theil_sen_slope([]) is None
    assert trend_slope([4.0, 3.0]) is None  # two rounds are no trend
    assert trend_slope([3.0, 3.0, 3.0]) == 0.0  # ties


def test_theil_sen_is_robust_to_one_odd_round_where_least_squares_is_not() -> None:
    values = [4.0, 4.0, 4.0, 4.0, 1.0, 4.0, 4.0]
    assert theil_sen_slope(values) == 0.0
    assert least_squares_slope(values) != 0.0
    assert trend_slope(values) == 0.0  # 5+ rounds use Theil-Sen


def test_smoothing() -> None:
    assert smoothed([]) is None
    assert smoothed([4.0]) == 4.0
    assert smoothed([2.0, 4.0]) == 3.0


# -- rules


def test_healthy_project_raises_nothing_and_scores_high() -> None:
    project = facts(steady(5))
    assert evaluate(project, T) == []
    assert health(project, []).score == 100 and health(project, []).risk_level == "NONE"


def test_one_round_only() -> None:
    assert reasons(facts([rnd(1, {1: 4, 2: 4})])) == set()
    assert reasons(facts([rnd(1, {1: 2, 2: 2}, expectations=4.0)])) == {"LOW_SATISFACTION"}


def test_low_satisfaction_uses_the_latest_round_with_answers() -> None:
    # the last round has no answers yet: the rule looks at round 2
    project = facts([rnd(1, {1: 4, 2: 4}), rnd(2, {1: 2, 2: 3}), rnd(3, {}, closed=False)])
    [finding] = [f for f in evaluate(project, T) if f.reason == "LOW_SATISFACTION"]
    assert finding.evidence["round"] == 2 and finding.evidence["mean"] == 2.5  # the threshold itself holds


def test_declining_by_slope_and_by_drop_with_the_explanation_in_words_and_numbers() -> None:
    project = facts([rnd(1, {1: 5, 2: 4, 3: 4}), rnd(2, {1: 4, 2: 4, 3: 3}), rnd(3, {1: 3, 2: 3, 3: 2})])
    [finding] = [f for f in evaluate(project, T) if f.reason == "DECLINING_SATISFACTION"]
    assert (
        finding.explanation
        == "Overall satisfaction fell from 4.3 to 2.7 over the last 3 rounds (−0.83 per round; best 4.3)."
    )
    assert (
        finding.explanation_de
        == "Die Gesamtzufriedenheit fiel in den letzten 3 Runden von 4,3 auf 2,7 (−0,83 je Runde; bester Wert 4,3)."
    )
    assert finding.severity >= Severity.MEDIUM
    # a slow slide that is not steep enough per round, but ends a full point below the best
    slide = facts([rnd(i, {1: s, 2: s, 3: s}) for i, s in enumerate([5, 5, 5, 4, 4], 1)])
    assert "DECLINING_SATISFACTION" in reasons(slide)


def test_a_slope_is_shown_precisely_enough_to_compare_it_with_its_threshold() -> None:
    """−0.25 per round is above the threshold of −0.3 (the drop of a full point raises the flag): shown with one
    decimal it read "−0.2", as if it were further from the threshold than it is."""
    scores = [[5, 5, 5, 5], [5, 5, 5, 4], [5, 5, 4, 4], [5, 4, 4, 4], [4, 4, 4, 4]]
    slide = facts([rnd(i, dict(enumerate(s, 1)), expected={1, 2, 3, 4}) for i, s in enumerate(scores, 1)])
    [finding] = [f for f in evaluate(slide, T) if f.reason == "DECLINING_SATISFACTION"]
    assert "(−0.25 per round;" in finding.explanation, finding.explanation
    assert "(−0,25 je Runde;" in finding.explanation_de, finding.explanation_de


def test_phases_are_named_in_words_in_every_language() -> None:
    for phase, english, german in [
        ("PARTNER_SEARCH", "partner search", "Partnersuche"),
        ("GOAL_SETTING", "goal setting", "Zielsetzung"),
    ]:
        [finding] = evaluate(facts([], phase=phase, days_in_phase=61), T)
        assert english in finding.explanation and german in finding.explanation_de
        assert phase not in finding.explanation + finding.explanation_de
    [finding] = evaluate(facts([], has_exit_plan=False, days_in_phase=200), T)
    assert "ACTIVE" not in finding.explanation + finding.explanation_de, finding.explanation


def test_adding_a_round_equal_to_the_mean_after_a_flat_history_raises_nothing() -> None:
    assert "DECLINING_SATISFACTION" not in reasons(facts(steady(4, 8)))


def test_satisfaction_gap_names_the_less_satisfied_partner_and_hides_scores_from_partners() -> None:
    project = facts([rnd(1, {1: 5, 2: 2, 3: 4})])
    [finding] = [f for f in evaluate(project, T) if f.reason == "SATISFACTION_GAP"]
    assert finding.organization_id == 2
    assert "Quantivo GmbH rated overall satisfaction 2" in finding.explanation
    assert (
        "2" not in finding.partner_explanation.replace("round 1", "") and "Quantivo GmbH" in finding.partner_explanation
    )


def test_gap_ties_and_a_gap_just_below_the_threshold() -> None:
    assert reasons(facts([rnd(1, {1: 4, 2: 3, 3: 4})])) == set()  # gap 1 < 1.5
    tie = facts([rnd(1, {1: 5, 2: 3, 3: 3})])
    [finding] = [f for f in evaluate(tie, T) if f.reason == "SATISFACTION_GAP"]
    assert finding.organization_id == 2  # equal lowest: the lower id, so the flag stays stable


def test_rounds_with_a_single_answer_have_no_gap_and_suppressed_numbers_for_partners() -> None:
    project = facts([rnd(1, {1: 2}), rnd(2, {1: 1})])
    found = {f.reason: f for f in evaluate(project, T)}
    assert "SATISFACTION_GAP" not in found
    low = found["LOW_SATISFACTION"]
    assert "1.0" in low.explanation and "1.0" not in low.partner_explanation


def test_silent_partner_and_a_partner_who_joined_late() -> None:
    rounds = [
        rnd(1, {1: 4, 2: 4}, expected={1, 2}),  # partner 3 joined later: not expected in round 1
        rnd(2, {1: 4, 2: 4}, expected={1, 2, 3}),
        rnd(3, {1: 4, 2: 4}, expected={1, 2, 3}),
    ]
    [finding] = [f for f in evaluate(facts(rounds), T) if f.reason == "SILENT_PARTNER"]
    assert finding.organization_id == 3 and finding.evidence["missedRounds"] == [2, 3]
    # only one missed round since joining: not silent yet
    assert "SILENT_PARTNER" not in reasons(facts(rounds[:2]))
    # an open round does not count
    assert "SILENT_PARTNER" not in reasons(facts([*rounds[:2], rnd(3, {1: 4, 2: 4}, closed=False)]))


def test_unmet_expectations_by_score_or_by_an_overdue_goal() -> None:
    assert "UNMET_EXPECTATIONS" in reasons(facts([rnd(1, {1: 4, 2: 4, 3: 4}, expectations=2.0)]))
    assert "UNMET_EXPECTATIONS" not in reasons(facts([rnd(1, {1: 4, 2: 4, 3: 4}, expectations=2.1)]))
    overdue = facts(steady(4), overdue_goals=[Goal("Pilot at two sites", date(2026, 9, 1))])
    [finding] = [f for f in evaluate(overdue, T) if f.reason == "UNMET_EXPECTATIONS"]
    assert "1 goal is past due" in finding.explanation and finding.evidence["daysOverdue"] == 86


def test_time_based_rules() -> None:
    assert reasons(facts([], has_exit_plan=False, days_in_phase=90)) == set()
    assert reasons(facts([], has_exit_plan=False, days_in_phase=91)) == {"NO_EXIT_PLAN"}
    assert reasons(facts([], phase="PARTNER_SEARCH", days_in_phase=61, has_exit_plan=False)) == {"STALLED"}
    assert reasons(facts([], phase="PARTNER_SEARCH", days_in_phase=60)) == set()
    # ended projects raise nothing, however they ended
    assert reasons(facts(steady(1), phase="TERMINATED", has_exit_plan=False, days_in_phase=400)) == set()


def test_severity_grows_with_distance_and_with_the_number_of_rules_holding() -> None:
    slight = [f for f in evaluate(facts([], has_exit_plan=False, days_in_phase=100), T)]
    far = [f for f in evaluate(facts([], has_exit_plan=False, days_in_phase=400), T)]
    assert slight[0].severity == Severity.LOW and far[0].severity == Severity.HIGH
    # low satisfaction alone, then together with two more rules: one step worse
    alone = facts([rnd(1, {1: 2, 2: 2, 3: 3})])
    crowded = facts([rnd(1, {1: 2, 2: 2, 3: 3}, expectations=1.5)], has_exit_plan=False, days_in_phase=100)
    severity = {f.reason: f.severity for f in evaluate(alone, T)}["LOW_SATISFACTION"]
    assert {f.reason: f.severity for f in evaluate(crowded, T)}["LOW_SATISFACTION"] == severity + 1


def test_health_score_and_risk_level() -> None:
    sad = facts([rnd(1, {1: 2, 2: 2, 3: 2})], has_exit_plan=False, days_in_phase=200)
    findings = evaluate(sad, T)
    result = health(sad, findings)
    assert result.risk_level == max(f.severity for f in findings).name
    assert 0 <= result.score < health(facts(steady(4)), []).score
    assert (
        result.risk_rank
        > health(
            facts([rnd(1, {1: 4, 2: 4, 3: 4})], has_exit_plan=False, days_in_phase=100),
            evaluate(facts([rnd(1, {1: 4, 2: 4, 3: 4})], has_exit_plan=False, days_in_phase=100), T),
        ).risk_rank
    )


def test_every_finding_explains_itself_in_english_and_german() -> None:
    """Each rule, made to hold, says why in both languages; German with decimal commas and German phase names."""
    overdue = [Goal("Pilotlinie in Betrieb", date(2026, 1, 1))]
    everything = facts(
        [rnd(1, {1: 5, 2: 4, 3: 4}), rnd(2, {1: 4, 2: 3}), rnd(3, {1: 1, 2: 4}, expectations=1.5)],
        overdue_goals=overdue,
        today=date(2026, 3, 1),
    )
    findings = evaluate(everything, T)
    assert {f.reason for f in findings} >= {"LOW_SATISFACTION", "DECLINING_SATISFACTION", "SATISFACTION_GAP",
                                            "UNMET_EXPECTATIONS"}  # fmt: skip
    for finding in findings:
        assert finding.explanation and finding.explanation_de and finding.partner_explanation_de, finding.reason
        assert finding.explanation_de != finding.explanation
        assert not re.search(r"\d\.\d", finding.explanation_de), finding.explanation_de  # 2,5 not 2.5
    unmet = next(f for f in findings if f.reason == "UNMET_EXPECTATIONS")
    assert "„Pilotlinie in Betrieb“" in unmet.explanation_de and "überfällig" in unmet.explanation_de
    [stalled] = evaluate(facts([], phase="PARTNER_SEARCH", days_in_phase=100), T)
    assert stalled.explanation_de == "Das Projekt steht seit 100 Tagen in der Phase „Partnersuche“, ohne voranzukommen."
