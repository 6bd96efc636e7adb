"""Rules about contact persons: what counts as an e-mail address, who manages an organization's people."""

import re

# deliberately simple: one @, a dot in the domain, no spaces; the mail server has the last word
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LANGUAGES = ("de", "en")


def clean_email(value: str) -> str | None:
    """The address with surrounding spaces removed, or None when it is not a plausible address."""
    cleaned = value.strip()
    if len(cleaned) > 254 or not EMAIL.match(cleaned):
        return None
    return cleaned


def manages_people(is_admin: bool, viewer_organization: int | None, organization_id: int) -> bool:
    """Admins manage everyone's contact persons; an organization manages its own."""
    return is_admin or viewer_organization == organization_id
