"""Mutations of pulse surveys: open and close rounds, submit answers."""

from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from db import invitations, projects, surveys
from domain.access import locked_project
from schema import validation
from schema.context import Context
from schema.ids import decode_global_id
from schema.mutations import (
    MUTATION_INPUT,
    USER_ERRORS,
    Rejected,
    UserError,
    UserErrorCode,
    forbidden,
    in_transaction,
    not_found,
    reject,
    request_recompute,
    request_sending,
)
from schema.projects import consent
from schema.projects.mutations import project_id_of
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
    async def work(connection: asyncpg.Connection) -> SurveyRound:
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators open survey rounds.")
        if access.row["phase"] != "ACTIVE":
            raise reject(UserErrorCode.INVALID_TRANSITION, "Survey rounds run in ACTIVE projects only.", "projectId")
        if await surveys.has_open_round(connection, access.row["id"]):
            raise reject(UserErrorCode.ALREADY_EXISTS, "The project already has an open round.", "projectId")
        problem = consent.round_opening_problem(access.roles)
        if problem:
            raise reject(UserErrorCode.CONSENT_REQUIRED, problem, "projectId")
        row = await surveys.open_round(connection, access.row["id"])
        await invitations.invite_round(connection, row["id"], info.context.settings.public_url)
        return SurveyRound.from_row(row)

    survey_round, errors = await in_transaction(info, work)
    if survey_round:
        await request_recompute(info, survey_round.project_id)
        await request_sending(info)
    return OpenSurveyRoundPayload(survey_round=survey_round, user_errors=errors)


async def close_survey_round(
    info: Info[Context, Any], input: Annotated[CloseSurveyRoundInput, MUTATION_INPUT]
) -> CloseSurveyRoundPayload:
    async def work(connection: asyncpg.Connection) -> SurveyRound:
        round_id = round_id_of(input.round_id)
        row = await surveys.lock_round(connection, round_id, exclusive=True) if round_id else None
        if row is None:
            raise not_found("round", "roundId")
        access = await locked_project(
            connection, info.context.principal, row["project_id"], missing=("round", "roundId")
        )
        if access.viewer_role is None and not access.is_admin:
            raise not_found("round", "roundId")
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators close survey rounds.")
        if row["status"] == "CLOSED":
            raise reject(UserErrorCode.ROUND_CLOSED, "The round is already closed.", "roundId")
        return SurveyRound.from_row(await surveys.close_round(connection, row["id"]))

    survey_round, errors = await in_transaction(info, work)
    if survey_round:
        await request_recompute(info, survey_round.project_id)
    return CloseSurveyRoundPayload(survey_round=survey_round, user_errors=errors)


SCORE_FIELDS = {
    "overall": ("overall", 1, 5),
    "expectations_met": ("expectationsMet", 1, 5),
    "mutual_benefit": ("mutualBenefit", 1, 5),
    "decision_speed": ("decisionSpeed", 1, 5),
    "communication_trust": ("communicationTrust", 1, 5),
    "continue_likelihood": ("continueLikelihood", 0, 10),
}


async def submit_survey_response(
    info: Info[Context, Any], input: Annotated[SubmitSurveyResponseInput, MUTATION_INPUT]
) -> SubmitSurveyResponsePayload:
    """The insert and the "needs recomputation" mark commit together; the job is enqueued after."""
    project_of_response: list[int] = []

    async def work(connection: asyncpg.Connection) -> SurveyResponse:
        principal = info.context.principal
        # an answer link answers for its organization, and for its round only
        organization_id = principal.organization_id or principal.answer_organization_id
        if organization_id is None:
            raise forbidden("Answers are given by member organizations; admin tokens cannot answer.")
        errors: list[UserError] = []
        key = validation.text(errors, "idempotencyKey", input.idempotency_key, maximum=200, required=False)
        round_id = round_id_of(input.round_id)
        if principal.answer_round_id is not None and round_id != principal.answer_round_id:
            raise not_found("round", "roundId")
        if key:
            replay = await surveys.response_by_key(connection, organization_id, key)
            if replay is not None and round_id is not None:
                if replay["round_id"] != round_id:
                    # not a replay but a key used again by mistake: answering with another round's response
                    # would make the client believe this answer was stored
                    raise reject(
                        UserErrorCode.INVALID,
                        "This idempotency key belongs to your answer to another round; use a new key per answer.",
                        "idempotencyKey",
                    )
                return SurveyResponse.from_row(replay)  # the first response, no error
        # FOR SHARE: answers may arrive in parallel; closing the round waits for them
        row = await surveys.lock_round(connection, round_id, exclusive=False) if round_id else None
        role = (await projects.partner_roles(connection, row["project_id"])).get(organization_id) if row else None
        if row is None or role is None:
            raise not_found("round", "roundId")
        if role == "MODERATOR":
            raise forbidden("Moderators coordinate the project; they do not answer its surveys.")
        values: dict[str, Any] = {}
        for name, (field, low, high) in SCORE_FIELDS.items():
            values[name] = validation.number(errors, field, getattr(input, name), minimum=low, maximum=high)
        values["comment"] = validation.text(errors, "comment", input.comment, maximum=2000, required=False)
        values["idempotency_key"] = key
        if errors:
            raise Rejected(*errors)
        if row["status"] == "CLOSED":
            raise reject(UserErrorCode.ROUND_CLOSED, "The round is closed; answers are no longer taken.", "roundId")
        stored = await surveys.insert_response(connection, row["id"], organization_id, values)
        if stored is None:
            # a concurrent request with the same key may have won; otherwise the organization answered already
            replay = await surveys.response_by_key(connection, organization_id, key) if key else None
            if replay is not None:
                return SurveyResponse.from_row(replay)
            raise reject(
                UserErrorCode.ALREADY_ANSWERED, "Your organization has already answered this round.", "roundId"
            )
        await projects.bump_data_version(connection, row["project_id"])
        project_of_response.append(row["project_id"])
        return SurveyResponse.from_row(stored)

    response, errors = await in_transaction(info, work)
    if project_of_response:
        await request_recompute(info, project_of_response[0])
    return SubmitSurveyResponsePayload(survey_response=response, user_errors=errors)
