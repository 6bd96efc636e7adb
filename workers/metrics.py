"""Job durations and outcomes, counted in Redis so that every worker process adds to the same numbers and
the API's /metrics can show them (api/metrics.py reads them back)."""

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis

log = logging.getLogger(__name__)

# upper bounds in seconds; a recomputation of one project takes milliseconds, the cron jobs up to seconds
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
OUTCOMES = ("succeeded", "failed", "cancelled")


def jobs_key(namespace: str) -> str:
    return f"{namespace}:metrics:jobs"


def bucket_of(seconds: float) -> str:
    """The smallest bucket that holds `seconds` ("+Inf" beyond the last)."""
    return next((str(bound) for bound in BUCKETS if seconds <= bound), "+Inf")


async def record_job(redis: Redis, namespace: str, function: str, outcome: str, seconds: float) -> None:
    """One round trip: count the outcome, add the duration to the sum and to its (non-cumulative) bucket."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(jobs_key(namespace), f"{function}|{outcome}", 1)
        pipe.hincrbyfloat(jobs_key(namespace), f"{function}|seconds", seconds)
        pipe.hincrby(jobs_key(namespace), f"{function}|le|{bucket_of(seconds)}", 1)
        await pipe.execute()


Job = Callable[..., Awaitable[Any]]


def measured(job: Job) -> Job:
    """Wrap an arq job: its duration and outcome are recorded; a failing record never fails the job."""

    @functools.wraps(job)  # arq names jobs by __qualname__: the wrapper keeps the job's name
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        outcome = "failed"
        try:
            result = await job(ctx, *args, **kwargs)
            outcome = "succeeded"
            return result
        except asyncio.CancelledError:  # arq's timeout, or a shutdown: the job runs again
            outcome = "cancelled"
            raise
        finally:
            with contextlib.suppress(Exception):
                namespace = ctx["settings"].redis_namespace
                seconds = time.perf_counter() - started
                await asyncio.wait_for(record_job(ctx["redis"], namespace, job.__name__, outcome, seconds), 1)

    return run


def job_samples(fields: dict[bytes, bytes]) -> dict[str, dict[str, Any]]:
    """The Redis hash back as numbers per job function: outcomes, duration sum and cumulative buckets."""
    jobs: dict[str, dict[str, Any]] = {}
    for raw_field, raw_value in fields.items():
        function, kind, *rest = raw_field.decode().split("|")
        job = jobs.setdefault(function, {"outcomes": dict.fromkeys(OUTCOMES, 0), "seconds": 0.0, "buckets": {}})
        if kind == "seconds":
            job["seconds"] = float(raw_value)
        elif kind == "le":
            job["buckets"][rest[0]] = int(raw_value)
        else:
            job["outcomes"][kind] = int(raw_value)
    for job in jobs.values():
        running = 0
        cumulative = []
        for bound in [*(str(b) for b in BUCKETS), "+Inf"]:
            running += job["buckets"].get(bound, 0)
            cumulative.append((bound, running))
        job["buckets"] = cumulative
    return jobs
