"""arq jobs: idempotent full recomputation of one project, and the reconciler that finds stale ones."""

import logging
from typing import Any

from arq.connections import ArqRedis

from db import statistics
from workers import events
from workers.recompute import recompute, thresholds

log = logging.getLogger(__name__)

RECOMPUTE = "recompute_project"


def recompute_job_id(project_id: int) -> str:
    # one queued job per project: arq drops an enqueue whose job id is queued or running
    return f"recompute:{project_id}"


async def enqueue_recompute(redis: ArqRedis, project_id: int) -> bool:
    """Ask for a recomputation; False when one is already queued or running (that one will do)."""
    return await redis.enqueue_job(RECOMPUTE, project_id, _job_id=recompute_job_id(project_id)) is not None


async def recompute_project(ctx: dict[str, Any], project_id: int) -> int | None:
    """Recompute everything derived from one project's data; return the data version computed from."""
    async with ctx["pool"].acquire() as connection:
        result = await recompute(connection, project_id, thresholds(ctx["settings"]))
        if result is None:
            return None  # the project was deleted
        newer = await statistics.data_version(connection, project_id)
    await events.publish(ctx["redis"], result.events)
    version = result.version
    if newer is not None and newer > version:
        # data arrived while this job ran; its own enqueue was dropped because this job id was busy
        await ctx["redis"].enqueue_job(RECOMPUTE, project_id, _job_id=f"{recompute_job_id(project_id)}:v{newer}")
    return version


async def reconcile(ctx: dict[str, Any]) -> int:
    """Enqueue every project whose data is newer than its statistics; return how many were enqueued."""
    async with ctx["pool"].acquire() as connection:
        stale = await statistics.stale_projects(connection)
    enqueued = 0
    for project_id in stale:
        enqueued += await enqueue_recompute(ctx["redis"], project_id)
    if stale:
        log.info("reconciled", extra={"stale": len(stale), "enqueued": enqueued})
    return enqueued
