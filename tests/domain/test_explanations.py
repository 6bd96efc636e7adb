"""The explanation catalogues: every language says everything the rules can say, with the same numbers.

Every finding of the rules' simulation (the projects of `python -m bench.flags --quick`: 300, seed 14), of
those projects' released facts (what plain partners read) and of a few hand-made projects for the variants
the simulation does not reach is rendered in every language; together they use every key of the catalogues.
"""

import dataclasses
import random
import re
from collections.abc import Iterator
from datetime import date

import pytest

from bench import flags
from domain.disclosure import release_facts
from domain.explanations import CATALOGUES, LANGUAGES, Phrase, placeholders, render
from domain.risk_rules import Finding, Goal, ProjectFacts, Thresholds, evaluate
from domain.vocabulary import PHASES_BEFORE_ACTIVE, RiskReason
from tests.helpers.risk_rules import facts, rnd

T = Thresholds()


def phrases(wording: tuple[Phrase, ...] | list[Phrase]) -> Iterator[Phrase]:
    """A finding's phrases and the phrases inside them."""
    for phrase in wording:
        yield phrase
        yield from phrases([value for value in phrase.values.values() if isinstance(value, Phrase)])


def simulated_findings() -> list[Finding]:
    rng = random.Random(14)
    states = [state for _ in range(300) for state in flags.simulate(rng).states]
    found = [f for state in states for f in evaluate(state, T) + evaluate(release_facts(state, T.min_group_size), T)]
    # variants the simulation's projects do not reach: a first round on its own, a trend window too short for a
    # slope, stalled in each phase before ACTIVE, a partner without a name, goals overdue
    steady = [rnd(i, {1: 4, 2: 4, 3: 4}) for i in range(1, 6)]
    fallen = [*steady, rnd(6, {1: 2, 2: 2, 3: 2}), rnd(7, {1: 1, 2: 2, 3: 1})]
    gap = [*steady, rnd(6, {1: 5, 2: 1, 3: 5}), rnd(7, {1: 5, 2: 1, 3: 4})]
    goals = [Goal("Pilotlinie in Betrieb", date(2026, 9, 1)), Goal("Datenzugang", date(2026, 10, 1))]
    made: list[ProjectFacts] = [
        facts([rnd(1, {1: 1, 2: 2, 3: 1})]),
        facts([*steady, rnd(6, {1: 1}, closed=False, expected=set())]),
        facts(gap, partner_names={}),
        facts([], overdue_goals=goals[:1]),
        facts([], overdue_goals=goals, has_exit_plan=False, days_in_phase=400),
        *(facts([], phase=phase, days_in_phase=100) for phase in PHASES_BEFORE_ACTIVE),
    ]
    found += [f for project in made for f in evaluate(project, T)]
    found += evaluate(facts(fallen), dataclasses.replace(T, decline_window=2))
    return found


@pytest.fixture(scope="module")
def findings() -> list[Finding]:
    return simulated_findings()


def test_the_catalogues_have_the_same_keys_and_placeholders() -> None:
    english = CATALOGUES["en"].TEMPLATES
    for language, catalogue in CATALOGUES.items():
        assert catalogue.TEMPLATES.keys() == english.keys(), language
        for key, template in catalogue.TEMPLATES.items():
            assert sorted(placeholders(template)) == sorted(placeholders(english[key])), (language, key)


def test_every_finding_renders_in_every_language_and_every_key_is_used(findings: list[Finding]) -> None:
    assert {f.reason for f in findings} == set(RiskReason)
    used = {phrase.key for f in findings for phrase in phrases(f.wording)}
    phases = {f"phase.{f.evidence['phase']}" for f in findings if f.reason == RiskReason.STALLED}
    assert used | phases | {"phase.ACTIVE"} == CATALOGUES["en"].TEMPLATES.keys()
    for finding in findings:
        texts = {language: render(finding.wording, language) for language in LANGUAGES}  # KeyError: a key missing
        for language, text in texts.items():
            assert text.endswith(".") and (text[0].isupper() or text[0].isdigit()), (language, text)
            assert "{" not in text and "}" not in text and "None" not in text, (language, text)
        assert len(set(texts.values())) == len(texts), texts  # each language its own words


def test_the_languages_state_the_same_numbers(findings: list[Finding]) -> None:
    """Each explanation says in numbers why, and every language says the same numbers (in its own decimal
    point), the uncertainty included ("likely declining (85 % …)")."""

    def numbers(text: str, point: str) -> list[str]:
        return [n.replace(point, ".") for n in re.findall(rf"−?\d+(?:{re.escape(point)}\d+)?", text)]

    for finding in findings:
        english = numbers(render(finding.wording, "en"), ".")
        assert english, finding.reason
        assert sorted(numbers(render(finding.wording, "de"), ",")) == sorted(english), finding.reason
        if "probability" in finding.evidence:
            assert re.search(r"\d+ %", render(finding.wording, "en")), finding.reason


def test_a_missing_template_or_format_is_an_error_not_an_empty_text(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(KeyError):
        render((Phrase("NO_SUCH_RULE"),), "en")
    monkeypatch.setitem(CATALOGUES["en"].TEMPLATES, "test only", "{x:unknown}")
    with pytest.raises(ValueError, match="unknown format"):
        render((Phrase("test only", {"x": 1}),), "en")
