"""Opaque global ids (relay): base64 of "TypeName:database id"."""

from strawberry.relay import from_base64, to_base64

ORGANIZATION_TYPE_NAMES = {
    "STARTUP": "Startup",
    "SME": "Sme",
    "CORPORATE": "Corporate",
    "RESEARCH_INSTITUTE": "ResearchInstitute",
}


def organization_global_id(kind: str, organization_id: int) -> str:
    return to_base64(ORGANIZATION_TYPE_NAMES[kind], organization_id)


def decode_global_id(value: str, allowed_types: set[str] | frozenset[str]) -> int | None:
    """The database id inside a global id of one of the allowed types, or None when it is not one."""
    try:
        type_name, raw_id = from_base64(value)
    except Exception:  # any malformed id is simply "not one of ours"
        return None
    if type_name not in allowed_types or not raw_id.isdigit() or len(raw_id) > 18:
        return None
    return int(raw_id)


def decode_organization_id(value: str) -> int | None:
    return decode_global_id(value, frozenset(ORGANIZATION_TYPE_NAMES.values()))


def project_id_of(global_id: str) -> int | None:
    return decode_global_id(global_id, {"CooperationProject"})
