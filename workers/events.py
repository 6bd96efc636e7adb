"""Risk flag events on Redis pub/sub: workers and the API publish, subscriptions listen."""

import json
import logging
from dataclasses import asdict, dataclass

from redis.asyncio import Redis

log = logging.getLogger(__name__)


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
