"""Rate limits per token (per client address without one), in Redis, with the generic cell rate
algorithm: one key per subject and budget, updated atomically by a Lua script.

Budgets: every request; mutations on top; survey submissions on top of that. When Redis does not answer,
each API process falls back to the same algorithm in memory, so limits still hold per process: reads and
writes keep being served (a write accepted then is stored like any other), and nobody gets unlimited.
"""

import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS[1]: the subject's key. ARGV: now (ms), emission interval (ms), burst tolerance (ms).
# Returns 0 when allowed, else the milliseconds to wait.
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
if now < tat - tolerance then return math.ceil(tat - tolerance - now) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now + tolerance) + 1000)
return 0
"""


@dataclass(frozen=True)
class Budget:
    name: str
    per_minute: int

    @property
    def interval_ms(self) -> float:
        return 60_000 / self.per_minute

    @property
    def burst(self) -> int:
        """Requests allowed at once: a quarter of the minute's budget (at least one)."""
        return max(1, self.per_minute // 4)

    @property
    def tolerance_ms(self) -> float:
        return self.interval_ms * (self.burst - 1)


class RateLimiter:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace
        self.script = redis.register_script(_GCRA)
        self.local: dict[str, float] = {}  # fallback: theoretical arrival times per key, in ms

    async def wait_seconds(self, budget: Budget, subject: str) -> int:
        """0 when the request may proceed, otherwise the seconds to wait (Retry-After)."""
        key = f"{self.namespace}:rate:{budget.name}:{subject}"
        now = time.time() * 1000
        try:
            wait_ms = int(await self.script(keys=[key], args=[int(now), budget.interval_ms, budget.tolerance_ms]))
        except (RedisError, OSError):
            log.warning("rate limiting falls back to this process", extra={"budget": budget.name})
            wait_ms = self._local(key, now, budget)
        return math.ceil(wait_ms / 1000) if wait_ms > 0 else 0

    def _local(self, key: str, now: float, budget: Budget) -> float:
        tat = max(self.local.get(key, now), now)
        if now < tat - budget.tolerance_ms:
            return tat - budget.tolerance_ms - now
        self.local[key] = tat + budget.interval_ms
        if len(self.local) > 100_000:  # forget the oldest subjects rather than grow without bound
            for stale in [k for k, v in self.local.items() if v < now][:50_000]:
                del self.local[stale]
        return 0
