"""Start-up that outlasts a PostgreSQL or Redis that is not there yet (starting, restarting, failing over):
`serve` and `worker` retry with backoff for `startup_wait_seconds` instead of exiting at once."""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import asyncpg
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("partnerpulse.startup")
T = TypeVar("T")
FIRST_DELAY = 0.2
LONGEST_DELAY = 5.0


class GaveUpWaiting(RuntimeError):
    """A server stayed unreachable for the whole `startup_wait_seconds`."""


def postgres_unreachable(error: BaseException) -> bool:
    """Refused, timed out, or the server is starting or shutting down (not: a wrong password or database)."""
    return isinstance(
        error,
        asyncpg.PostgresConnectionError
        | asyncpg.CannotConnectNowError
        | asyncpg.AdminShutdownError
        | asyncpg.InterfaceError
        # a pooled connection the server dropped mid-operation (seen when PostgreSQL restarts under a worker)
        | asyncpg.InternalClientError
        | OSError
        | asyncio.TimeoutError,
    )


def redis_unreachable(error: BaseException) -> bool:
    return isinstance(error, RedisConnectionError | RedisTimeoutError | OSError | asyncio.TimeoutError)


async def wait_for(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    seconds: float,
    transient: Callable[[BaseException], bool],
) -> T:
    """`attempt()` until it succeeds. Failures that `transient` accepts are retried with doubling delays
    (0.2 s up to 5 s) for at most `seconds`; any other failure ends the wait at once. Logged once when the
    wait begins and once when it ends, not per attempt."""
    started = time.monotonic()
    delay = FIRST_DELAY
    waiting = False
    while True:
        try:
            result = await attempt()
        except Exception as error:
            if not transient(error):
                raise
            waited = time.monotonic() - started
            if waited + delay > seconds:
                log.error(
                    f"gave up waiting for {what}", extra={"waited_seconds": round(waited, 1), "error": repr(error)}
                )
                raise GaveUpWaiting(f"{what} stayed unreachable for {seconds:g} s: {error!r}") from error
            if not waiting:
                log.warning(
                    f"waiting for {what}: not reachable yet, retrying with backoff",
                    extra={"error": repr(error), "wait_seconds": seconds},
                )
                waiting = True
            await asyncio.sleep(delay)
            delay = min(delay * 2, LONGEST_DELAY)
            continue
        if waiting:
            log.info(f"{what} reachable", extra={"waited_seconds": round(time.monotonic() - started, 1)})
        return result
