"""Input checks that mirror the database constraints, so that bad input is a clear refusal (INVALID, naming
the field). Each check appends what it finds to `found` and returns the cleaned value, so that one answer
lists every fault; `refusals.refuse_all(found)` raises them together."""

import re
from datetime import date

from domain.refusals import Refusal, invalid

COUNTRY = re.compile(r"^[A-Z]{2}$")
WEBSITE = re.compile(r"^https?://[^\s]+$")


def text(found: list[Refusal], field: str, value: str | None, *, maximum: int, required: bool = True) -> str | None:
    """Strip; check presence and length. Returns the cleaned value."""
    if value is None:
        if required:
            found.append(invalid(field, "Required."))
        return None
    cleaned = value.strip()
    if required and not cleaned:
        found.append(invalid(field, "Must not be blank."))
    elif len(cleaned) > maximum:
        found.append(invalid(field, f"At most {maximum} characters."))
    return cleaned or None


def country(found: list[Refusal], field: str, value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = value.strip().upper()
    if not COUNTRY.match(cleaned):
        found.append(invalid(field, "An ISO 3166-1 alpha-2 code such as DE, AT or CH."))
    return cleaned


def website(found: list[Refusal], field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    cleaned = value.strip()
    if len(cleaned) > 500 or not WEBSITE.match(cleaned):
        found.append(invalid(field, "An http(s) address of at most 500 characters."))
    return cleaned


def number(found: list[Refusal], field: str, value: int | None, *, minimum: int, maximum: int) -> int | None:
    if value is not None and not minimum <= value <= maximum:
        found.append(invalid(field, f"Between {minimum} and {maximum}."))
    return value


def tags(found: list[Refusal], field: str, values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    cleaned = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(cleaned) > 50 or any(len(v) > 100 for v in cleaned):
        found.append(invalid(field, "At most 50 tags of at most 100 characters."))
    return cleaned


def not_before(found: list[Refusal], field: str, value: date | None, earliest: date) -> date | None:
    if value is not None and value < earliest:
        found.append(invalid(field, f"Must not be before {earliest.isoformat()}."))
    return value
