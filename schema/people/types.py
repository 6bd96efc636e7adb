"""GraphQL types of contact persons."""

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import asyncpg
import strawberry
from strawberry import relay
from strawberry.types import Info

from domain.people import manages_people
from schema.context import Context
from schema.enums import Language

if TYPE_CHECKING:
    from schema.organizations.types import Organization

OrganizationType = Annotated["Organization", strawberry.lazy("schema.organizations.types")]


@strawberry.type(
    description="A person who answers for an organization: receives its survey invitations and reminders. "
    "Visible to admins and to the organization itself."
)
class ContactPerson(relay.Node):
    id: relay.NodeID[int]
    organization_id: strawberry.Private[int]
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="E-mail address; unique in the network.")
    language: Language = strawberry.field(description="Language of the e-mails.")
    receives_reminders: bool = strawberry.field(description="False once the person opted out of reminders.")
    created_at: datetime = strawberry.field(description="When the person was added.")

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "ContactPerson":
        return cls(
            id=row["id"],
            organization_id=row["organization_id"],
            name=row["name"],
            email=row["email"],
            language=Language(row["language"].upper()),
            receives_reminders=row["reminders"],
            created_at=row["created_at"],
        )

    @strawberry.field(description="The organization the person answers for.")
    async def organization(self, info: Info[Context, Any]) -> OrganizationType:
        from schema.organizations.types import organization_from_row

        return organization_from_row(await info.context.loaders.organization.load(self.organization_id))

    @classmethod
    async def resolve_nodes(  # type: ignore[override]  # one form for every `required`: missing nodes are None
        cls, *, info: Info[Context, Any], node_ids: Iterable[str], required: bool = False
    ) -> list["ContactPerson | None"]:
        principal = info.context.principal
        rows = await info.context.loaders.contact_person.load_many([int(i) for i in node_ids])
        return [
            cls.from_row(row)
            if row and manages_people(principal.is_admin, principal.organization_id, row["organization_id"])
            else None
            for row in rows
        ]


async def contact_persons_of(info: Info[Context, Any], organization_id: int) -> list[ContactPerson]:
    """The organization's people, for admins and the organization itself; empty for everyone else."""
    principal = info.context.principal
    if not manages_people(principal.is_admin, principal.organization_id, organization_id):
        return []
    return [
        ContactPerson.from_row(row) for row in await info.context.loaders.persons_of_organization.load(organization_id)
    ]
