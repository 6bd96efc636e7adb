"""All DataLoaders of one request. Created per request: their caches must not outlive it."""

from dataclasses import dataclass

import asyncpg
from strawberry.dataloader import DataLoader

from api.auth import Principal
from db import projects
from schema.organizations.loaders import organization_loader
from schema.projects.loaders import (
    by_id,
    grouped_by_project,
    partner_loader,
    project_count_loader,
    projects_of_organization_loader,
    viewer_role_loader,
)


@dataclass
class Loaders:
    organization: DataLoader
    project: DataLoader
    goal: DataLoader
    partner: DataLoader
    partners_by_project: DataLoader
    goals_by_project: DataLoader
    viewer_role: DataLoader
    projects_of_organization: DataLoader
    project_count: DataLoader

    @classmethod
    def create(cls, pool: asyncpg.Pool, principal: Principal) -> "Loaders":
        return cls(
            organization=DataLoader(organization_loader(pool)),
            project=DataLoader(by_id(pool, projects.projects_by_ids)),
            goal=DataLoader(by_id(pool, projects.goals_by_ids)),
            partner=DataLoader(partner_loader(pool)),
            partners_by_project=DataLoader(grouped_by_project(pool, projects.partners_by_projects)),
            goals_by_project=DataLoader(grouped_by_project(pool, projects.goals_by_projects)),
            viewer_role=DataLoader(viewer_role_loader(pool, principal)),
            projects_of_organization=DataLoader(projects_of_organization_loader(pool, principal)),
            project_count=DataLoader(project_count_loader(pool, principal)),
        )
