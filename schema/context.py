"""What every resolver receives as `info.context`: everything schema uses from the process it runs in, typed.

schema/ imports nothing from api/: the HTTP and WebSocket side (api/graphql.py) builds the Context and hands
in what only it has (the rate limiter, the token check, the flag-event hub, the metrics) as the callables and
objects declared here; what schema learns during a request that api/ reports over HTTP goes into `state`.
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
from arq.connections import ArqRedis

from domain.events import FlagEvent
from domain.principal import Principal
from domain.runtime import Runtime
from partnerpulse.settings import Settings
from schema.loaders import Loaders


class Throttled(Protocol):
    """A rate limit's refusal: how long to wait, and why."""

    # read-only, so that frozen dataclasses (api/rate_limit.py) match
    @property
    def retry_after(self) -> int: ...
    @property
    def message(self) -> str: ...


class MutationLimiter(Protocol):
    def __call__(self, principal: Principal, mutations: int, submissions: int) -> Awaitable[Throttled | None]:
        """Take `mutations` root fields (and `submissions` submitSurveyResponse fields) from the principal's
        budgets; the refusal when they are spent, else None."""
        ...


class FlagEventSource(Protocol):
    """The process's live flag events (api/flag_events.py's FlagEventHub)."""

    def has_room_for(self, subject: str) -> bool: ...

    def subscription(self, subject: str) -> contextlib.AbstractContextManager["asyncio.Queue[FlagEvent]"]: ...


class RequestState:
    """What schema tells the HTTP layer about the request it runs in. Written into the store api/ hands in
    (the ASGI scope's state of an HTTP request), where the response and the request log read it."""

    def __init__(self, store: MutableMapping[str, Any] | None = None) -> None:
        self._store: MutableMapping[str, Any] = {} if store is None else store

    def name_operation(self, name: str) -> None:
        """The operation name, for the request log and the metrics (bounded: it comes from the client)."""
        self._store["operation_name"] = name[:100]

    def retry_after(self, seconds: int) -> None:
        """A rate limit refused: the HTTP answer is 429 with this Retry-After."""
        self._store["retry_after"] = seconds


def _not_counted(mutation: str, codes: list[str]) -> None:
    """Without metrics (an in-process export): user errors are not counted anywhere."""


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
    state: RequestState = field(default_factory=RequestState)
    # None: no rate limits (Redis-free setups, and in-process use)
    limit_mutations: MutationLimiter | None = None
    # the principal of an Authorization value now (None: invalid or revoked), for live subscriptions
    authenticate: Callable[[str | None], Awaitable[Principal | None]] | None = None
    flag_events: FlagEventSource | None = None
    count_user_errors: Callable[[str, list[str]], None] = _not_counted
    # an operation ran, on "compiled" or "graphql-core" (schema/compiled.py)
    count_execution: Callable[[str], None] | None = None
    # seconds to wait before another sign-in link may be mailed to this address from this client (None: now)
    limit_sign_in_links: Callable[[str], Awaitable[int | None]] | None = None
    # a signed-out person's browser forgets the session cookie
    end_session_cookie: Callable[[], None] | None = None

    @property
    def runtime(self) -> Runtime:
        """What the domain's services run on."""
        return Runtime(pool=self.pool, jobs=self.redis, publisher=self.redis, settings=self.settings)
