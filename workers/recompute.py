"""One project's full recomputation: statistics (set-based SQL), trends, rules, health, flags."""

from dataclasses import dataclass

import asyncpg

from db import flags
from db import portfolio as portfolio_sql
from db import recompute as recompute_sql
from domain import risk_rules
from domain.disclosure import release_facts, released_round
from domain.events import FlagEvent
from domain.explanations import render_all
from domain.risk_rules import Goal, ProjectFacts, RoundFacts, Thresholds
from domain.trends import TREND_WINDOW, smoothed, trend_slope
from domain.vocabulary import ANSWERING_ROLES, DIMENSIONS, MEAN_COLUMN, FlagAudience
from partnerpulse.settings import Settings


@dataclass(frozen=True)
class Recomputed:
    version: int
    events: list[FlagEvent]


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds(
        low_satisfaction=settings.rule_low_satisfaction,
        decline_slope=settings.rule_decline_slope,
        decline_drop=settings.rule_decline_drop,
        satisfaction_gap=settings.rule_satisfaction_gap,
        silent_rounds=settings.rule_silent_rounds,
        unmet_expectations=settings.rule_unmet_expectations,
        no_exit_plan_days=settings.rule_no_exit_plan_days,
        stalled_days=settings.rule_stalled_days,
        min_group_size=settings.min_group_size,
        decline_margin=settings.rule_decline_margin,
        silent_chance=settings.rule_silent_chance,
        response_rate_chance=settings.rule_response_rate_chance,
        raise_probability=settings.rule_raise_probability,
        resolve_probability=settings.rule_resolve_probability,
        open_round_quorum=settings.rule_open_round_quorum,
        answer_noise=settings.rule_answer_noise,
        level_drift=settings.rule_level_drift,
        portfolio_spread=settings.rule_portfolio_spread,
    )


def facts_from_rows(
    project: asyncpg.Record, rounds: list[asyncpg.Record], portfolio_means: dict[str, float] | None = None
) -> ProjectFacts:
    return ProjectFacts(
        portfolio_means=portfolio_means or {},
        phase=project["phase"],
        days_in_phase=project["days_in_phase"],
        has_exit_plan=project["has_exit_plan"],
        rounds=[
            RoundFacts(
                sequence=row["sequence"],
                closed=row["closed"],
                means={dimension: row[column] for dimension, column in MEAN_COLUMN.items()},
                response_count=row["response_count"],
                expected=frozenset(row["expected"]),
                overall_by_organization=dict(zip(row["answered_by"], row["overall_scores"], strict=True)),
                answered=frozenset(row["answered_by"]),
            )
            for row in rounds
        ],
        partner_names=dict(zip(project["partner_ids"], project["partner_names"], strict=True)),
        overdue_goals=[
            Goal(title, due) for title, due in zip(project["overdue_titles"], project["overdue_dates"], strict=True)
        ],
        today=project["today"],
    )


@dataclass(frozen=True)
class Views:
    """What the rules make of a project: in full (moderators, admins) and from released values (partners)."""

    findings: list[risk_rules.Finding]
    health: risk_rules.Health
    partner_findings: list[risk_rules.Finding]
    partner_health: risk_rules.Health

    def desired_flags(self) -> list[flags.DesiredFlag]:
        return [desired_flag(f, FlagAudience.FULL) for f in self.findings] + [
            desired_flag(f, FlagAudience.PARTNERS) for f in self.partner_findings
        ]

    def health_row(self, project_id: int) -> tuple:
        full, partner = self.health, self.partner_health
        return (project_id, full.score, full.risk_level, full.risk_rank,
                partner.score, partner.risk_level, partner.risk_rank)  # fmt: skip


def evaluate_views(facts: ProjectFacts, rules: Thresholds) -> Views:
    holding = risk_rules.holding(facts, rules)
    findings = risk_rules.escalated(holding)
    health = risk_rules.health(facts, findings, rules)
    if not any(r.response_count for r in facts.rounds):  # nothing to withhold: the same results, half the work
        return Views(findings, health, findings, health)
    if all_released(facts, rules.min_group_size):
        # the released facts are the full ones without who answered what: the other rules find the same
        partner_findings = risk_rules.escalated(
            [f for f in holding if f.reason not in risk_rules.READS_INDIVIDUAL_ANSWERS]
        )
        return Views(findings, health, partner_findings, risk_rules.health(facts, partner_findings, rules))
    released = release_facts(facts, rules.min_group_size)
    partner_findings = risk_rules.evaluate(released, rules)
    return Views(findings, health, partner_findings, risk_rules.health(released, partner_findings, rules))


