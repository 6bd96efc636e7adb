"""The API side of flag events: one Redis subscription per process, fanned out to GraphQL subscriptions."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError, TimeoutError

from db import flags
from domain.events import FlagEvent

log = logging.getLogger(__name__)
QUIET_POLL_SECONDS = 30.0
LOST_BEFORE_NOTICED = timedelta(seconds=10)


@dataclass(frozen=True)
class Resumed:
    """What `listen` yields after an interruption: events published from `since` on may be missing."""

    since: datetime


async def listen(
    redis: Redis, channel: str, first_retry: float = 0.2, longest_retry: float = 1.0
) -> AsyncGenerator[FlagEvent | Resumed, None]:
    """The channel's events for as long as the caller listens, across quiet hours and Redis restarts: a
    dropped connection subscribes again, retrying every second at most while Redis is away, and then says
    since when events may have been lost (pub/sub keeps nothing for absent listeners)."""
    delay = first_retry
    interrupted_at: datetime | None = None
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            delay = first_retry
            if interrupted_at is not None:
                log.info("flag events resumed")
                yield Resumed(interrupted_at)
                interrupted_at = None
            while True:
                # an explicit timeout: pubsub.listen() reads with the client's socket timeout and fails
                # after that long without an event
                message = await pubsub.get_message(timeout=QUIET_POLL_SECONDS)
                if message is not None and (event := FlagEvent.decode(message["data"])) is not None:
                    yield event
        except (ConnectionError, TimeoutError, OSError) as error:
            # once per outage, not once a second while Redis is away
            (log.debug if interrupted_at else log.warning)(
                "flag events interrupted; subscribing again", extra={"error": repr(error)}
            )
            # a publication can be lost a little before the dropped connection shows
            interrupted_at = interrupted_at or datetime.now(UTC) - LOST_BEFORE_NOTICED
        finally:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await pubsub.aclose()
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest_retry)


class FlagEventHub:
    """One Redis subscription per API process, fanned out to every live GraphQL subscription in it: a
    thousand open dashboards cost one Redis connection, not a thousand. It listens from the start of the
    process, so a subscription misses nothing published after it began; after a Redis outage it replays,
    from PostgreSQL, the flag changes that may have been published while nobody listened."""

    def __init__(self, redis: Redis, pool: Any, channel: str, per_subject: int, queue_size: int = 256) -> None:
        self._redis = redis
        self._pool = pool
        self._channel = channel
        self._per_subject = per_subject
        self._queue_size = queue_size
        self._queues: dict[asyncio.Queue[FlagEvent], str] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._relay(), name="flag-event-hub")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def has_room_for(self, subject: str) -> bool:
        """`subject` (a token) may hold `per_subject` subscriptions at once."""
        return sum(1 for holder in self._queues.values() if holder == subject) < self._per_subject

    @contextlib.contextmanager
    def subscription(self, subject: str) -> Iterator["asyncio.Queue[FlagEvent]"]:
        """A queue of the events from now on."""
        self.start()  # again, should the relay have died of something unforeseen
        queue: asyncio.Queue[FlagEvent] = asyncio.Queue(self._queue_size)
        self._queues[queue] = subject
        try:
            yield queue
        finally:
            del self._queues[queue]

    async def _relay(self) -> None:
        try:
            async for item in listen(self._redis, self._channel):
                for event in [item] if isinstance(item, FlagEvent) else await self._changed_since(item.since):
                    for queue in list(self._queues):
                        if queue.full():  # a subscriber that stopped reading loses its oldest event, nobody else's
                            queue.get_nowait()
                        queue.put_nowait(event)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the flag event relay failed; it starts again with the next subscription")

    async def _changed_since(self, since: datetime) -> list[FlagEvent]:
        try:
            async with self._pool.acquire() as connection:
                rows = await flags.changed_since(connection, since)
        except Exception:  # the database away as well: nothing to replay from
            log.warning("could not replay the flag changes of a Redis outage", exc_info=True)
            return []
        log.info("replaying flag changes of a Redis outage", extra={"events": len(rows)})
        return [FlagEvent(row["id"], row["project_id"], row["change"]) for row in rows]
