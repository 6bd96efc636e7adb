"""Mutations of pulse surveys: open and close rounds, submit answers."""

from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain import surveys
from schema.context import Context
from schema.ids import decode_global_id, project_id_of
from schema.mutations import MUTATION_INPUT, USER_ERRORS, UserError, refusals_as_user_errors
from schema.surveys.types import SurveyResponse, SurveyRound


@strawberry.input(
    description="Open the next survey round of an ACTIVE project with at least two answering partners that have "
    "accepted (CONSENT_REQUIRED otherwise). Lead partner, moderators, admins."
)
class OpenSurveyRoundInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")


@strawberry.type(description="Result of `openSurveyRound`.")
class OpenSurveyRoundPayload:
    survey_round: SurveyRound | None = strawberry.field(description="The new round; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(description="Close an open round. Lead partner, moderators, admins.")
class CloseSurveyRoundInput:
    round_id: strawberry.ID = strawberry.field(description="Global id of the round.")


@strawberry.type(description="Result of `closeSurveyRound`.")
class CloseSurveyRoundPayload:
    survey_round: SurveyRound | None = strawberry.field(description="The closed round; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


@strawberry.input(
    description="Your organization's answer to an open round. Scores 1-5, continueLikelihood 0-10. Replaying the "
    "same idempotencyKey returns the first response without an error."
)
class SubmitSurveyResponseInput:
    round_id: strawberry.ID = strawberry.field(description="Global id of the round.")
    overall: int = strawberry.field(description="Overall satisfaction, 1-5.")
    expectations_met: int = strawberry.field(description="Were expectations met? 1-5.")
    mutual_benefit: int = strawberry.field(description="Is it a win-win? 1-5.")
    decision_speed: int = strawberry.field(description="Do decisions fit your speed? 1-5.")
    communication_trust: int = strawberry.field(description="Open communication and trust, 1-5.")
    continue_likelihood: int = strawberry.field(description="How likely you continue, 0-10.")
    comment: str | None = strawberry.field(default=None, description="At most 2,000 characters.")
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Any string up to 200 characters, new per intended answer, so retries are safe; a key of an "
        "answer to another round is refused (INVALID).",
    )


@strawberry.type(description="Result of `submitSurveyResponse`.")
class SubmitSurveyResponsePayload:
    survey_response: SurveyResponse | None = strawberry.field(description="The stored answer; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def round_id_of(global_id: str) -> int | None:
    return decode_global_id(global_id, {"SurveyRound"})


async def open_survey_round(
    info: Info[Context, Any], input: Annotated[OpenSurveyRoundInput, MUTATION_INPUT]
) -> OpenSurveyRoundPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info, lambda: surveys.open_round(context.runtime, context.principal, project_id_of(input.project_id))
    )
    return OpenSurveyRoundPayload(survey_round=SurveyRound.from_row(row) if row else None, user_errors=errors)


async def close_survey_round(
    info: Info[Context, Any], input: Annotated[CloseSurveyRoundInput, MUTATION_INPUT]
) -> CloseSurveyRoundPayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info, lambda: surveys.close_round(context.runtime, context.principal, round_id_of(input.round_id))
    )
    return CloseSurveyRoundPayload(survey_round=SurveyRound.from_row(row) if row else None, user_errors=errors)


async def submit_survey_response(
    info: Info[Context, Any], input: Annotated[SubmitSurveyResponseInput, MUTATION_INPUT]
) -> SubmitSurveyResponsePayload:
    context = info.context
    answer = surveys.Answer(
        overall=input.overall,
        expectations_met=input.expectations_met,
        mutual_benefit=input.mutual_benefit,
        decision_speed=input.decision_speed,
        communication_trust=input.communication_trust,
        continue_likelihood=input.continue_likelihood,
        comment=input.comment,
        idempotency_key=input.idempotency_key,
    )
    row, errors = await refusals_as_user_errors(
        info, lambda: surveys.submit_response(context.runtime, context.principal, round_id_of(input.round_id), answer)
    )
    return SubmitSurveyResponsePayload(
        survey_response=SurveyResponse.from_row(row) if row else None, user_errors=errors
    )
