"""All DataLoaders of one request. Created per request: their caches must not outlive it."""

from dataclasses import dataclass
from functools import partial

import asyncpg

from db import flags, invitations, organizations, people, projects, schedules, statistics, surveys
from domain.principal import Principal
from schema.batching import Loader, many_per_key, one_per_key, windowed
from schema.projects.loaders import (
    invitation_loader,
    partner_loader,
    project_count_loader,
    projects_of_organization_loader,
    viewer_role_loader,
)


async def _no_rows(connection: asyncpg.Connection, keys: list) -> list:
    return []


@dataclass
class Loaders:
    organization: Loader
    project: Loader
    goal: Loader
    partner: Loader
    partners_by_project: Loader
    invitation: Loader
    invitations_by_project: Loader
    goals_by_project: Loader
    viewer_role: Loader
    projects_of_organization: Loader
    project_count: Loader
    round: Loader
    rounds_of_project: Loader  # (project id, before sequence, limit)
    round_counts: Loader
    my_response: Loader
    responses_by_round: Loader
    response: Loader
    latest_statistics: Loader
    latest_released_statistics: Loader  # (project id, min group size)
    recent_statistics: Loader  # (project id, last)
    kind_statistics: Loader
    health: Loader
    trends: Loader
    flag: Loader
    flags_of_project: Loader  # (project id, include resolved)
    contact_person: Loader
    persons_of_organization: Loader
    invitations_of_round: Loader
    survey_schedule: Loader

    @classmethod
    def create(cls, pool: asyncpg.Pool, principal: Principal) -> "Loaders":
        def loader(batch):
            return Loader(batch)

        own = principal.organization_id
        return cls(
            organization=loader(one_per_key(pool, organizations.organizations_by_ids)),
            project=loader(one_per_key(pool, projects.projects_by_ids)),
            goal=loader(one_per_key(pool, projects.goals_by_ids)),
            partner=loader(partner_loader(pool)),
            partners_by_project=loader(many_per_key(pool, projects.partners_by_projects, "project_id")),
            invitation=loader(invitation_loader(pool)),
            invitations_by_project=loader(many_per_key(pool, projects.invitations_by_projects, "project_id")),
            goals_by_project=loader(many_per_key(pool, projects.goals_by_projects, "project_id")),
            viewer_role=loader(viewer_role_loader(pool, principal)),
            projects_of_organization=loader(projects_of_organization_loader(pool, principal)),
            project_count=loader(project_count_loader(pool, principal)),
            round=loader(one_per_key(pool, surveys.rounds_by_ids)),
            rounds_of_project=loader(
                windowed(
                    pool,
                    lambda c, ids, before, limit: surveys.rounds_of_projects(
                        c, ids, before_sequence=before, limit=limit
                    ),
                    "project_id",
                )
            ),
            round_counts=loader(one_per_key(pool, surveys.round_counts)),
            my_response=loader(
                one_per_key(
                    pool, partial(surveys.responses_of_organization_batch, own) if own else _no_rows, "round_id"
                )
            ),
            responses_by_round=loader(many_per_key(pool, surveys.responses_by_rounds, "round_id")),
            response=loader(one_per_key(pool, surveys.responses_by_ids)),
            latest_statistics=loader(one_per_key(pool, statistics.latest_statistics, "project_id")),
            latest_released_statistics=loader(
                windowed(pool, lambda c, ids, k: statistics.latest_released_statistics(c, ids, k), "project_id")
            ),
            recent_statistics=loader(
                windowed(pool, lambda c, ids, last: statistics.recent_statistics(c, ids, last), "project_id")
            ),
            kind_statistics=loader(many_per_key(pool, statistics.kind_statistics, "round_id")),
            health=loader(one_per_key(pool, statistics.health_of_projects, "project_id")),
            trends=loader(many_per_key(pool, statistics.trends_of_projects, "project_id")),
            flag=loader(one_per_key(pool, flags.flags_by_ids)),
            flags_of_project=loader(
                windowed(pool, lambda c, ids, resolved: flags.flags_by_projects(c, ids, resolved), "project_id")
            ),
            contact_person=loader(one_per_key(pool, people.persons_by_ids)),
            persons_of_organization=loader(many_per_key(pool, people.persons_of_organizations, "organization_id")),
            invitations_of_round=loader(many_per_key(pool, invitations.invitations_of_rounds, "round_id")),
            survey_schedule=loader(one_per_key(pool, schedules.schedules_by_projects, "project_id")),
        )
