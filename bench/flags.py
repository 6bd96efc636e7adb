"""How often are the risk rules right? `python -m bench.flags` (about a minute) or `--quick` (seconds).

A simulation with known ground truth: small projects (2-6 partners answering a 1-5 scale with a person's
noise of SD 0.5-0.8, 85 % of partners answering a round, some joining late) over ten survey rounds, each
telling one planted story from round 5 on (the onset): healthy (flat), slow decline (−0.3 a round), sudden
drop (−1.5), asymmetry (one partner −2.0), a partner going silent, recovery after a dip (rounds 3-4). Each
round is evaluated twice, as the workers do: while it is open with its first answer, and once it has closed.
Both rule sets (the frozen baseline of bench/baseline_rules.py and today's domain/risk_rules/) run on the
same facts; per rule it prints precision, recall within two rounds of onset, rounds from onset to detection,
false alarms per 100 healthy project-rounds and flapping (raised, resolved, raised again within three rounds).
"""

import argparse
import asyncio
import dataclasses
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from statistics import median

import asyncpg

from bench import baseline_rules
from bench.system import fresh_database
from db.pool import init_connection
from domain import risk_rules
from domain.risk_rules import Finding, ProjectFacts, RoundFacts, Thresholds
from domain.risk_rules.estimates import level
from domain.risk_rules.facts import known_rounds, series
from domain.vocabulary import DIMENSIONS, Dimension
from workers.recompute import recompute

ROUNDS = 10
ONSET = 5
ANSWER_RATE = 0.85
FLAP_ROUNDS = 3
SITUATIONS = {"healthy": 40, "decline": 12, "drop": 12, "asymmetry": 12, "silent": 12, "recovery": 12,
              "disengaging": 12}  # fmt: skip
# in a disengaging project every partner answers a round with this chance from the onset on
DISENGAGED_ANSWER_RATE = 0.45
# a partner that has in fact missed this many rounds in a row is fairly flagged silent, whatever the cause
SILENT_STREAK = 3
# rules the simulation can judge (time rules need no statistics); EARLY_SIGNAL is counted, not judged
JUDGED = (
    "LOW_SATISFACTION",
    "DECLINING_SATISFACTION",
    "SATISFACTION_GAP",
    "SILENT_PARTNER",
    "RESPONSE_RATE_DROP",
    "UNMET_EXPECTATIONS",
)
# which flag a planted story must raise (the target: within two rounds of onset)
EXPECTED = {
    "decline": ("DECLINING_SATISFACTION", "LOW_SATISFACTION"),
    "drop": ("DECLINING_SATISFACTION", "LOW_SATISFACTION"),
    "asymmetry": ("SATISFACTION_GAP",),
    "silent": ("SILENT_PARTNER", "RESPONSE_RATE_DROP"),
    "disengaging": ("RESPONSE_RATE_DROP", "SILENT_PARTNER"),
    "recovery": ("DECLINING_SATISFACTION", "LOW_SATISFACTION"),
}

SILENT_ORGANIZATION = 1

Evaluate = Callable[[ProjectFacts, Thresholds], list[Finding]]


