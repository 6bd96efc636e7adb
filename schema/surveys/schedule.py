"""Survey schedules: `setSurveySchedule` and `CooperationProject.surveySchedule`."""

from datetime import date
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from db import schedules
from domain.access import locked_project, require_open
from domain.refusals import Refusal, forbidden, invalid, refuse_all
from schema.context import Context
from schema.mutations import (
    MUTATION_INPUT,
    USER_ERRORS,
    UserError,
    in_transaction,
)
from schema.projects.mutations import project_id_of


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


def schedule_errors(every_weeks: int, answer_window_days: int) -> list[Refusal]:
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
        access = await locked_project(connection, info.context.principal, project_id_of(input.project_id))
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators set the survey schedule.")
        require_open(access)
        errors = schedule_errors(input.every_weeks, input.answer_window_days)
        refuse_all(errors)
        row = await schedules.set_schedule(connection, access.row["id"], input.every_weeks, input.answer_window_days)
        return SurveySchedule.from_row(row)

    schedule, errors = await in_transaction(info, work)
    return SetSurveySchedulePayload(survey_schedule=schedule, user_errors=errors)


async def schedule_of(info: Info[Context, Any], project_id: int) -> SurveySchedule | None:
    row = await info.context.loaders.survey_schedule.load(project_id)
    return SurveySchedule.from_row(row) if row else None
