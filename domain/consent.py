"""The consent rules of a project, as plain functions (SECURITY.md, "Consent").

- An organization becomes a partner only by accepting an invitation, or when an admin adds it. What a member
  (the lead or a moderator, or the creator of a project) "adds" is an invitation; only the caller's own
  organization joins at once, on its own word.
- Moderators see individual answers, so only admins appoint them: a member can neither take the MODERATOR
  role nor invite anyone to it.
- An invited organization is no partner for anything: it does not see the project's confidential details, is
  not expected to answer, cannot answer, and is not counted.
- A survey round opens only when at least two answering (non-moderator) partners have accepted: before that
  no answers exist, so nobody's answer reaches anyone without its organization having joined.
- A member publishes a project only when every current partner has approved; an admin may publish without.
  The marketplace lists only the partners that chose to appear.
"""

MIN_ANSWERING_PARTNERS = 2


def joins_directly(is_admin: bool, caller_organization: int | None, organization_id: int) -> bool:
    """Whether adding `organization_id` makes it a partner at once (else: an invitation)."""
    return is_admin or organization_id == caller_organization


def may_appoint(is_admin: bool, role: str) -> bool:
    return is_admin or role != "MODERATOR"


def round_opening_problem(roles: dict[int, str]) -> str | None:
    """Why a round may not open with these (accepted, current) partners; None when it may."""
    answering = sum(role != "MODERATOR" for role in roles.values())
    if answering >= MIN_ANSWERING_PARTNERS:
        return None
    return (
        f"A survey round opens once at least {MIN_ANSWERING_PARTNERS} answering partners have accepted; "
        f"this project has {answering}."
    )


def missing_approvals(approvals: dict[int, bool]) -> list[int]:
    """The current partners that have not approved the publication, in id order."""
    return sorted(organization for organization, approved in approvals.items() if not approved)
