"""The job contract between the API and the workers: job names, job ids and how a job is asked for.

Both sides import it from here, so that the API never loads the worker's pipeline to enqueue a job. Any
queue with arq's `enqueue_job` will do (the API's and the worker's arq Redis pools); its default queue must
be the namespace's (`Settings.queue_name`).
"""

from typing import Any, Protocol

RECOMPUTE = "recompute_project"
SEND_MAILS = "send_mails"


class JobQueue(Protocol):
    async def enqueue_job(self, function: str, *args: Any, _job_id: str | None = None, **kwargs: Any) -> Any: ...


def recompute_job_id(namespace: str, project_id: int) -> str:
    # one queued job per project: arq drops an enqueue whose job id is queued or running
    return f"{namespace}:recompute:{project_id}"


def mail_job_id(namespace: str) -> str:
    return f"{namespace}:mail"


async def enqueue_recompute(queue: JobQueue, namespace: str, project_id: int) -> bool:
    """Ask for a recomputation; False when one is already queued or running (that one will do)."""
    job_id = recompute_job_id(namespace, project_id)
    return await queue.enqueue_job(RECOMPUTE, project_id, _job_id=job_id) is not None


async def enqueue_sending(queue: JobQueue, namespace: str) -> None:
    """Ask a worker to send what is due. Dropped while a sender is queued or running: that one sends it, or
    the cron run a few seconds later does."""
    await queue.enqueue_job(SEND_MAILS, _job_id=mail_job_id(namespace))