@dataclass
class Project:
    situation: str
    noise: float
    levels: list[dict[int, float]]  # per round: partner -> true level (overall) of the partners expected
    states: list[ProjectFacts] = field(default_factory=list)  # two per round: open (first answer), closed
    # per round: who was expected, each answer (overall, expectations met), who answered first
    answers: list[tuple[frozenset[int], dict[int, tuple[int, int]], int | None]] = field(default_factory=list)

    def truth(self, reason: str, round_: int, organization: int | None = None) -> bool | None:
        """Whether the rule should hold at `round_` (1-based); None where either answer is fair. SILENT_PARTNER
        is judged per flagged partner: the planted one, or one that really missed SILENT_STREAK rounds in a row
        (with 15 % random skips that happens to healthy partners too, and the flag's statement is then true)."""
        if reason == "SILENT_PARTNER":
            return self._silent_truth(round_, organization)
        levels = self.levels[round_ - 1]
        mean = sum(levels.values()) / len(levels)
        if reason == "LOW_SATISFACTION":
            return True if mean <= 2.5 else None if mean <= 2.75 else False
        if reason == "UNMET_EXPECTATIONS":
            return True if mean - 0.3 <= 2.0 else None if mean - 0.3 <= 2.25 else False
        if reason == "SATISFACTION_GAP":
            gap = max(levels.values()) - min(levels.values())
            return True if gap >= 1.5 else None if gap >= 1.0 else False
        after = round_ >= ONSET
        if reason == "DECLINING_SATISFACTION":
            if self.situation in ("decline", "drop"):
                return after
            if self.situation == "recovery":
                return True if round_ in (3, 4) else None if round_ in (5, 6) else False
            return None if self.situation == "asymmetry" and after else False
        if reason == "RESPONSE_RATE_DROP":
            return self.situation in ("silent", "disengaging") and after
        return None

    def _silent_truth(self, round_: int, organization: int | None) -> bool | None:
        if self.situation == "silent" and organization == SILENT_ORGANIZATION and round_ >= ONSET:
            return True if round_ > ONSET else None
        if self.situation == "disengaging" and round_ >= ONSET:
            return None
        # a flag shown during round k stems from the rounds closed by then: up to k (closed) or k - 1 (open)
        return None if max(self._streak(organization, end) for end in (round_ - 1, round_)) >= SILENT_STREAK else False

    def _streak(self, organization: int | None, end: int) -> int:
        """How many rounds in a row up to `end` the partner was expected in and did not answer."""
        streak = 0
        for expected, answers, _ in reversed(self.answers[:end]):
            if organization not in expected or organization in answers:
                break
            streak += 1
        return streak


def simulate(rng: random.Random) -> Project:
    situation = rng.choices(list(SITUATIONS), weights=list(SITUATIONS.values()))[0]
    size = rng.randint(2, 6)
    noise = rng.uniform(0.5, 0.8)
    base = rng.uniform(3.3, 4.3)
    offset = {org: rng.gauss(0, 0.3) for org in range(1, size + 1)}
    joins = dict.fromkeys(offset, 1)
    if size >= 3 and rng.random() < 0.3:
        joins[size] = rng.randint(2, 4)
    silent, unhappy = SILENT_ORGANIZATION, size  # the first partner goes silent; the last (the startup) grows unhappy
    names = {org: f"Partner {org}" for org in offset}
    project = Project(situation, noise, [])
    closed: list[RoundFacts] = []
    for round_ in range(1, ROUNDS + 1):
        shift = 0.0
        if situation == "decline" and round_ >= ONSET:
            shift = -0.3 * (round_ - ONSET + 1)
        elif (situation == "drop" and round_ >= ONSET) or (situation == "recovery" and round_ in (3, 4)):
            shift = -1.5
        expected = [org for org in offset if joins[org] <= round_]
        levels = {org: base + offset[org] + shift - (2.0 if situation == "asymmetry" and org == unhappy
                                                      and round_ >= ONSET else 0.0) for org in expected}  # fmt: skip
        project.levels.append(levels)
        answers: dict[int, tuple[int, int]] = {}
        rate = DISENGAGED_ANSWER_RATE if situation == "disengaging" and round_ >= ONSET else ANSWER_RATE
        for org in expected:
            if rng.random() > rate or (situation == "silent" and org == silent and round_ >= ONSET):
                continue
            answers[org] = tuple(min(5, max(1, round(levels[org] - lift + rng.gauss(0, noise)))) for lift in (0, 0.3))
        order = list(answers)
        rng.shuffle(order)
        first = {org: answers[org] for org in order[:1]}
        project.answers.append((frozenset(expected), answers, order[0] if order else None))
        open_round = round_facts(round_, False, frozenset(expected), first)
        project.states.append(facts(names, [*closed, open_round]))
        closed.append(round_facts(round_, True, frozenset(expected), answers))
        project.states.append(facts(names, list(closed)))
    return project


def round_facts(
    sequence: int, closed: bool, expected: frozenset[int], answers: dict[int, tuple[int, int]]
) -> RoundFacts:
    def mean(values: list[int]) -> float | None:
        return sum(values) / len(values) if values else None

    overall = mean([a[0] for a in answers.values()])
    means: dict[str, float | None] = dict.fromkeys(DIMENSIONS, overall)
    means["EXPECTATIONS_MET"] = mean([a[1] for a in answers.values()])
    return RoundFacts(
        sequence=sequence,
        closed=closed,
        means=means,
        response_count=len(answers),
        expected=expected,
        overall_by_organization={org: a[0] for org, a in answers.items()},
        answered=frozenset(answers),
    )


