"""The cron job of survey schedules: open the rounds that are due, close those whose answer window passed.

Safe on several workers at once: each opening re-checks, under the project's row lock, that the round is
still due (and the unique index allows one open round per project); each closing locks the round."""

import logging
from typing import Any

from db import invitations, projects, schedules, surveys
from domain import mail_texts
from domain.consent import round_opening_problem
from domain.vocabulary import ANSWERING_ROLES
from workers.jobs import enqueue_many
from workers.mail import send_due

log = logging.getLogger(__name__)


async def run_schedules(ctx: dict[str, Any]) -> int:
    """Return the number of rounds opened and closed."""
    settings = ctx["settings"]
    changed: list[int] = []
    async with ctx["pool"].acquire() as connection:
        for project_id in await schedules.projects_due_to_open(connection):
            async with connection.transaction():
                if await projects.lock_project(connection, project_id) is None:
                    continue
                if not await schedules.still_due_to_open(connection, project_id):
                    continue
                problem = round_opening_problem(await projects.partner_roles(connection, project_id))
                if problem:
                    log.info("scheduled round not opened", extra={"project_id": project_id, "why": problem})
                    continue
                row = await surveys.open_round(connection, project_id, ANSWERING_ROLES)
                await invitations.invite_round(connection, row["id"], settings.public_url, mail_texts.invitation)
            changed.append(project_id)
        for round_id in await schedules.rounds_due_to_close(connection):
            async with connection.transaction():
                row = await surveys.lock_round(connection, round_id, exclusive=True)
                if row is None or row["status"] != "OPEN":
                    continue
                await surveys.close_round(connection, round_id)
            changed.append(row["project_id"])
    if changed:
        await enqueue_many(ctx, changed)
        await send_due(ctx["pool"], settings)
    return len(changed)
