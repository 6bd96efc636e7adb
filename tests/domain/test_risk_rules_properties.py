"""Properties of the trend maths and the rules, on generated data (hypothesis)."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.disclosure import release_facts
from domain.explanations import LANGUAGES
from domain.risk_rules import Goal, Thresholds, evaluate, health
from domain.risk_rules.facts import suppressed
from domain.trends import least_squares_slope, theil_sen_slope, trend_slope
from tests.helpers.risk_rules import facts, rnd
from workers.recompute import evaluate_views

T = Thresholds()
means = st.floats(min_value=1.0, max_value=5.0, allow_nan=False)
scores = st.integers(min_value=1, max_value=5)


@given(st.lists(means, min_size=3, max_size=12, unique=True).map(sorted))
def test_the_slope_sign_follows_the_data(values: list[float]) -> None:
    assert trend_slope(values) > 0
    assert trend_slope(list(reversed(values))) < 0


@given(st.floats(min_value=1, max_value=5), st.integers(min_value=3, max_value=12))
def test_a_flat_series_has_no_slope(value: float, n: int) -> None:
    assert abs(trend_slope([value] * n)) < 1e-9


@given(
    st.floats(min_value=1, max_value=5),
    st.floats(min_value=-0.5, max_value=0.5),
    st.integers(min_value=5, max_value=12),
    st.integers(min_value=0, max_value=11),
    st.floats(min_value=-10, max_value=10),
)
def test_one_odd_round_does_not_move_theil_sen_on_a_steady_trend(start, step, n, index, odd) -> None:
    line = [start + step * i for i in range(n)]
    changed = list(line)
    changed[index % n] = odd
    assert abs(theil_sen_slope(changed) - step) < 1e-9


@settings(max_examples=200)
@given(st.integers(min_value=3, max_value=5), st.integers(min_value=3, max_value=10))
def test_adding_a_round_equal_to_the_mean_never_raises_declining(score: int, rounds: int) -> None:
    history = [rnd(i, {1: score, 2: score, 3: score}) for i in range(1, rounds + 1)]
    history.append(rnd(rounds + 1, {1: score, 2: score, 3: score}))
    assert "DECLINING_SATISFACTION" not in {f.reason for f in evaluate(facts(history), T)}


@settings(max_examples=300)
@given(
    st.lists(st.dictionaries(st.sampled_from([1, 2, 3]), scores, min_size=1, max_size=3), min_size=1, max_size=8),
    st.booleans(),
)
def test_what_partners_read_does_not_move_with_answers_of_too_small_rounds(rounds, last_open) -> None:
    """Plain partners read the findings of the released facts. Answers of a round with fewer answers than the
    group size (or of the open round) changed, everything else kept: their findings, evidence and
    explanations in every language stay exactly the same, so no number of theirs rests on those answers."""
    closed = [not (last_open and i == len(rounds) - 1) for i in range(len(rounds))]
    hidden = [not c or suppressed(len(answers), T.min_group_size) for answers, c in zip(rounds, closed, strict=True)]
    other = [
        {o: 6 - s for o, s in answers.items()} if h else answers for answers, h in zip(rounds, hidden, strict=True)
    ]

    def partners_read(scored: list[dict[int, int]]) -> list[tuple]:
        views = evaluate_views(
            facts([rnd(i + 1, a, closed=c) for i, (a, c) in enumerate(zip(scored, closed, strict=True))]), T
        )
        return [(f.reason, f.organization_id, f.severity, f.evidence, *(f.explanation(lang) for lang in LANGUAGES))
                for f in views.partner_findings] + [views.partner_health]  # fmt: skip

    assert partners_read(rounds) == partners_read(other)


@given(st.integers(min_value=0, max_value=50), st.integers(min_value=1, max_value=10))
def test_suppression_is_exactly_below_the_group_size(count: int, group: int) -> None:
    assert suppressed(count, group) == (count < group)


@given(st.lists(means, min_size=2, max_size=12))
def test_least_squares_is_exact_on_lines(values: list[float]) -> None:
    start, step = values[0], (values[-1] - values[0]) / 10
    line = [start + step * i for i in range(len(values))]
    assert abs(least_squares_slope(line) - step) < 1e-9


history_rounds = st.lists(
    st.dictionaries(st.sampled_from([1, 2, 3]), scores, min_size=0, max_size=3), min_size=0, max_size=10
)


@settings(max_examples=300)
@given(history_rounds, scores, st.sampled_from([1, 2, 3]))
def test_a_lone_early_answer_changes_no_flag_and_no_health(rounds, score, who) -> None:
    """One answer in an open round of three expected partners never raises, resolves or changes a flag (it may
    add a moderators' early signal) and never moves the health score: the round counts once it has its quorum."""
    history = [rnd(i + 1, answers) for i, answers in enumerate(rounds)]
    before = facts(history)
    after = facts([*history, rnd(len(history) + 1, {who: score}, closed=False)])
    found = evaluate(after, T)
    assert [f for f in found if f.reason != "EARLY_SIGNAL"] == evaluate(before, T)
    assert health(after, found, T) == health(before, evaluate(before, T), T)


@settings(max_examples=300)
@given(history_rounds, st.booleans())
def test_rules_on_released_facts_never_use_what_was_withheld(rounds, last_open) -> None:
    history = [rnd(i + 1, answers, closed=not (last_open and i == len(rounds) - 1)) for i, answers in enumerate(rounds)]
    released = release_facts(facts(history), T.min_group_size)
    found = evaluate(released, T)
    assert not {f.reason for f in found} & {"EARLY_SIGNAL", "SATISFACTION_GAP"}
    assert 0 <= health(released, found, T).score <= 100
    for finding in evaluate(facts(history), T) + found:
        assert 0.0 <= finding.evidence.get("probability", 0.0) <= 1.0


@settings(max_examples=300)
@given(
    st.lists(
        st.one_of(st.just({}), st.fixed_dictionaries({1: scores, 2: scores, 3: scores}), st.dictionaries(
            st.sampled_from([1, 2, 3]), scores, min_size=1, max_size=2)),
        min_size=1,
        max_size=10,
    ),
    st.booleans(),
    st.booleans(),
)  # fmt: skip
def test_the_partners_shortcut_gives_what_the_released_facts_give(rounds, last_open, overdue) -> None:
    """evaluate_views skips the second evaluation when every round is released; the partners' findings and
    health must be exactly those of the rules run on the released facts."""
    history = [rnd(i + 1, answers, closed=not (last_open and i == len(rounds) - 1)) for i, answers in enumerate(rounds)]
    project = facts(history, overdue_goals=[Goal("Pilot", date(2026, 1, 1))] if overdue else [])
    views = evaluate_views(project, T)
    released = release_facts(project, T.min_group_size)
    expected = evaluate(released, T)
    assert views.partner_findings == expected
    assert views.partner_health == health(released, expected, T)
    assert views.findings == evaluate(project, T)
