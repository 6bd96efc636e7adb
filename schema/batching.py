"""Batch functions for DataLoaders: one SQL statement per batch of keys."""

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any

import asyncpg

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