def facts(names: dict[int, str], rounds: list[RoundFacts]) -> ProjectFacts:
    return ProjectFacts(phase="ACTIVE", days_in_phase=30, has_exit_plan=True, rounds=rounds, partner_names=names)


@dataclass
class Figures:
    raised: Counter = field(default_factory=Counter)  # reason -> judged project-rounds raised
    correct: Counter = field(default_factory=Counter)
    planted: Counter = field(default_factory=Counter)  # reason -> episodes the rule should catch
    caught: Counter = field(default_factory=Counter)  # … caught within two rounds
    delays: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    healthy_rounds: int = 0
    false_alarms: Counter = field(default_factory=Counter)  # reason -> raised rounds in healthy projects
    healthy_any: int = 0  # healthy project-rounds with any false flag
    raises: Counter = field(default_factory=Counter)
    flaps: Counter = field(default_factory=Counter)
    stories: Counter = field(default_factory=Counter)
    stories_caught: Counter = field(default_factory=Counter)
    story_delays: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    early_signals: int = 0
    healthy_early_signals: int = 0


def measure(projects: list[Project], evaluate: Evaluate, rules: Thresholds) -> Figures:
    figures = Figures()
    for project in projects:
        timeline = _timeline(project, evaluate, rules, figures)
        # per round: reason -> the partners it was raised about (None for a project-wide flag), open or closed
        by_round: list[dict[str, set[int | None]]] = []
        for i in range(ROUNDS):
            raised: dict[str, set[int | None]] = defaultdict(set)
            for reason, organization in timeline[2 * i] | timeline[2 * i + 1]:
                raised[reason].add(organization)
            by_round.append(raised)
        _count_raises_and_flaps(timeline, figures)
        for reason in JUDGED:
            _judge(project, reason, by_round, figures)
        if project.situation == "healthy":
            figures.healthy_rounds += ROUNDS
            for round_, raised in enumerate(by_round, 1):
                figures.healthy_any += any(
                    _verdict(project, reason, round_, flagged) is False
                    for reason, flagged in raised.items()
                    if reason in JUDGED
                )
        else:
            _score_story(project, by_round, figures)
    return figures


def _timeline(
    project: Project, evaluate: Evaluate, rules: Thresholds, figures: Figures
) -> list[set[tuple[str, int | None]]]:
    """The open flags (reason, partner) after each state of the project; early signals are only counted."""
    timeline: list[set[tuple[str, int | None]]] = []
    for state in project.states:
        findings = evaluate(state, rules)
        signals = sum(f.reason == "EARLY_SIGNAL" for f in findings)
        figures.early_signals += signals
        if project.situation == "healthy":
            figures.healthy_early_signals += signals
        timeline.append({(f.reason, f.organization_id) for f in findings if f.reason != "EARLY_SIGNAL"})
    return timeline


def _count_raises_and_flaps(timeline: list[set[tuple[str, int | None]]], figures: Figures) -> None:
    """Each flag's raises, and its flaps: raised again within FLAP_ROUNDS of being resolved."""
    for key in set().union(*timeline):
        off_since: int | None = None
        was_on = False
        for index, keys in enumerate(timeline):
            on = key in keys
            if on and not was_on:
                figures.raises[key[0]] += 1
                if off_since is not None and index - off_since <= 2 * FLAP_ROUNDS:
                    figures.flaps[key[0]] += 1
            if was_on and not on:
                off_since = index
            was_on = on


def _judge(project: Project, reason: str, by_round: list[dict[str, set[int | None]]], figures: Figures) -> None:
    """One reason's flags against the truth: right or wrong as raised, caught how soon after it was planted,
    false alarms in healthy projects."""
    first_true = None
    verdicts: list[bool | None] = []  # per round, of the flag as raised (None: not raised or fair)
    for round_ in range(1, ROUNDS + 1):
        flagged = by_round[round_ - 1].get(reason)
        verdict = _verdict(project, reason, round_, flagged) if flagged else None
        verdicts.append(verdict)
        if verdict is not None:
            figures.raised[reason] += 1
            figures.correct[reason] += verdict
        if first_true is None and _planted(project, reason, round_):
            first_true = round_
    if first_true is not None:
        figures.planted[reason] += 1
        hits = [r for r in range(first_true, ROUNDS + 1) if reason in by_round[r - 1] and verdicts[r - 1] is not False]
        if hits and hits[0] - first_true <= 2:
            figures.caught[reason] += 1
        if hits:
            figures.delays[reason].append(hits[0] - first_true)
    if project.situation == "healthy":
        for verdict in verdicts:
            figures.false_alarms[reason] += verdict is False


