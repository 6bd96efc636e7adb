"""`acknowledgeRiskFlag`: someone running the project has taken note."""

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import risk
from schema.context import Context
from schema.ids import decode_global_id
from schema.mutations import MUTATION_INPUT, USER_ERRORS, UserError, refusals_as_user_errors
from schema.risk.types import RiskFlag


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
    context = info.context
    flag_id = decode_global_id(input.id, {"RiskFlag"})
    row, errors = await refusals_as_user_errors(
        info, lambda: risk.acknowledge_flag(context.runtime, context.principal, flag_id, input.note)
    )
    return AcknowledgeRiskFlagPayload(risk_flag=RiskFlag.from_row(row) if row else None, user_errors=errors)
