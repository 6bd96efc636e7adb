"""Jobs of one worker process that ask for the same kind of work while it is busy go together next time.

At a few hundred answers a second every answer's recomputation is a job of its own (one job id per project),
and each costs about a dozen statements whatever its size. A `Batcher` runs at most `max_batches` calls at
once; what is asked for meanwhile waits and goes into the next call together (up to `limit` calls). Alone, a
job runs at once: batching adds no waiting at low load, and at high load the statements per job fall with
the batch's size.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")

# a key's result, or what it failed with (the others of its batch may still have succeeded)
Run = Callable[[list[Key]], Awaitable[dict[Key, Value | BaseException]]]


class Batcher(Generic[Key, Value]):
    def __init__(self, run: Run[Key, Value], limit: int = 100, max_batches: int = 2) -> None:
        self._run = run
        self._limit = limit
        self._max_batches = max_batches
        self._waiting: list[tuple[Key, asyncio.Future[Value]]] = []
        self._running: set[asyncio.Task[None]] = set()
        self.batches = 0  # calls of `run` so far
        self.keys = 0  # keys they were given

    async def __call__(self, key: Key) -> Value:
        """`run`'s result for `key`, from a batch with whatever else is waiting. A caller cancelled while it
        waits leaves its batch running (the others' results are theirs)."""
        future: asyncio.Future[Value] = asyncio.get_running_loop().create_future()
        self._waiting.append((key, future))
        self._start()
        return await future

    def _start(self) -> None:
        while self._waiting and len(self._running) < self._max_batches:
            batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
            task = asyncio.create_task(self._batch(batch))
            self._running.add(task)
            task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        self._start()

    async def _batch(self, batch: list[tuple[Key, asyncio.Future[Value]]]) -> None:
        keys = list(dict.fromkeys(key for key, _ in batch))
        self.batches += 1
        self.keys += len(keys)
        try:
            results = await self._run(keys)
        except BaseException as error:  # the batch's own failure, or its cancellation (a shutdown)
            for _, future in batch:
                if not future.done():
                    if isinstance(error, Exception):
                        future.set_exception(error)
                    else:
                        future.cancel()
            if not isinstance(error, Exception):
                raise
            return
        for key, future in batch:
            if future.done():
                continue
            result = results[key]
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)
