"""All DataLoaders of one request. Created per request: their caches must not outlive it."""

from dataclasses import dataclass
from functools import partial

import asyncpg
from strawberry.dataloader import DataLoader

from db import flags, invitations, organizations, people, projects, schedules, statistics, surveys
from domain.principal import Principal
from schema.batching import many_per_key, one_per_key, windowed
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
    organization: DataLoader
    project: DataLoader
    goal: DataLoader
    partner: DataLoader
    partners_by_project: DataLoader
    invitation: DataLoader
    invitations_by_project: DataLoader
    goals_by_project: DataLoader
    viewer_role: DataLoader
    projects_of_organization: DataLoader
    project_count: DataLoader
    round: DataLoader
    rounds_of_project: DataLoader  # (project id, before sequence, limit)
    round_counts: DataLoader
    my_response: DataLoader
    responses_by_round: DataLoader
    response: DataLoader
    latest_statistics: DataLoader
    latest_released_statistics: DataLoader  # (project id, min group size)
    recent_statistics: DataLoader  # (project id, last)
    kind_statistics: DataLoader
    health: DataLoader
    trends: DataLoader
    flag: DataLoader
    flags_of_project: DataLoader  # (project id, include resolved)
    contact_person: DataLoader
    persons_of_organization: DataLoader
    invitations_of_round: DataLoader
    survey_schedule: DataLoader

    @classmethod
    def create(cls, pool: asyncpg.Pool, principal: Principal) -> "Loaders":
        def loader(batch):
            return DataLoader(batch)

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
