"""The job contract between the API and the workers: job names, job ids and how a job is asked for.

Both sides import it from here, so that the API never loads the worker's pipeline to enqueue a job. Any
queue with arq's `enqueue_job` will do (the API's and the worker's arq Redis pools); its default queue must
be the namespace's (`Settings.queue_name`).

An enqueue also wakes a waiting worker (`workers.waking`): it puts one member into the namespace's wake-up set,
which a worker blocks on between its polls. The wake-up is only a hint; the job is in arq's queue before it,
and a worker that misses it finds the job at its next poll.
"""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

log = logging.getLogger(__name__)
RECOMPUTE = "recompute_project"
SEND_MAILS = "send_mails"
ENQUEUE_TIMEOUT = 1.0


WAKE_MEMBER = "jobs"


class JobQueue(Protocol):
    async def enqueue_job(self, function: str, *args: Any, _job_id: str | None = None, **kwargs: Any) -> Any: ...

    # redis-py's (typed as returning an awaitable or a value, for its sync and async clients alike)
    def zadd(self, name: str, mapping: Mapping[str, float]) -> Any: ...


def wake_key(namespace: str) -> str:
    # a sorted set of one member: however many enqueues come before a worker looks, it holds one wake-up
    return f"{namespace}:wake"


async def wake_workers(queue: JobQueue, namespace: str) -> None:
    """Tell a worker blocked between polls that a job is queued. Failing costs only the wait for its poll."""
    try:
        await queue.zadd(wake_key(namespace), {WAKE_MEMBER: 0})
    except Exception as error:
        log.warning("could not wake a worker; it finds the job at its next poll", extra={"error": repr(error)})


def recompute_job_id(namespace: str, project_id: int) -> str:
    # one queued job per project: arq drops an enqueue whose job id is queued or running
    return f"{namespace}:recompute:{project_id}"


def mail_job_id(namespace: str) -> str:
    return f"{namespace}:mail"


async def enqueue_recompute(queue: JobQueue, namespace: str, project_id: int) -> bool:
    """Ask for a recomputation; False when one is already queued or running (that one will do)."""
    job_id = recompute_job_id(namespace, project_id)
    if await queue.enqueue_job(RECOMPUTE, project_id, _job_id=job_id) is None:
        return False
    await wake_workers(queue, namespace)
    return True


async def enqueue_sending(queue: JobQueue, namespace: str) -> None:
    """Ask a worker to send what is due. Dropped while a sender is queued or running: that one sends it, or
    the cron run a few seconds later does."""
    if await queue.enqueue_job(SEND_MAILS, _job_id=mail_job_id(namespace)) is not None:
        await wake_workers(queue, namespace)


async def request_recompute(queue: JobQueue, namespace: str, project_id: int) -> None:
    """After commit: ask a worker to recompute. If Redis does not answer, the reconciler will find the
    project by its data_version, so this only logs."""
    try:
        async with asyncio.timeout(ENQUEUE_TIMEOUT):
            await enqueue_recompute(queue, namespace, project_id)
    except Exception as error:  # Redis down or slow: the recomputation is delayed, not lost
        log.warning(
            "enqueue failed; the reconciler will catch up", extra={"project_id": project_id, "error": repr(error)}
        )


async def request_sending(queue: JobQueue, namespace: str) -> None:
    """After commit: ask a worker to send the outbox. If Redis does not answer, the sender's cron run finds
    the mails a few seconds later."""
    try:
        async with asyncio.timeout(ENQUEUE_TIMEOUT):
            await enqueue_sending(queue, namespace)
    except Exception as error:  # Redis down or slow: the mails wait, they are not lost
        log.warning("enqueue of mail sending failed; the cron run will send", extra={"error": repr(error)})
