"""Who is asking: the principal every service is called for, whatever the entry point."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    ANONYMOUS = "ANONYMOUS"
    # an e-mailed answer link: one round, one organization, while the round is open (schema/answer_link.py)
    ANSWER_LINK = "ANSWER_LINK"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an admin, a member organization, an answer link, or nobody. An answer link's
    organization is kept apart from `organization_id`, so that no member check ever grants it a right."""

    role: Role
    organization_id: int | None = None
    token_id: int | None = None
    answer_round_id: int | None = None
    answer_organization_id: int | None = None
    # a person signed in with an e-mailed link (api/sessions.py): a member of their organization
    session_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_authenticated(self) -> bool:
        return self.role is not Role.ANONYMOUS


ANONYMOUS = Principal(Role.ANONYMOUS)
