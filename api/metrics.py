"""/metrics in Prometheus' text format.

Per API process (summed over the server's processes through prometheus_client's multiprocess mode when
PROMETHEUS_MULTIPROC_DIR is set, as `partnerpulse serve --workers N` does): requests and their latency by
route and GraphQL operation name, GraphQL errors by code, database pool connections. Read at each scrape,
for the whole installation: the job queue's depth, job durations and outcomes of every worker (counted in
Redis by workers/metrics.py), whether a worker reported alive, open risk flags by severity and projects
whose statistics are behind their data.
"""

import asyncio
import logging
import os
import re
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

from db import flags
from db import recompute as recompute_sql
from workers.metrics import job_samples, jobs_key

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SCRAPE_TIMEOUT = 3.0

REQUEST_SECONDS = Histogram(
    "partnerpulse_request_duration_seconds",
    "Time to answer an HTTP request, by route and GraphQL operation name.",
    ["route", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
REQUESTS = Counter(
    "partnerpulse_requests",
    "HTTP requests by route, GraphQL operation name and status.",
    ["route", "operation", "status"],
)
GRAPHQL_ERRORS = Counter("partnerpulse_graphql_errors", "Errors in GraphQL responses, by extensions.code.", ["code"])
USER_ERRORS = Counter(
    "partnerpulse_mutation_user_errors",
    "Refused mutations (userErrors), by mutation and code.",
    ["mutation", "code"],
)
GRAPHQL_EXECUTIONS = Counter(
    "partnerpulse_graphql_executions",
    "Executed GraphQL operations, by engine: compiled (from a plan, schema/compiled.py) or graphql-core.",
    ["engine"],
)
POOL_CONNECTIONS = Gauge(
    "partnerpulse_db_pool_connections",
    "Database connections of the API's pools: open, idle and the maximum.",
    ["state"],
    multiprocess_mode="livesum",
)

ROUTES = {"/graphql", "/healthz", "/readyz", "/metrics", "/"}
OPERATION_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
MAX_OPERATIONS = 200  # distinct names per process: clients choose them, the series must stay bounded
_operations: set[str] = set()


def route_of(path: str) -> str:
    if path in ROUTES:
        return path
    return "/dashboard" if path.startswith("/dashboard/") else "other"


def operation_label(name: str | None) -> str:
    if not name:
        return "-"
    if not OPERATION_NAME.match(name):
        return "invalid"
    if name not in _operations:
        if len(_operations) >= MAX_OPERATIONS:
            return "other"
        _operations.add(name)
    return name


def observe_request(path: str, operation: str | None, status: int, seconds: float) -> None:
    route, label = route_of(path), operation_label(operation)
    REQUEST_SECONDS.labels(route, label).observe(seconds)
    REQUESTS.labels(route, label, str(status)).inc()


def count_graphql_errors(codes: list[str]) -> None:
    for code in codes:
        GRAPHQL_ERRORS.labels(code).inc()


def count_execution(engine: str) -> None:
    GRAPHQL_EXECUTIONS.labels(engine).inc()


def count_user_errors(mutation: str, codes: list[str]) -> None:
    for code in codes:
        USER_ERRORS.labels(mutation, code).inc()


def observe_pool(pool: Any) -> None:
    POOL_CONNECTIONS.labels("open").set(pool.get_size())
    POOL_CONNECTIONS.labels("idle").set(pool.get_idle_size())
    POOL_CONNECTIONS.labels("max").set(pool.get_max_size())


async def watch_pool(pool: Any, every: float = 5.0) -> None:
    """Keep this process's pool gauges current between scrapes (another process may answer the scrape)."""
    while True:
        observe_pool(pool)
        await asyncio.sleep(every)


class Snapshot:
    """The installation-wide numbers of one scrape, as a collector for prometheus_client."""

    def __init__(self) -> None:
        self.metrics: list[Metric] = []

    def collect(self) -> list[Metric]:
        return self.metrics


async def installation_metrics(request: Request) -> Snapshot:
    state = request.app.state
    settings = state.settings
    snapshot = Snapshot()

    async def from_redis() -> None:
        redis = state.redis
        depth, alive, raw_jobs = await asyncio.gather(
            redis.zcard(settings.queue_name),
            redis.exists(settings.queue_name + ":health-check"),  # arq's worker heartbeat key
            redis.hgetall(jobs_key(settings.redis_namespace)),
        )
        snapshot.metrics.append(GaugeMetricFamily("partnerpulse_queue_depth", "Jobs waiting in the queue.", depth))
        snapshot.metrics.append(
            GaugeMetricFamily("partnerpulse_worker_alive", "1 when a worker reported alive recently.", int(alive > 0))
        )
        outcomes = CounterMetricFamily(
            "partnerpulse_jobs", "Finished jobs by function and outcome.", labels=["function", "outcome"]
        )
        durations = HistogramMetricFamily(
            "partnerpulse_job_duration_seconds", "Time jobs ran, by function.", labels=["function"]
        )
        for function, job in sorted(job_samples(raw_jobs).items()):
            for outcome, count in job["outcomes"].items():
                outcomes.add_metric([function, outcome], count)
            durations.add_metric([function], buckets=job["buckets"], sum_value=job["seconds"])
        snapshot.metrics += [outcomes, durations]

    async def from_postgres() -> None:
        async with state.pool.acquire() as connection:
            counts = await flags.open_flag_counts(connection)
            behind = await recompute_sql.stale_project_count(connection)
        open_flags = GaugeMetricFamily(
            "partnerpulse_open_risk_flags",
            "Open risk flags by severity, as plain partners see them.",
            labels=["severity"],
        )
        for severity in ("LOW", "MEDIUM", "HIGH"):
            open_flags.add_metric([severity], counts.get(severity, 0))
        snapshot.metrics.append(open_flags)
        snapshot.metrics.append(
            GaugeMetricFamily(
                "partnerpulse_projects_behind", "Projects whose statistics are older than their data.", behind
            )
        )

    for source in (from_redis, from_postgres):
        try:
            async with asyncio.timeout(SCRAPE_TIMEOUT):
                await source()
        except Exception as error:  # a down dependency leaves its metrics out; the process metrics still answer
            log.warning("metrics source unavailable", extra={"source": source.__name__, "error": repr(error)})
    return snapshot


async def metrics(request: Request) -> Response:
    observe_pool(request.app.state.pool)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    installation = CollectorRegistry(auto_describe=False)
    installation.register(await installation_metrics(request))
    body += generate_latest(installation)
    return Response(body, media_type=CONTENT_TYPE)
