"""Risk flag events on Redis pub/sub: workers and the API publish, subscriptions listen."""

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from dataclasses import asdict, dataclass

from redis.asyncio import Redis
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)
QUIET_POLL_SECONDS = 30.0


@dataclass(frozen=True)
class FlagEvent:
    flag_id: int
    project_id: int
    change: str  # RAISED | UPDATED | RESOLVED | ACKNOWLEDGED

    def encode(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def decode(cls, raw: bytes | str) -> "FlagEvent | None":
        try:
            data = json.loads(raw)
            return cls(flag_id=int(data["flag_id"]), project_id=int(data["project_id"]), change=str(data["change"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed flag event", extra={"raw": str(raw)[:200]})
            return None


async def publish(redis: Redis, channel: str, events: list[FlagEvent]) -> None:
    """Best effort: the flags are committed already; a lost event only means a subscriber refetches later."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(channel, event.encode())
            await pipe.execute()
    except Exception:  # Redis down: the data is safe in PostgreSQL
        log.warning("could not publish flag events", exc_info=True, extra={"events": len(events)})


async def listen(
    redis: Redis, channel: str, first_retry: float = 0.2, longest_retry: float = 1.0
) -> AsyncGenerator[FlagEvent, None]:
    """The channel's events for as long as the caller listens, across quiet hours and Redis restarts: a
    dropped connection subscribes again, retrying every second at most while Redis is away. Events
    published while nobody was subscribed are gone, as with any pub/sub; the flags are in PostgreSQL."""
    delay = first_retry
    while True:
        pubsub = redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(channel)
            delay = first_retry
            while True:
                # an explicit timeout: pubsub.listen() reads with the client's socket timeout and fails
                # after that long without an event
                message = await pubsub.get_message(timeout=QUIET_POLL_SECONDS)
                if message is not None and (event := FlagEvent.decode(message["data"])) is not None:
                    yield event
        except (ConnectionError, TimeoutError, OSError) as error:
            log.warning("flag events interrupted; subscribing again", extra={"error": repr(error), "retry_in": delay})
        finally:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await pubsub.aclose()
        await asyncio.sleep(delay)
        delay = min(delay * 2, longest_retry)
