"""Batch functions for DataLoaders (one SQL statement per batch of keys), and the DataLoader."""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import Any

import asyncpg
from strawberry.exceptions import WrongNumberOfResultsReturned

Fetch = Callable[[asyncpg.Connection, list[Any]], Awaitable[list[asyncpg.Record]]]
Batch = Callable[[Sequence[Any]], Awaitable[list[Any]]]


def one_per_key(pool: asyncpg.Pool, fetch: Fetch, column: str = "id") -> Batch:
    """Each key maps to the row whose `column` equals it, or None."""

    async def load(keys: Sequence[Hashable]) -> list[asyncpg.Record | None]:
        async with pool.acquire() as connection:
            rows = await fetch(connection, list(keys))
        found = {row[column]: row for row in rows}
        return [found.get(key) for key in keys]

    return load


def many_per_key(pool: asyncpg.Pool, fetch: Fetch, column: str) -> Batch:
    """Each key maps to the rows whose `column` equals it, in the order the query returned them."""

    async def load(keys: Sequence[Hashable]) -> list[list[asyncpg.Record]]:
        async with pool.acquire() as connection:
            rows = await fetch(connection, list(keys))
        groups: dict[Any, list[asyncpg.Record]] = defaultdict(list)
        for row in rows:
            groups[row[column]].append(row)
        return [groups.get(key, []) for key in keys]

    return load


def windowed(pool: asyncpg.Pool, fetch: Callable[..., Awaitable[list[asyncpg.Record]]], column: str) -> Batch:
    """Keys are (parent id, *window); one statement per distinct window in the batch. `fetch` takes the
    parent ids and the window's values and returns rows carrying the parent id in `column`."""

    async def load(keys: Sequence[tuple]) -> list[list[asyncpg.Record]]:
        by_window: dict[tuple, list[Any]] = defaultdict(list)
        for parent, *window in keys:
            by_window[tuple(window)].append(parent)
        pages: dict[tuple, list[asyncpg.Record]] = defaultdict(list)
        async with pool.acquire() as connection:
            for window_values, parents in by_window.items():
                for row in await fetch(connection, parents, *window_values):
                    pages[(row[column], *window_values)].append(row)
        return [pages.get(tuple(key), []) for key in keys]

    return load


class Loader:
    """A request's DataLoader: strawberry's batching and caching, less its per-key machinery.

    Like strawberry's DataLoader (which this replaced), `load` returns a cached Future per key, keys loaded
    until the batch's task starts (two turns of the event loop after the first key) go to one call of the
    batch function, a batch whose futures were all cancelled before it starts is not sent, the function's
    exception (or an exception in its place of a key) is each future's, and `prime` fills the cache and the
    pending batch. What it leaves out cost more than the batch's SQL for a page of 100 keys: a done callback
    per key (strawberry's cancels a batch in flight once all its futures are cancelled; here the statement
    ends and its rows go unread), and mostly `load_many`'s asyncio.gather, one more future and callback per
    key (see there).
    """

    __slots__ = ("batch", "batch_fn", "cache", "loop")

    def __init__(self, batch_fn: Batch) -> None:
        self.batch_fn = batch_fn
        self.cache: dict[Hashable, asyncio.Future[Any]] = {}
        self.batch: _Pending | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def load(self, key: Hashable) -> "asyncio.Future[Any]":
        future = self.cache.get(key)
        if future is not None and not future.cancelled():
            return future
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        future = self.cache[key] = self.loop.create_future()
        batch = self.batch
        if batch is None or batch.dispatched or not batch.keys:
            batch = self.batch = _Pending()
            self.loop.call_soon(self._schedule, batch)
        batch.keys.append(key)
        batch.futures.append(future)
        return future

    def load_many(self, keys: Iterable[Hashable]) -> Awaitable[list[Any]]:
        """asyncio.gather of the keys' futures. Those it makes are one pending batch's, in the keys' order: when
        the others are loaded already, gather's outcome is that of awaiting them in order (the first exception
        in the batch's order), which costs no future and callback per key."""
        futures = []
        in_order = True
        for key in keys:
            cached = self.cache.get(key)
            if cached is not None and not cached.cancelled():
                in_order = in_order and cached.done() and cached.exception() is None
                futures.append(cached)
            else:
                futures.append(self.load(key))
        return _in_order(futures) if in_order else asyncio.gather(*futures)

    def prime(self, key: Hashable, value: Any) -> None:
        """`value` for `key` unless it is cached; a pending batch's future of the key gets it too."""
        if key not in self.cache:
            future = self.cache[key] = (self.loop or asyncio.get_running_loop()).create_future()
            future.set_result(value)
        batch = self.batch
        if batch is not None and not batch.dispatched and key in batch.keys:
            for pending_key, future in zip(batch.keys, batch.futures, strict=True):
                if pending_key == key and not future.done():
                    future.set_result(value)
            pending = [(k, f) for k, f in zip(batch.keys, batch.futures, strict=True) if not f.done()]
            batch.keys = [k for k, _ in pending]
            batch.futures = [f for _, f in pending]

    def _schedule(self, batch: "_Pending") -> None:
        batch.task = asyncio.ensure_future(self._dispatch(batch))

    async def _dispatch(self, batch: "_Pending") -> None:
        try:
            await self._run(batch)
        finally:
            batch.task = None  # the task held its batch, the batch its task

    async def _run(self, batch: "_Pending") -> None:
        batch.dispatched = True
        futures = batch.futures
        if not futures or all(future.cancelled() for future in futures):
            return
        try:
            values = list(await self.batch_fn(batch.keys))
            if len(values) != len(futures):
                raise WrongNumberOfResultsReturned(expected=len(futures), received=len(values))
        except Exception as error:
            for future in futures:
                if not future.cancelled():
                    future.set_exception(error)
            return
        for future, value in zip(futures, values, strict=True):
            if future.cancelled():
                continue
            if isinstance(value, BaseException):
                future.set_exception(value)
            else:
                future.set_result(value)


class _Pending:
    __slots__ = ("dispatched", "futures", "keys", "task")

    def __init__(self) -> None:
        self.keys: list[Hashable] = []
        self.futures: list[asyncio.Future[Any]] = []
        self.dispatched = False
        self.task: asyncio.Future[None] | None = None  # held while it runs


async def _in_order(futures: list["asyncio.Future[Any]"]) -> list[Any]:
    return [await future for future in futures]
