"""Survey services: open and close rounds, submit answers. Each runs in one transaction of its own and asks for
the recomputation after commit; what it refuses it raises as a `Refusal` and nothing changes."""

from dataclasses import dataclass

import asyncpg

from db import invitations, projects, schedules, surveys
from domain import consent, mail_texts, validation
from domain.access import locked_project, locked_project_taken_part_in, require_authenticated, require_open
from domain.jobs import request_recompute, request_sending
from domain.principal import Principal
from domain.refusals import Refusal, RefusalCode, forbidden, invalid, not_found, refuse_all
from domain.runtime import Runtime
from domain.vocabulary import ANSWERING_ROLES, PartnerRole, Phase, RoundStatus


@dataclass(frozen=True)
class Answer:
    """An organization's answer to a round, as given: checked by `submit_response`."""

    overall: int
    expectations_met: int
    mutual_benefit: int
    decision_speed: int
    communication_trust: int
    continue_likelihood: int
    comment: str | None = None
    idempotency_key: str | None = None


# score -> (the input field that holds it, lowest, highest)
SCORE_FIELDS = {
    "overall": ("overall", 1, 5),
    "expectations_met": ("expectationsMet", 1, 5),
    "mutual_benefit": ("mutualBenefit", 1, 5),
    "decision_speed": ("decisionSpeed", 1, 5),
    "communication_trust": ("communicationTrust", 1, 5),
    "continue_likelihood": ("continueLikelihood", 0, 10),
}
ROUND = ("round", "roundId")


async def open_round(runtime: Runtime, principal: Principal, project_id: int | None) -> asyncpg.Record:
    """The next round of an ACTIVE project with at least two answering partners; lead, moderators, admins.
    Its partners' contact persons are invited by mail (sent by a worker after commit)."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators open survey rounds.")
        if access.row["phase"] != Phase.ACTIVE:
            raise Refusal(RefusalCode.INVALID_TRANSITION, "Survey rounds run in ACTIVE projects only.", "projectId")
        if await surveys.has_open_round(connection, access.project_id):
            raise Refusal(RefusalCode.ALREADY_EXISTS, "The project already has an open round.", "projectId")
        problem = consent.round_opening_problem(access.roles)
        if problem:
            raise Refusal(RefusalCode.CONSENT_REQUIRED, problem, "projectId")
        row = await surveys.open_round(connection, access.project_id, ANSWERING_ROLES)
        await invitations.invite_round(connection, row["id"], runtime.settings.public_url, mail_texts.invitation)
    await request_recompute(runtime.jobs, runtime.settings.redis_namespace, access.project_id)
    await request_sending(runtime.jobs, runtime.settings.redis_namespace)
    return row


async def close_round(runtime: Runtime, principal: Principal, round_id: int | None) -> asyncpg.Record:
    """Close an open round; lead, moderators, admins. A round of a project the principal takes no part in
    does not exist for it."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        row = await surveys.lock_round(connection, round_id, exclusive=True) if round_id else None
        if row is None:
            raise not_found(*ROUND)
        access = await locked_project_taken_part_in(connection, principal, row["project_id"], ROUND)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators close survey rounds.")
        if row["status"] == RoundStatus.CLOSED:
            raise Refusal(RefusalCode.ROUND_CLOSED, "The round is already closed.", "roundId")
        closed = await surveys.close_round(connection, row["id"])
    await request_recompute(runtime.jobs, runtime.settings.redis_namespace, access.project_id)
    return closed


def answering_organization(principal: Principal) -> int:
    """Members answer for their organization, an answer link for its own; admins do not answer."""
    organization_id = principal.organization_id or principal.answer_organization_id
    if organization_id is None:
        raise forbidden("Answers are given by member organizations; admin tokens cannot answer.")
    return organization_id


