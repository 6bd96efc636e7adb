"""`acknowledgeRiskFlag`: someone running the project has taken note."""

from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from db import flags
from domain.disclosure import sees_everything
from schema import validation
from schema.context import Context
from schema.ids import decode_global_id
from schema.mutations import MUTATION_INPUT, USER_ERRORS, Rejected, UserError, forbidden, in_transaction, not_found
from schema.projects.mutations import locked_project
from schema.risk.types import RiskFlag
from workers import events


@strawberry.input(description="Take note of a risk flag. Lead partner, moderators, admins.")
class AcknowledgeRiskFlagInput:
    id: strawberry.ID = strawberry.field(description="Global id of the flag.")
    note: str | None = strawberry.field(
        default=None,
        description="What is being done about it, at most 2,000 characters; read by whoever sees the flag. "
        "Replaces an earlier note; null keeps it.",
    )


@strawberry.type(description="Result of `acknowledgeRiskFlag`.")
class AcknowledgeRiskFlagPayload:
    risk_flag: RiskFlag | None = strawberry.field(description="The flag; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def acknowledge_risk_flag(
    info: Info[Context, Any], input: Annotated[AcknowledgeRiskFlagInput, MUTATION_INPUT]
) -> AcknowledgeRiskFlagPayload:
    async def work(connection: asyncpg.Connection) -> RiskFlag:
        flag_id = decode_global_id(input.id, {"RiskFlag"})
        row = await flags.lock_flag(connection, flag_id) if flag_id else None
        if row is None:
            raise not_found("risk flag", "id")
        access = await locked_project(info, connection, row["project_id"], missing=("risk flag", "id"))
        if access.viewer_role is None and not access.is_admin:
            raise not_found("risk flag", "id")
        if row["audience"] != "PARTNERS" and not sees_everything(access.viewer_role, is_admin=access.is_admin):
            raise not_found("risk flag", "id")  # a plain partner's flags are the PARTNERS ones
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators acknowledge flags.")
        errors: list[UserError] = []
        note = validation.text(errors, "note", input.note, maximum=2000, required=False)
        if errors:
            raise Rejected(*errors)
        return RiskFlag.from_row(
            await flags.acknowledge(connection, row["id"], info.context.principal.token_id, note or None)
        )

    flag, errors = await in_transaction(info, work)
    if flag:
        await events.publish(
            info.context.redis,
            info.context.settings.events_channel,
            [events.FlagEvent(flag.id, flag.project_id, "ACKNOWLEDGED")],
        )
    return AcknowledgeRiskFlagPayload(risk_flag=flag, user_errors=errors)
