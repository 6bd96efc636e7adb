"""What every resolver receives as `info.context`."""

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from arq.connections import ArqRedis

from domain.principal import Principal
from domain.runtime import Runtime
from partnerpulse.settings import Settings
from schema.loaders import Loaders


@dataclass
class Context:
    request: Any
    response: Any
    pool: asyncpg.Pool
    redis: ArqRedis
    settings: Settings
    principal: Principal
    loaders: Loaders
    # graphql-transport-ws: the connection_init payload (it carries the Authorization)
    connection_params: dict[str, Any] | None = field(default=None)

    @property
    def runtime(self) -> Runtime:
        """What the domain's services run on."""
        return Runtime(pool=self.pool, jobs=self.redis, publisher=self.redis, settings=self.settings)
