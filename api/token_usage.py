"""Last use of tokens, recorded in batches: authenticating a request costs no write."""

import asyncio
import contextlib
import logging

import asyncpg

from db.tokens import record_token_use

log = logging.getLogger(__name__)
FLUSH_INTERVAL = 60.0


class TokenUsage:
    def __init__(self) -> None:
        self._seen: set[int] = set()

    def seen(self, token_id: int) -> None:
        self._seen.add(token_id)

    async def flush(self, pool: asyncpg.Pool) -> int:
        """Write the last use of every token seen since the previous flush; return how many."""
        seen, self._seen = self._seen, set()
        if not seen:
            return 0
        try:
            async with pool.acquire() as connection:
                await record_token_use(connection, sorted(seen))
        except (OSError, asyncpg.PostgresError):
            self._seen |= seen  # try again next time
            log.warning("could not record token use", exc_info=True)
            return 0
        return len(seen)

    async def run(self, pool: asyncpg.Pool, interval: float = FLUSH_INTERVAL) -> None:
        """Flush every `interval` seconds until cancelled, then once more."""
        try:
            while True:
                await asyncio.sleep(interval)
                await self.flush(pool)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.flush(pool))