async def submit_response(
    runtime: Runtime, principal: Principal, round_id: int | None, answer: Answer
) -> asyncpg.Record:
    """Store an organization's answer to an open round, once. Replaying an idempotency key returns the first
    response without an error (and stores nothing). The answer and the project's new data version commit
    together; the recomputation is asked for after commit."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        response, stored_in_project = await _submit(connection, principal, round_id, answer)
    if stored_in_project is not None:
        await request_recompute(runtime.jobs, runtime.settings.redis_namespace, stored_in_project)
    return response


async def _submit(
    connection: asyncpg.Connection, principal: Principal, round_id: int | None, answer: Answer
) -> tuple[asyncpg.Record, int | None]:
    """(the response, the project it was stored in; None for a replay)."""
    organization_id = answering_organization(principal)
    found: list[Refusal] = []
    key = validation.text(found, "idempotencyKey", answer.idempotency_key, maximum=200, required=False)
    if principal.answer_round_id is not None and round_id != principal.answer_round_id:
        raise not_found(*ROUND)  # an answer link answers its own round only
    if key and round_id is not None and (replay := await _replay(connection, organization_id, key, round_id)):
        return replay, None
    # FOR SHARE: answers may arrive in parallel; closing the round waits for them
    row = await surveys.lock_round(connection, round_id, exclusive=False) if round_id else None
    role = (await projects.partner_roles(connection, row["project_id"])).get(organization_id) if row else None
    if row is None or role is None:
        raise not_found(*ROUND)
    if role == PartnerRole.MODERATOR:
        raise forbidden("Moderators coordinate the project; they do not answer its surveys.")
    scores = {
        name: validation.number(found, field, getattr(answer, name), minimum=low, maximum=high)
        for name, (field, low, high) in SCORE_FIELDS.items()
    }
    comment = validation.text(found, "comment", answer.comment, maximum=2000, required=False)
    refuse_all(found)
    if row["status"] == RoundStatus.CLOSED:
        raise Refusal(RefusalCode.ROUND_CLOSED, "The round is closed; answers are no longer taken.", "roundId")
    stored = await surveys.insert_response(
        connection, row["id"], organization_id, {**scores, "comment": comment, "idempotency_key": key}
    )
    if stored is None:
        # a concurrent request with the same key may have won; otherwise the organization answered already
        replay = await surveys.response_by_key(connection, organization_id, key) if key else None
        if replay is not None:
            return replay, None
        raise Refusal(RefusalCode.ALREADY_ANSWERED, "Your organization has already answered this round.", "roundId")
    return stored, row["project_id"]


async def _replay(
    connection: asyncpg.Connection, organization_id: int, key: str, round_id: int
) -> asyncpg.Record | None:
    """The organization's earlier response with this key, if any. A key of an answer to another round is
    not a replay but a key used again by mistake: answering with that response would make the client
    believe this answer was stored."""
    replay = await surveys.response_by_key(connection, organization_id, key)
    if replay is not None and replay["round_id"] != round_id:
        raise Refusal(
            RefusalCode.INVALID,
            "This idempotency key belongs to your answer to another round; use a new key per answer.",
            "idempotencyKey",
        )
    return replay


def schedule_problems(every_weeks: int, answer_window_days: int) -> list[Refusal]:
    """A round every 1 to 52 weeks, open for at least a day and at most until the next one."""
    if not 1 <= every_weeks <= 52:
        return [invalid("everyWeeks", "Between 1 and 52.")]
    if not 1 <= answer_window_days <= every_weeks * 7:
        return [invalid("answerWindowDays", f"Between 1 and {every_weeks * 7} (7 × everyWeeks).")]
    return []


async def set_schedule(
    runtime: Runtime, principal: Principal, project_id: int | None, every_weeks: int, answer_window_days: int
) -> asyncpg.Record:
    """Rounds that open (and close) by themselves; admins, the lead partner and moderators."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators set the survey schedule.")
        require_open(access)
        refuse_all(schedule_problems(every_weeks, answer_window_days))
        return await schedules.set_schedule(connection, access.project_id, every_weeks, answer_window_days)


async def remove_schedule(runtime: Runtime, principal: Principal, project_id: int | None) -> None:
    """No more rounds open or close by themselves (an open round stays open until closed by hand); admins,
    the lead partner and moderators."""
    require_authenticated(principal)
    async with runtime.transaction() as connection:
        access = await locked_project(connection, principal, project_id)
        if not access.manages:
            raise forbidden("Only admins, the lead partner and moderators remove the survey schedule.")
        if not await schedules.remove_schedule(connection, access.project_id):
            raise not_found("survey schedule for the project", "projectId")
