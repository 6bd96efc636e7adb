"""SQL of contact persons: the people who answer for an organization."""

import asyncpg

COLUMNS = "c.id, c.organization_id, c.name, c.email, c.language, c.reminders, c.created_at"
EMAIL_INDEX = "contact_persons_email_idx"


def email_taken(error: asyncpg.UniqueViolationError) -> bool:
    return error.constraint_name == EMAIL_INDEX


async def insert_person(
    connection: asyncpg.Connection, organization_id: int, name: str, email: str, language: str
) -> asyncpg.Record:
    return await connection.fetchrow(
        f"""
        WITH c AS (
            INSERT INTO contact_persons (organization_id, name, email, language) VALUES ($1, $2, $3, $4) RETURNING *
        )
        SELECT {COLUMNS} FROM c
        """,
        organization_id,
        name,
        email,
        language,
    )


async def lock_person(connection: asyncpg.Connection, person_id: int) -> asyncpg.Record | None:
    return await connection.fetchrow(f"SELECT {COLUMNS} FROM contact_persons c WHERE c.id = $1 FOR UPDATE", person_id)


async def delete_person(connection: asyncpg.Connection, person_id: int) -> None:
    """The person, their unsent and sent mails and their answer links go (cascades); the organization's
    answers stay: they belong to the organization, not to the person."""
    await connection.execute("DELETE FROM contact_persons WHERE id = $1", person_id)


async def set_reminders(connection: asyncpg.Connection, person_id: int, reminders: bool) -> asyncpg.Record | None:
    return await connection.fetchrow(
        f"""
        WITH c AS (UPDATE contact_persons SET reminders = $2 WHERE id = $1 RETURNING *)
        SELECT {COLUMNS} FROM c
        """,
        person_id,
        reminders,
    )


async def persons_by_ids(connection: asyncpg.Connection, ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(f"SELECT {COLUMNS} FROM contact_persons c WHERE c.id = ANY($1::bigint[])", ids)


async def persons_of_organizations(connection: asyncpg.Connection, organization_ids: list[int]) -> list[asyncpg.Record]:
    return await connection.fetch(
        f"""
        SELECT {COLUMNS} FROM contact_persons c WHERE c.organization_id = ANY($1::bigint[])
        ORDER BY c.organization_id, c.id
        """,
        organization_ids,
    )
