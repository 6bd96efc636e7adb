"""The flag-event wire format: what workers and the API publish on Redis pub/sub when a risk flag changes.

The channel is `Settings.events_channel`; the API's `api.flag_events.FlagEventHub` listens and fans out."""

import json
import logging
from dataclasses import asdict, dataclass
from enum import StrEnum

from redis.asyncio import Redis

log = logging.getLogger(__name__)


class FlagChange(StrEnum):
    RAISED = "RAISED"
    UPDATED = "UPDATED"  # severity, weight or evidence changed; subscriptions skip it
    RESOLVED = "RESOLVED"
    ACKNOWLEDGED = "ACKNOWLEDGED"


@dataclass(frozen=True)
class FlagEvent:
    flag_id: int
    project_id: int
    change: str  # a FlagChange

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
