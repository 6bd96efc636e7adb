"""arq's worker, woken by an enqueue instead of waiting for its next poll.

arq polls its queue every `poll_delay` seconds, so a submission's recomputation waited half a poll on average and
almost a whole one at the 95th percentile. Between polls this worker blocks on the namespace's wake-up set
(`domain.jobs.wake_key`) for at most `poll_delay`: an enqueue puts its one member there, and the worker polls at
once. The jobs themselves stay in arq's queue, so the wake-up is only a hint: missed (Redis unreachable for the
enqueue's second command, several workers and one wake-up) it costs a poll's wait, as before.

`wake_gather` seconds after a wake-up the worker still waits before it polls, so that jobs asked for together
(one project's answers, a transaction's several enqueues) are started in one poll and go into one batch.
"""

import asyncio
import logging
from typing import Any

from arq.connections import create_pool, log_redis_info
from arq.worker import Worker, get_kwargs
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class WakingWorker(Worker):
    def __init__(self, *args: Any, wake_key: str | None = None, wake_gather: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wake_key = wake_key  # None: poll only, as arq does
        self.wake_gather_s = wake_gather
        self.wake_ups = 0  # polls a wake-up started before the poll delay was over

    async def main(self) -> None:
        """arq 0.28's `Worker.main`, with its fixed sleep between polls replaced by `wait_between_polls`."""
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        log.info("Starting worker for %d functions: %s", len(self.functions), ", ".join(self.functions))
        await log_redis_info(self.pool, log.info)
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)

        while True:
            await self._poll_iteration()
            if self.burst:
                if 0 <= self.max_burst_jobs <= self._jobs_started():
                    await asyncio.gather(*self.tasks.values())
                    return
                if await self.pool.zcard(self.queue_name) == 0:
                    await asyncio.gather(*self.tasks.values())
                    return
            await self.wait_between_polls()

    async def wait_between_polls(self) -> None:
        """Until a wake-up or the poll delay, whichever comes first."""
        if self.wake_key is None:
            await asyncio.sleep(self.poll_delay_s)
            return
        try:
            woken = await self.pool.bzpopmin(self.wake_key, timeout=self.poll_delay_s)
        except RedisError as error:
            # the poll that follows meets the same Redis and fails or retries as arq's does
            log.warning("could not wait for a wake-up; polling", extra={"error": repr(error)})
            await asyncio.sleep(self.poll_delay_s)
            return
        if woken:
            self.wake_ups += 1
            if self.wake_gather_s:
                await asyncio.sleep(self.wake_gather_s)


def run_waking_worker(settings_cls: Any, wake_key: str, wake_gather: float, **kwargs: Any) -> WakingWorker:
    """arq's `run_worker` with a `WakingWorker`."""
    worker = WakingWorker(**{**get_kwargs(settings_cls), **kwargs}, wake_key=wake_key, wake_gather=wake_gather)
    worker.run()
    return worker
