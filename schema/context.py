"""What every resolver receives as `info.context`."""

from dataclasses import dataclass, field
from typing import Any

import asyncpg
from arq.connections import ArqRedis

from domain.principal import Principal
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
