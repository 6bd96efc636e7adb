"""The Starlette application: lifespan (pool, Redis), /graphql, /healthz, /readyz, /metrics, the dashboard at /."""

import asyncio
import contextlib
import gc
import logging
import os
import signal
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg
from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.answer_page import answer_routes
from api.auth import TokenCache
from api.dashboard import dashboard_routes
from api.documents import DocumentEndpoint, TrustedDocuments
from api.flag_events import FlagEventHub
from api.graphiql import OfflineGraphiQL, graphiql_routes
from api.health import healthz, readyz
from api.limits import BoundedPool, RequestLimits
from api.metrics import metrics, watch_pool
from api.middleware import RequestContextMiddleware
from api.rate_limit import RateLimiter
from api.sessions import sign_in_routes
from api.token_usage import TokenUsage
from db.pool import create_pool
from partnerpulse.settings import Settings, get_settings
from partnerpulse.waiting import GaveUpWaiting, postgres_unreachable, wait_for
from schema import create_schema

log = logging.getLogger(__name__)


async def api_pool(settings: Settings) -> tuple[asyncpg.Pool, asyncio.Task[None] | None]:
    """The API's pool. PostgreSQL not reachable at start-up (starting, restarting): the API starts anyway,
    with a pool that connects on demand, so that /healthz answers and /readyz and every request that needs
    the database say "unavailable" (503); a task waits for PostgreSQL for `startup_wait_seconds` and, if it
    never comes, stops the process (SIGTERM: a graceful stop, after which uvicorn ends with the signal's exit
    status, 143) so that a supervisor sees it."""
    try:
        return await create_pool(settings, settings.database_url or "", "partnerpulse-api", stateless=True), None
    except Exception as error:
        if not postgres_unreachable(error):
            raise
    lazy = settings.model_copy(update={"db_pool_min_size": 0})
    pool = await create_pool(lazy, settings.database_url or "", "partnerpulse-api", stateless=True)

    async def probe() -> None:
        async with pool.acquire(timeout=settings.db_connect_timeout) as connection:
            await connection.fetchval("SELECT 1")

    async def wait() -> None:
        try:
            await wait_for("PostgreSQL", probe, settings.startup_wait_seconds, postgres_unreachable)
        except GaveUpWaiting:
            os.kill(os.getpid(), signal.SIGTERM)

    return pool, asyncio.create_task(wait())


def create_app(settings: Settings | None = None) -> Starlette:
    settings = settings or get_settings()
    if not settings.database_url or not settings.redis_url:
        raise RuntimeError("DATABASE_URL and REDIS_URL must be set (`partnerpulse dev` sets them for you)")
    redis_url = settings.redis_url  # checked above: a str, also in lifespan below

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.settings = settings
        pool, waiting = await api_pool(settings)
        app.state.pool = BoundedPool(pool, settings.db_acquire_timeout)
        connections = ConnectionPool.from_url(redis_url, socket_timeout=5, socket_connect_timeout=2)
        app.state.redis = ArqRedis(connection_pool=connections, default_queue_name=settings.queue_name)
        app.state.rate_limiter = None
        if settings.rate_limits:
            app.state.rate_limiter = RateLimiter(app.state.redis, settings.redis_namespace)
        app.state.flag_events = FlagEventHub(
            app.state.redis, app.state.pool, settings.events_channel, per_subject=settings.max_subscriptions_per_token
        )
        app.state.flag_events.start()
        app.state.token_cache = TokenCache(settings.token_cache_seconds)
        app.state.token_usage = TokenUsage()
        flusher = asyncio.create_task(app.state.token_usage.run(app.state.pool))
        pool_watcher = asyncio.create_task(watch_pool(pool))
        # What exists now (modules, the schema, the pool) lives as long as the process, yet each of the cyclic
        # collector's full passes walked all of it: about 70 ms every ~150 dashboard requests. Collected once
        # and frozen, it is left out of those passes (the garbage of later requests is still collected).
        gc.collect()
        gc.freeze()
        log.info("api started")
        try:
            yield
        finally:
            for task in (flusher, pool_watcher, *([waiting] if waiting else [])):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.flag_events.close()
            await app.state.redis.aclose()
            await connections.disconnect()
            await pool.close()
            log.info("api stopped")

    graphql = OfflineGraphiQL(
        create_schema(settings),
        graphql_ide="graphiql" if settings.graphiql else None,
        # the protocol of the contract (and of GraphiQL and the dashboard); not the legacy graphql-ws
        subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL],
        # an open socket that never authenticates holds a connection for nothing (strawberry's default: 1 min)
        connection_init_wait_timeout=timedelta(seconds=settings.websocket_init_seconds),
    )
    graphql.documents = TrustedDocuments.load(only=settings.trusted_documents_only)
    routes: list[BaseRoute] = [
        Route("/graphql", DocumentEndpoint(graphql), methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if settings.graphiql:
        routes += graphiql_routes()
    if settings.metrics:
        routes.append(Route("/metrics", metrics))
    if settings.dashboard:
        routes += dashboard_routes()
        routes += answer_routes()
        routes += sign_in_routes()
    return Starlette(
        routes=routes,
        # CORS outermost, so that the limits' answers (413, 504) reach a browser frontend as what they are, and
        # a frontend can read Retry-After on a 429 and the request id to report
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id"],
                expose_headers=["retry-after", "x-request-id"],
            ),
            Middleware(RequestContextMiddleware),
            Middleware(RequestLimits, max_body_bytes=settings.max_body_bytes, timeout=settings.request_timeout),
        ],
        lifespan=lifespan,
    )