def all_released(facts: ProjectFacts, min_group_size: int) -> bool:
    """Whether partners may know every round's means (rounds without answers have none to withhold)."""
    return all(not r.response_count or released_round(r.response_count, r.closed, min_group_size) for r in facts.rounds)


def trends(facts: ProjectFacts) -> list[tuple[str, float | None, float | None, int]]:
    rows: list[tuple[str, float | None, float | None, int]] = []
    for dimension in DIMENSIONS:
        values = [float(m) for r in facts.rounds if (m := r.means[dimension]) is not None][-TREND_WINDOW:]
        rows.append((dimension, trend_slope(values), smoothed(values), len(values)))
    return rows


Evaluated = tuple[list[tuple], list[tuple], dict[int, list[flags.DesiredFlag]]]


def evaluate_projects(
    projects: list[asyncpg.Record],
    rounds_by_project: dict[int, list[asyncpg.Record]],
    rules: Thresholds,
    portfolio_means: dict[str, float] | None = None,
) -> Evaluated:
    """Trend rows, health rows and the flags that should be open, of each project (rows of
    `projects_for_rules`), in the order given: for a job's batch and for the bulk recomputation alike."""
    trend_rows, health_rows = [], []
    desired: dict[int, list[flags.DesiredFlag]] = {}
    for project in projects:
        facts = facts_from_rows(project, rounds_by_project.get(project["id"], []), portfolio_means)
        views = evaluate_views(facts, rules)
        trend_rows += [(project["id"], *trend) for trend in trends(facts)]
        health_rows.append(views.health_row(project["id"]))
        desired[project["id"]] = views.desired_flags()
    return trend_rows, health_rows, desired


async def recompute(connection: asyncpg.Connection, project_id: int, rules: Thresholds) -> Recomputed | None:
    """Idempotent: the same data gives the same statistics and flags. None when the project is gone."""
    return (await recompute_many(connection, [project_id], rules))[project_id]


async def recompute_many(
    connection: asyncpg.Connection, project_ids: list[int], rules: Thresholds
) -> dict[int, Recomputed | None]:
    """`recompute` of several projects together (a batch of jobs), in as many statements as one takes: each
    project's results are those it would get alone. None for a project that is gone."""
    ids = sorted(set(project_ids))
    await recompute_sql.lock_projects_recomputation(connection, ids)
    try:
        # one snapshot: the versions read belong to exactly the data aggregated
        async with connection.transaction(isolation="repeatable_read"):
            versions = await recompute_sql.data_versions(connection, ids)
            present = [project_id for project_id in ids if project_id in versions]
            if not present:
                return dict.fromkeys(ids)
            await recompute_sql.recompute_round_statistics(connection, present)
            projects = {
                row["id"]: row for row in await recompute_sql.projects_for_rules(connection, present, ANSWERING_ROLES)
            }
            rounds: dict[int, list[asyncpg.Record]] = {project_id: [] for project_id in present}
            for row in await recompute_sql.rounds_for_rules(connection, present):
                rounds[row["project_id"]].append(row)
            prior = await portfolio_sql.portfolio_prior(connection)
            trend_rows, health_rows, desired = evaluate_projects(
                [projects[project_id] for project_id in present], rounds, rules, prior
            )
            # the bulk recomputation's writers, for these projects
            await recompute_sql.store_trends(connection, trend_rows)
            await recompute_sql.store_health(connection, health_rows)
            changes = await flags.sync_all_flags(connection, desired, present)
            await recompute_sql.mark_computed(
                connection, [(project_id, versions[project_id]) for project_id in present]
            )
    finally:
        await recompute_sql.unlock_projects_recomputation(connection, ids)
    events: dict[int, list[FlagEvent]] = {project_id: [] for project_id in present}
    for change in changes:
        events[change.project_id].append(FlagEvent(change.flag_id, change.project_id, change.change))
    return {
        project_id: Recomputed(versions[project_id], events[project_id]) if project_id in versions else None
        for project_id in ids
    }


def desired_flag(finding: risk_rules.Finding, audience: FlagAudience) -> flags.DesiredFlag:
    """A partner finding was computed from released values only: its explanation is what partners read."""
    return flags.DesiredFlag(
        audience=audience,
        reason=str(finding.reason),
        organization_id=finding.organization_id,
        severity=finding.severity.name,
        explanations=render_all(finding.wording),
        evidence=finding.evidence,
    )
