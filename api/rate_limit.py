"""Rate limits per token (per client address without one), in Redis, with the generic cell rate
algorithm: one key per subject and budget, updated atomically by a Lua script.

Budgets count operations, not HTTP requests: every operation (each one of a batch, each one sent over a
WebSocket); every root field of a mutation on top (aliases included); every submitSurveyResponse field on
top of that. A request's operations are taken from a budget at once, or not at all. When Redis does not answer,
each API process falls back to the same algorithm in memory, so limits still hold per process: reads and
writes keep being served (a write accepted then is stored like any other), and nobody gets unlimited.
"""

import logging
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import Scope

from domain.principal import Principal
from partnerpulse.settings import Settings
from schema.context import MutationLimiter

log = logging.getLogger(__name__)

# KEYS[1]: the subject's key. ARGV: now (ms), emission interval (ms), burst tolerance (ms), count.
# Returns 0 when all `count` are allowed (and taken), else the milliseconds to wait.
_GCRA = """
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local count = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_at = tat + (count - 1) * interval - tolerance
if now < allowed_at then return math.ceil(allowed_at - now) end
local new_tat = tat + count * interval
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil(new_tat - now + tolerance) + 1000)
return 0
"""


@dataclass(frozen=True)
class Budget:
    name: str
    per_minute: int
    # budgets over a longer period (sign-in links: an hour) with a burst of their own; per_minute is then
    # the number per period
    period_seconds: int = 60
    burst_size: int | None = None

    @property
    def interval_ms(self) -> float:
        return self.period_seconds * 1000 / self.per_minute

    @property
    def burst(self) -> int:
        """Requests allowed at once: a quarter of the minute's budget (at least one)."""
        return self.burst_size or max(1, self.per_minute // 4)

    @property
    def tolerance_ms(self) -> float:
        return self.interval_ms * (self.burst - 1)


class RateLimiter:
    def __init__(self, redis: Redis, namespace: str) -> None:
        self.redis = redis
        self.namespace = namespace
        self.script = redis.register_script(_GCRA)
        self.local: dict[str, float] = {}  # fallback: theoretical arrival times per key, in ms

    async def wait_seconds(self, budget: Budget, subject: str, count: int = 1) -> int:
        """0 when `count` operations may proceed (they are taken from the budget), otherwise the seconds to
        wait (Retry-After). `count` must not exceed the burst: that many could never proceed at once."""
        if count > budget.burst:
            raise ValueError(f"{count} {budget.name} at once exceed the burst of {budget.burst}")
        key = f"{self.namespace}:rate:{budget.name}:{subject}"
        now = time.time() * 1000
        args = [int(now), budget.interval_ms, budget.tolerance_ms, count]
        try:
            wait_ms: float = int(await self.script(keys=[key], args=args))
        except (RedisError, OSError):
            log.warning("rate limiting falls back to this process", extra={"budget": budget.name})
            wait_ms = self._local(key, now, budget, count)
        return math.ceil(wait_ms / 1000) if wait_ms > 0 else 0

    def _local(self, key: str, now: float, budget: Budget, count: int) -> float:
        tat = max(self.local.get(key, now), now)
        allowed_at = tat + (count - 1) * budget.interval_ms - budget.tolerance_ms
        if now < allowed_at:
            return allowed_at - now
        self.local[key] = tat + count * budget.interval_ms
        if len(self.local) > 100_000:  # forget the oldest subjects rather than grow without bound
            for stale in [k for k, v in self.local.items() if v < now][:50_000]:
                del self.local[stale]
        return 0


def subject(principal: Principal, scope: Scope) -> str:
    """Whose budgets an operation counts against: its token's, or its client address's without one."""
    if principal.token_id is not None:
        return f"token:{principal.token_id}"
    if principal.session_id is not None:
        return f"session:{principal.session_id}"
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


@dataclass(frozen=True)
class Refusal:
    retry_after: int
    message: str


async def take(limiter: "RateLimiter", budgets: list[tuple[Budget, int]], subject: str) -> Refusal | None:
    """Take `count` from each budget in turn; the first that cannot give them refuses (the budgets before it
    keep what they gave: the operations were attempted). More than a burst at once can never proceed: the
    message says so, and a minute is the honest Retry-After of a budget that refills in a minute."""
    for budget, count in budgets:
        if count <= 0:
            continue
        unit = "operations" if budget.name == "requests" else budget.name
        if count > budget.burst:
            return Refusal(60, f"This request holds {count} {unit}; at most {budget.burst} may be sent at once.")
        wait = await limiter.wait_seconds(budget, subject, count)
        if wait:
            return Refusal(wait, f"Too many {unit} (at most {budget.per_minute} a minute); try again in {wait} s.")
    return None


def mutation_limiter(limiter: RateLimiter | None, settings: Settings, scope: Scope) -> MutationLimiter | None:
    """The mutation budgets of one connection or request, for schema's MutationRateLimit: every root field
    counts against `mutations`, every submitSurveyResponse against `submissions` on top. None without limits."""
    if limiter is None:
        return None
    active = limiter

    async def limit(principal: Principal, mutations: int, submissions: int) -> Refusal | None:
        budgets = [
            (Budget("mutations", settings.rate_mutations_per_minute), mutations),
            (Budget("submissions", settings.rate_submissions_per_minute), submissions),
        ]
        return await take(active, budgets, subject(principal, scope))

    return limit
