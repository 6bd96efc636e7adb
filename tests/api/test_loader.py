"""schema.batching.Loader batches, caches and fails as strawberry's DataLoader (which it replaced) does.

The same scripts of loads, primes, awaits and turns of the event loop run against both; the batches the
batch function receives and every outcome (value or exception) must be the same."""

import asyncio
from collections.abc import Hashable, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.dataloader import DataLoader

from schema.batching import Loader

steps = st.lists(
    st.one_of(
        st.tuples(st.just("load"), st.integers(0, 6)),
        st.tuples(st.just("load_many"), st.lists(st.integers(0, 6), max_size=4)),
        st.tuples(st.just("prime"), st.integers(0, 6)),
        st.tuples(st.just("turn"), st.just(0)),
    ),
    max_size=25,
)


async def run(make: Any, script: list[tuple[str, Any]]) -> tuple[list[list[Hashable]], list[Any]]:
    batches: list[list[Hashable]] = []

    async def batch_fn(keys: Sequence[Hashable]) -> list[Any]:
        batches.append(list(keys))
        await asyncio.sleep(0)
        if 6 in keys:
            raise RuntimeError(f"batch {len(batches)} failed")
        return [ValueError(f"no {key}") if key == 5 else f"{key}@{len(batches)}" for key in keys]

    loader = make(batch_fn)
    awaitables: list[Any] = []
    for step, argument in script:
        if step == "load":
            awaitables.append(loader.load(argument))
        elif step == "load_many":
            awaitables.append(loader.load_many(argument))
        elif step == "prime":
            loader.prime(argument, f"primed {argument}")
        else:
            await asyncio.sleep(0)
    outcomes = []
    for awaitable in awaitables:
        try:
            outcomes.append(await awaitable)
        except Exception as error:  # the outcome compared
            outcomes.append(repr(error))
    return batches, outcomes


@settings(max_examples=200, deadline=None)
@given(steps)
def test_loader_is_strawberrys_dataloader(script: list[tuple[str, Any]]) -> None:
    assert asyncio.run(run(Loader, script)) == asyncio.run(run(DataLoader, script))


def test_load_many_fails_as_gather_with_futures_of_several_batches() -> None:
    """A key's exception known already, another batch's exception later: gather's outcome is the first."""
    script = [("load", 5), ("turn", 0), ("turn", 0), ("turn", 0), ("turn", 0), ("load_many", [6, 5])]
    assert asyncio.run(run(Loader, script)) == asyncio.run(run(DataLoader, script))
    script = [("load", 6), ("turn", 0), ("turn", 0), ("load_many", [1, 5, 6])]
    assert asyncio.run(run(Loader, script)) == asyncio.run(run(DataLoader, script))


async def test_a_wrong_number_of_results_fails_every_key() -> None:
    async def short(keys: Sequence[Hashable]) -> list[Any]:
        return list(keys)[:-1]

    loader = Loader(short)
    futures = [loader.load(1), loader.load(2)]
    for future in futures:
        with pytest.raises(Exception, match="Received wrong number of results"):
            await future


async def test_a_batch_whose_futures_are_all_cancelled_is_not_sent() -> None:
    sent: list[Sequence[Hashable]] = []

    async def batch_fn(keys: Sequence[Hashable]) -> list[Any]:
        sent.append(keys)
        return list(keys)

    loader = Loader(batch_fn)
    loader.load(1).cancel()
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert sent == []
    assert await loader.load(1) == 1  # a cancelled future is not served from the cache
