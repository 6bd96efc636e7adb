"""A small network for API tests, built through SQL and tokens like an operator would."""

from dataclasses import dataclass

import asyncpg
from strawberry.relay import to_base64

from db.tokens import create_token
from schema.ids import organization_global_id


@dataclass
class World:
    tokens: dict[str, str]  # role name -> bearer token
    organizations: dict[str, int]  # short name -> id
    projects: dict[str, int]

    def org_id(self, name: str) -> str:
        kinds = {
            "sme": "SME",
            "startup": "STARTUP",
            "institute": "RESEARCH_INSTITUTE",
            "outsider": "CORPORATE",
            "invitee": "CORPORATE",
        }
        return organization_global_id(kinds[name], self.organizations[name])

    def project_id(self, name: str) -> str:
        return to_base64("CooperationProject", self.projects[name])


async def build_world(connection: asyncpg.Connection) -> World:
    """sme (lead) + startup (partner) + institute (moderator) run `pilot`; the outsider runs `story`, a
    published project, alone (it approved the publication and appears on the marketplace); nobody else is in
    `pilot`."""
    orgs = {}
    for name, kind, org_name, industry in [
        ("sme", "SME", "Brandt Maschinenbau GmbH", "Mechanical Engineering"),
        ("startup", "STARTUP", "Quantivo GmbH", "Software & IT"),
        ("institute", "RESEARCH_INSTITUTE", "Institut für Produktionstechnik Aachen", "Research"),
        ("outsider", "CORPORATE", "Nordwerke AG", "Chemicals"),
    ]:
        orgs[name] = await connection.fetchval(
            "INSERT INTO organizations (kind, name, industry, city, country) VALUES ($1, $2, $3, 'Aachen', 'DE') "
            "RETURNING id",
            kind,
            org_name,
            industry,
        )
    pilot = await connection.fetchval(
        "INSERT INTO cooperation_projects (title, kind, phase, exit_plan) "
        "VALUES ('Predictive maintenance pilot', 'TECHNOLOGY_PILOT', 'ACTIVE', 'IP goes to the lead.') RETURNING id"
    )
    story = await connection.fetchval(
        "INSERT INTO cooperation_projects (title, kind, phase, story, published_at, exit_plan) VALUES "
        "('Recycled granulate', 'RESEARCH', 'COMPLETED', 'It worked.', now(), 'secret exit plan') RETURNING id"
    )
    await connection.executemany(
        "INSERT INTO project_partners (project_id, organization_id, role) VALUES ($1, $2, $3)",
        [
            (pilot, orgs["sme"], "LEAD"),
            (pilot, orgs["startup"], "PARTNER"),
            (pilot, orgs["institute"], "MODERATOR"),
            (story, orgs["outsider"], "LEAD"),
        ],
    )
    # the published story's only partner approved it and agreed to appear on the marketplace
    await connection.execute(
        "UPDATE project_partners SET publication_approved_at = now(), on_marketplace = true WHERE project_id = $1",
        story,
    )
    await connection.execute(
        "INSERT INTO project_goals (project_id, title, owner_organization_id, due_on) VALUES "
        "($1, 'Pilot at two sites', $2, current_date + 30), ($3, 'Granulate certified', $4, NULL)",
        pilot,
        orgs["startup"],
        story,
        orgs["outsider"],
    )
    tokens = {"admin": (await create_token(connection, organization_id=None))[1]}
    for name, organization_id in orgs.items():
        tokens[name] = (await create_token(connection, organization_id=organization_id))[1]
    return World(tokens=tokens, organizations=orgs, projects={"pilot": pilot, "story": story})