def _score_story(project: Project, by_round: list[dict[str, set[int | None]]], figures: Figures) -> None:
    """Whether a troubled project's story was caught by the flags it should raise, and how soon."""
    figures.stories[project.situation] += 1
    start = 3 if project.situation == "recovery" else ONSET
    wanted = EXPECTED[project.situation]
    hits = [r for r in range(start, ROUNDS + 1) if set(wanted) & set(by_round[r - 1])]
    if hits and hits[0] - start <= 2:
        figures.stories_caught[project.situation] += 1
    if hits:
        figures.story_delays[project.situation].append(hits[0] - start)


def _verdict(project: Project, reason: str, round_: int, flagged: set[int | None]) -> bool | None:
    """Whether a flag raised about `flagged` at `round_` was right: wrong if it was wrong about any partner,
    right if right about one, None where every answer is fair."""
    verdicts = [project.truth(reason, round_, organization) for organization in flagged]
    if False in verdicts:
        return False
    return True if True in verdicts else None


def _planted(project: Project, reason: str, round_: int) -> bool:
    if reason == "SILENT_PARTNER":
        return bool(project.truth(reason, round_, SILENT_ORGANIZATION))
    return bool(project.truth(reason, round_))


async def through_the_workers(connection: asyncpg.Connection, projects: list[Project], rules: Thresholds) -> list[str]:
    """The agreement check: each project's rounds written to the database as the API would store them, the
    last round first open with its first answer, then closed, each time recomputed by the workers' own job
    code; its open flags (moderators' view) must be what `evaluate` makes of the simulated facts. Returns
    the differences (none expected)."""
    problems = []
    for number, project in enumerate(projects):
        project_id = await connection.fetchval(
            "INSERT INTO cooperation_projects (title, kind, phase, exit_plan, phase_changed_at) "
            "VALUES ($1, 'RESEARCH', 'ACTIVE', 'agreed', now() - interval '30 days') RETURNING id",
            f"Simulated project {number}",
        )
        organizations = {}
        for org in sorted(project.levels[-1] | project.levels[0]):
            organizations[org] = await connection.fetchval(
                "INSERT INTO organizations (kind, name, industry, city, country) "
                "VALUES ('SME', $1, 'Simulation', 'Berlin', 'DE') RETURNING id",
                f"Simulated {number}-{org}",
            )
            await connection.execute(
                "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, $3)",
                project_id,
                organizations[org],
                "LEAD" if org == 1 else "PARTNER",
            )
        back = {db: org for org, db in organizations.items()}
        for sequence, (expected, answers, first) in enumerate(project.answers, 1):
            last = sequence == len(project.answers)
            round_id = await connection.fetchval(
                "INSERT INTO survey_rounds (project_id, sequence) VALUES ($1, $2) RETURNING id", project_id, sequence
            )
            await connection.executemany(
                "INSERT INTO survey_round_participants (round_id, organization_id) VALUES ($1, $2)",
                [(round_id, organizations[org]) for org in expected],
            )
            order = ([first] if first is not None else []) + [org for org in answers if org != first]
            for index, org in enumerate(order):
                overall, expectations = answers[org]
                await connection.execute(
                    "INSERT INTO survey_responses (round_id, organization_id, overall, expectations_met, "
                    "mutual_benefit, decision_speed, communication_trust, continue_likelihood) "
                    "VALUES ($1, $2, $3, $4, $3, $3, $3, 8)",
                    round_id,
                    organizations[org],
                    overall,
                    expectations,
                )
                if last and index == 0:  # the open round with its first answer, as the workers see it
                    problems += await _compare(connection, project_id, back, project.states[-2], rules, number)
            await connection.execute(
                "UPDATE survey_rounds SET status = 'CLOSED', closed_at = now() WHERE id = $1", round_id
            )
        problems += await _compare(connection, project_id, back, project.states[-1], rules, number)
    return problems


