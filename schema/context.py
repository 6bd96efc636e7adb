"""What every resolver receives as `info.context`."""

from dataclasses import dataclass
from typing import Any

import asyncpg
from redis.asyncio import Redis

from api.auth import Principal
from partnerpulse.settings import Settings


@dataclass
class Context:
    request: Any
    response: Any
    pool: asyncpg.Pool
    redis: Redis
    settings: Settings
    principal: Principal
