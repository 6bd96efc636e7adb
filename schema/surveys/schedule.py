"""Survey schedules: `setSurveySchedule` and `CooperationProject.surveySchedule`."""

from datetime import date
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from db import schedules
from schema.context import Context
from schema.mutations import (
    MUTATION_INPUT,
    USER_ERRORS,
    Rejected,
    UserError,
    forbidden,
    in_transaction,
    invalid,
    not_found,
)
from schema.projects.mutations import locked_project, project_id_of, require_open


@strawberry.type(description="The cadence of a project's pulse survey: rounds open and close by themselves.")
class SurveySchedule:
    every_weeks: int = strawberry.field(description="A round opens this many weeks after the last one opened.")
    answer_window_days: int = strawberry.field(description="A round closes this many days after it opened.")
    next_round_on: date = strawberry.field(
        description="The day (UTC) the next round opens; today or earlier: at the next run of the schedule (within "
        "a minute), once no round is open and the project is ACTIVE."
    )

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "SurveySchedule":
        return cls(
            every_weeks=row["every_weeks"],
            answer_window_days=row["answer_window_days"],
            next_round_on=row["next_round_at"].date(),
        )


@strawberry.input(description="Set a project's survey cadence. Lead partner, moderators, admins.")
class SetSurveyScheduleInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")
    every_weeks: int = strawberry.field(description="Weeks between the openings of two rounds, 1-52.")
    answer_window_days: int = strawberry.field(
        description="Days a round stays open, from 1 to 7 × everyWeeks (a round closes before the next opens)."
    )


@strawberry.type(description="Result of `setSurveySchedule`.")
class SetSurveySchedulePayload:
    survey_schedule: SurveySchedule | None = strawberry.field(description="The schedule; null when refused.")
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


def schedule_errors(every_weeks: int, answer_window_days: int) -> list[UserError]:
    errors = []
    if not 1 <= every_weeks <= 52:
        errors.append(invalid("everyWeeks", "Between 1 and 52."))
    elif not 1 <= answer_window_days <= every_weeks * 7:
        errors.append(invalid("answerWindowDays", f"Between 1 and {every_weeks * 7} (7 × everyWeeks)."))
    return errors


async def set_survey_schedule(
    info: Info[Context, Any], input: Annotated[SetSurveyScheduleInput, MUTATION_INPUT]
) -> SetSurveySchedulePayload:
    async def work(connection: asyncpg.Connection) -> SurveySchedule:
        access = await locked_project(info, connection, project_id_of(input.project_id))
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators set the survey schedule.")
        require_open(access)
        errors = schedule_errors(input.every_weeks, input.answer_window_days)
        if errors:
            raise Rejected(*errors)
        row = await schedules.set_schedule(connection, access.row["id"], input.every_weeks, input.answer_window_days)
        return SurveySchedule.from_row(row)

    schedule, errors = await in_transaction(info, work)
    return SetSurveySchedulePayload(survey_schedule=schedule, user_errors=errors)


@strawberry.input(
    description="Remove a project's survey cadence: no more rounds open or close by themselves (an open round "
    "stays open until closed by hand). Lead partner, moderators, admins."
)
class RemoveSurveyScheduleInput:
    project_id: strawberry.ID = strawberry.field(description="Global id of the project.")


@strawberry.type(description="Result of `removeSurveySchedule`.")
class RemoveSurveySchedulePayload:
    project_id: strawberry.ID | None = strawberry.field(
        description="Global id of the project whose schedule was removed; null when refused."
    )
    user_errors: list[UserError] = strawberry.field(description=USER_ERRORS)


async def remove_survey_schedule(
    info: Info[Context, Any], input: Annotated[RemoveSurveyScheduleInput, MUTATION_INPUT]
) -> RemoveSurveySchedulePayload:
    async def work(connection: asyncpg.Connection) -> strawberry.ID:
        access = await locked_project(info, connection, project_id_of(input.project_id))
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators remove the survey schedule.")
        if not await schedules.remove_schedule(connection, access.row["id"]):
            raise not_found("survey schedule for the project", "projectId")
        return input.project_id

    removed, errors = await in_transaction(info, work)
    return RemoveSurveySchedulePayload(project_id=removed, user_errors=errors)


async def schedule_of(info: Info[Context, Any], project_id: int) -> SurveySchedule | None:
    row = await info.context.loaders.survey_schedule.load(project_id)
    return SurveySchedule.from_row(row) if row else None