async def _compare(
    connection: asyncpg.Connection, project_id: int, back: dict[int, int], facts: ProjectFacts, rules: Thresholds,
    number: int,
) -> list[str]:  # fmt: skip
    await connection.execute(
        "UPDATE cooperation_projects SET data_version = data_version + 1 WHERE id = $1", project_id
    )
    await recompute(connection, project_id, rules)
    rows = await connection.fetch(
        "SELECT reason::text, organization_id, severity::text FROM risk_flags "
        "WHERE project_id = $1 AND audience = 'FULL' AND resolved_at IS NULL",
        project_id,
    )
    stored = sorted((r["reason"], back.get(r["organization_id"]), r["severity"]) for r in rows)
    expected = sorted((f.reason, f.organization_id, f.severity.name) for f in risk_rules.evaluate(facts, rules))
    return [] if stored == expected else [f"project {number}: workers {stored}, evaluate {expected}"]


def _ratio(part: float, whole: float) -> str:
    return f"{part / whole:.2f}" if whole else "–"


def _median(values: list[int]) -> str:
    return f"{median(values):.1f}" if values else "–"


def report(before: Figures, after: Figures) -> Iterator[str]:
    yield f"{'rule':<24}{'precision':>16}{'recall≤2':>14}{'delay':>12}{'FA/100':>14}{'flapping':>14}"
    yield f"{'':<24}{'before  after':>16}{'before after':>14}{'bef. aft.':>12}{'before after':>14}{'before after':>14}"
    for reason in JUDGED:
        cells = []
        for pair in (
            (_ratio(f.correct[reason], f.raised[reason]) for f in (before, after)),
            (_ratio(f.caught[reason], f.planted[reason]) for f in (before, after)),
            (_median(f.delays[reason]) for f in (before, after)),
            (f"{100 * f.false_alarms[reason] / max(1, f.healthy_rounds):.1f}" for f in (before, after)),
            (_ratio(f.flaps[reason], f.raises[reason]) for f in (before, after)),
        ):
            a, b = pair
            cells.append(f"{a:>6} {b:>6}")
        yield f"{reason:<24}{cells[0]:>16}{cells[1]:>14}{cells[2]:>12}{cells[3]:>14}{cells[4]:>14}"
    yield ""
    yield f"{'story (onset)':<24}{'caught ≤2 rounds':>20}{'median delay':>16}"
    for story in SITUATIONS:
        if story == "healthy":
            continue
        pair = " ".join(f"{_ratio(f.stories_caught[story], f.stories[story]):>6}" for f in (before, after))
        delay = " ".join(f"{_median(f.story_delays[story]):>6}" for f in (before, after))
        yield f"{story:<24}{pair:>20}{delay:>16}"
    yield ""
    for label, f in (("before", before), ("after", after)):
        total = sum(f.raises.values())
        yield (
            f"{label}: false alarms {100 * sum(f.false_alarms.values()) / max(1, f.healthy_rounds):.1f} per 100 "
            f"healthy project-rounds ({100 * f.healthy_any / max(1, f.healthy_rounds):.1f} with any false flag); "
            f"flapping {_ratio(sum(f.flaps.values()), total)} of {total} raised flags; "
            f"early signals (moderators only) {f.early_signals}, "
            f"{100 * f.healthy_early_signals / max(1, f.healthy_rounds):.1f} per 100 healthy open rounds"
        )


# the slow decline's trade-off: (raise_probability, decline_margin) pairs around the defaults
TRADE_OFF = ((0.8, 0.3), (0.9, 0.3), (0.95, 0.3), (0.99, 0.3), (0.9, 0.15), (0.95, 0.15), (0.9, 0.0), (0.95, 0.0))


def trade_off(projects: list[Project], rules: Thresholds) -> Iterator[str]:
    """Recall of slow declines and drops within two rounds against false alarms, for the operating points of
    TRADE_OFF (on the healthy, declining and dropping projects only: the others do not move these figures)."""
    subset = [p for p in projects if p.situation in ("healthy", "decline", "drop")]
    yield f"{'raise p':>8}{'margin':>8}{'slow decline ≤2':>17}{'drop ≤2':>9}{'DECLINING FA/100':>18}{'all FA/100':>12}"
    for probability, margin in TRADE_OFF:
        point = dataclasses.replace(rules, raise_probability=probability, decline_margin=margin)
        f = measure(subset, risk_rules.evaluate, point)
        yield (
            f"{probability:>8.3f}{margin:>8.2f}{_ratio(f.stories_caught['decline'], f.stories['decline']):>17}"
            f"{_ratio(f.stories_caught['drop'], f.stories['drop']):>9}"
            f"{100 * f.false_alarms['DECLINING_SATISFACTION'] / max(1, f.healthy_rounds):>18.1f}"
            f"{100 * sum(f.false_alarms.values()) / max(1, f.healthy_rounds):>12.1f}"
        )


