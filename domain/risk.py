"""Risk flag services: acknowledging a flag."""

import asyncpg

from db import flags
from domain import events, validation
from domain.access import locked_project_taken_part_in, require_authenticated
from domain.disclosure import sees_everything
from domain.principal import Principal
from domain.refusals import Refusal, forbidden, not_found, refuse_all
from domain.runtime import Runtime
from domain.vocabulary import FlagAudience

FLAG = ("risk flag", "id")


async def acknowledge_flag(
    runtime: Runtime, principal: Principal, flag_id: int | None, note: str | None = None
) -> asyncpg.Record:
    """Someone running the project has taken note; lead, moderators, admins. A plain partner's flags are the
    PARTNERS ones: the others do not exist for it. An optional note says what was done about it.
    Subscriptions hear of it after commit."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        row = await flags.lock_flag(connection, flag_id) if flag_id else None
        if row is None:
            raise not_found(*FLAG)
        access = await locked_project_taken_part_in(connection, principal, row["project_id"], FLAG)
        if row["audience"] != FlagAudience.PARTNERS and not sees_everything(
            access.viewer_role, is_admin=access.is_admin
        ):
            raise not_found(*FLAG)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators acknowledge flags.")
        problems: list[Refusal] = []
        note = validation.text(problems, "note", note, maximum=2000, required=False)
        refuse_all(problems)
        acknowledged = await flags.acknowledge(connection, row["id"], principal.token_id, note or None)
    await events.publish(
        runtime.publisher,
        runtime.settings.events_channel,
        [events.FlagEvent(acknowledged["id"], acknowledged["project_id"], events.FlagChange.ACKNOWLEDGED)],
    )
    return acknowledged
