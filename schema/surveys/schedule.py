"""Survey schedules: `setSurveySchedule` and `CooperationProject.surveySchedule`."""

from datetime import date
from typing import Annotated, Any

import asyncpg
import strawberry
from strawberry.types import Info

from domain import surveys
from schema.context import Context
from schema.ids import project_id_of
from schema.mutations import MUTATION_INPUT, USER_ERRORS, UserError, refusals_as_user_errors


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


async def set_survey_schedule(
    info: Info[Context, Any], input: Annotated[SetSurveyScheduleInput, MUTATION_INPUT]
) -> SetSurveySchedulePayload:
    context = info.context
    row, errors = await refusals_as_user_errors(
        info,
        lambda: surveys.set_schedule(
            context.runtime,
            context.principal,
            project_id_of(input.project_id),
            input.every_weeks,
            input.answer_window_days,
        ),
    )
    return SetSurveySchedulePayload(survey_schedule=SurveySchedule.from_row(row) if row else None, user_errors=errors)


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
    context = info.context
    _, errors = await refusals_as_user_errors(
        info, lambda: surveys.remove_schedule(context.runtime, context.principal, project_id_of(input.project_id))
    )
    return RemoveSurveySchedulePayload(project_id=None if errors else input.project_id, user_errors=errors)


async def schedule_of(info: Info[Context, Any], project_id: int) -> SurveySchedule | None:
    row = await info.context.loaders.survey_schedule.load(project_id)
    return SurveySchedule.from_row(row) if row else None