def prior_effect(projects: list[Project], rules: Thresholds) -> str:
    """What the portfolio prior (workers/recompute.py fills it from the published portfolio) changes: only a
    first round has no history to be shrunk toward, so the first closed round of every project is judged with
    and without it (the prior: the mean of every simulated answer, as the portfolio would hold it)."""
    answers = [a for p in projects for _, given, _ in p.answers for a in given.values()]
    prior = dict.fromkeys(DIMENSIONS, sum(a[0] for a in answers) / len(answers))
    prior["EXPECTATIONS_MET"] = sum(a[1] for a in answers) / len(answers)
    errors: dict[bool, list[float]] = {False: [], True: []}
    changed = 0
    for project in projects:
        first = project.states[1]  # round 1, closed
        truth = sum(project.levels[0].values()) / len(project.levels[0])
        outcomes = []
        for with_prior in (False, True):
            state = dataclasses.replace(first, portfolio_means=prior if with_prior else {})
            found = level(series(known_rounds(state, rules), Dimension.OVERALL), rules,
                          state.portfolio_means.get("OVERALL"))  # fmt: skip
            if found is not None:
                errors[with_prior].append((found.estimate - truth) ** 2)
            outcomes.append({(f.reason, f.organization_id) for f in risk_rules.evaluate(state, rules)})
        changed += outcomes[0] != outcomes[1]
    rmse = {key: (sum(v) / len(v)) ** 0.5 if v else 0.0 for key, v in errors.items()}
    return (
        f"portfolio prior ({prior['OVERALL']:.2f}): first-round level error (RMSE, the health score's base) "
        f"{rmse[False]:.2f} without, {rmse[True]:.2f} with; flags changed in {changed} of {len(projects)} first rounds"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 projects instead of 2000")
    parser.add_argument("--projects", type=int, default=None)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--no-trade-off", action="store_true", help="skip the slow decline's trade-off table")
    parser.add_argument(
        "--rule",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a threshold of the current rules changed for this run (domain.risk_rules.Thresholds), e.g. "
        "raise_probability=0.9; repeatable",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        metavar="N",
        help="also pass the first N projects through the real workers on a fresh database (DATABASE_URL's "
        "server, or an embedded one) and compare their flags with the rules'",
    )
    options = parser.parse_args()
    count = options.projects or (300 if options.quick else 2000)
    rng = random.Random(options.seed)
    projects = [simulate(rng) for _ in range(count)]
    defaults = Thresholds()
    changes = {}
    for item in options.rule:
        name, _, value = item.partition("=")
        if not hasattr(defaults, name) or not value:
            parser.error(f"--rule {item}: expected NAME=VALUE with NAME a field of Thresholds")
        try:
            changes[name] = type(getattr(defaults, name))(value)
        except ValueError:
            parser.error(f"--rule {item}: {value!r} is not a {type(getattr(defaults, name)).__name__}")
    rules = dataclasses.replace(defaults, **changes)
    started = time.perf_counter()
    before = measure(projects, baseline_rules.evaluate, baseline_rules.BASELINE)
    middle = time.perf_counter()
    after = measure(projects, risk_rules.evaluate, rules)
    done = time.perf_counter()
    print(f"{count} simulated projects, {ROUNDS} rounds each, seed {options.seed}"
          + "".join(f", {item}" for item in options.rule) + "; "
          f"baseline {middle - started:.1f} s, current {done - middle:.1f} s")  # fmt: skip
    for line in report(before, after):
        print(line)
    print(prior_effect(projects, rules))
    if not options.no_trade_off:
        print()
        print("trade-off (current rules, one threshold pair changed at a time):")
        for line in trade_off(projects, rules):
            print(line)
    if options.workers:
        subset = projects[: options.workers]
        with fresh_database("flags") as (dsn, _):
            problems = asyncio.run(_through_the_workers(dsn, subset, rules))
        print(f"workers: {len(subset)} projects stored and recomputed twice each (last round open, then closed): "
              + ("flags agree with the rules" if not problems else f"{len(problems)} differ"))  # fmt: skip
        for problem in problems:
            print("  " + problem)


async def _through_the_workers(dsn: str, projects: list[Project], rules: Thresholds) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        await init_connection(connection)
        return await through_the_workers(connection, projects, rules)
    finally:
        await connection.close()


if __name__ == "__main__":
    main()
