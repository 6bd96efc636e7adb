"""/metrics: what operators of PartnerPulse scrape, from the real app, Redis, PostgreSQL and server processes."""

from pathlib import Path

import asyncpg
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from api import metrics
from api.app import create_app
from bench.processes import start_api
from domain.jobs import enqueue_recompute
from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings
from tests.helpers.serving import serve_once
from tests.world import build_world
from workers.metrics import bucket_of, measured

NAMED = "query DirectoryPage { organizations(first: 2) { edges { node { name } } } }"


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scraped: dict, name: str, **labels: str) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> dict:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_requests_are_counted_by_operation_and_errors_by_code(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    token = {"authorization": f"Bearer {world.tokens['admin']}"}
    before = await scrape(client)
    for _ in range(3):
        assert (await client.post("/graphql", json={"query": NAMED}, headers=token)).status_code == 200
    await client.post("/graphql", json={"query": "{ nope }"}, headers=token)  # does not validate
    await client.post("/graphql", json={"query": NAMED}, headers={"authorization": "Bearer wrong"})
    after = await scrape(client)

    labels = {"route": "/graphql", "operation": "DirectoryPage"}
    assert (
        value(after, "partnerpulse_requests_total", **labels, status="200")
        - value(before, "partnerpulse_requests_total", **labels, status="200")
        == 3
    )
    count = "partnerpulse_request_duration_seconds_count"
    assert value(after, count, **labels) - value(before, count, **labels) == 3
    # a request turned away before its document is read has no operation name
    rejected = {"route": "/graphql", "operation": "-", "status": "401"}
    assert (
        value(after, "partnerpulse_requests_total", **rejected)
        - value(before, "partnerpulse_requests_total", **rejected)
        == 1
    )
    for code in ("GRAPHQL_VALIDATION_FAILED", "UNAUTHENTICATED"):
        errors = "partnerpulse_graphql_errors_total"
        assert value(after, errors, code=code) - value(before, errors, code=code) == 1, code


async def test_refused_mutations_are_counted_by_mutation_and_code(
    client: httpx.AsyncClient, connection: asyncpg.Connection
) -> None:
    world = await build_world(connection)
    close = 'mutation { closeSurveyRound(input: {roundId: "U3VydmV5Um91bmQ6OTk5"}) { userErrors { code } } }'
    before = await scrape(client)
    for token in (world.tokens["sme"], world.tokens["sme"], None):
        headers = {"authorization": f"Bearer {token}"} if token else {}
        await client.post("/graphql", json={"query": close}, headers=headers)
    after = await scrape(client)
    name = "partnerpulse_mutation_user_errors_total"
    for code, times in (("NOT_FOUND", 2), ("UNAUTHENTICATED", 1)):
        labels = {"mutation": "closeSurveyRound", "code": code}
        assert value(after, name, **labels) - value(before, name, **labels) == times, code
    assert value(after, "partnerpulse_db_pool_connections", state="max") >= 1
    assert value(after, "partnerpulse_db_pool_connections", state="open") >= 1


async def test_queue_depth_jobs_flags_and_backlog_of_the_whole_installation(
    client: httpx.AsyncClient, app, connection: asyncpg.Connection, redis: Redis, settings: Settings
) -> None:
    world = await build_world(connection)
    await connection.execute(
        "INSERT INTO risk_flags (project_id, reason, severity, explanations, audience) VALUES "
        "($1, 'NO_EXIT_PLAN', 'LOW', jsonb_build_object('en', 'x'), 'PARTNERS'), ($1, 'STALLED', 'HIGH', jsonb_build_object('en', 'y'), 'PARTNERS'), "
        "($2, 'STALLED', 'HIGH', jsonb_build_object('en', 'z'), 'PARTNERS'), ($1, 'LOW_SATISFACTION', 'HIGH', jsonb_build_object('en', 'full'), 'FULL')",
        world.projects["pilot"],
        world.projects["story"],
    )
    await connection.execute("UPDATE risk_flags SET resolved_at = now() WHERE explanation = 'z'")
    await enqueue_recompute(app.state.redis, settings.redis_namespace, world.projects["pilot"])

    async def quick(ctx: dict) -> str:
        return "done"

    async def broken(ctx: dict) -> None:
        raise RuntimeError("boom")

    ctx = {"redis": redis, "settings": settings}
    assert await measured(quick)(ctx) == "done"
    with pytest.raises(RuntimeError):
        await measured(broken)(ctx)

    scraped = await scrape(client)
    assert value(scraped, "partnerpulse_queue_depth") == 1
    assert value(scraped, "partnerpulse_worker_alive") == 0  # no worker runs in this test
    # the resolved one does not count, nor the moderators' full flag (it moves with single answers)
    assert value(scraped, "partnerpulse_open_risk_flags", severity="HIGH") == 1
    assert value(scraped, "partnerpulse_open_risk_flags", severity="LOW") == 1
    assert value(scraped, "partnerpulse_open_risk_flags", severity="MEDIUM") == 0
    assert value(scraped, "partnerpulse_projects_behind") == 2  # nothing computed yet
    assert value(scraped, "partnerpulse_jobs_total", function="quick", outcome="succeeded") == 1
    assert value(scraped, "partnerpulse_jobs_total", function="broken", outcome="failed") == 1
    assert value(scraped, "partnerpulse_job_duration_seconds_count", function="quick") == 1
    assert value(scraped, "partnerpulse_job_duration_seconds_bucket", function="quick", le="+Inf") == 1


async def test_metrics_still_answer_when_redis_is_down(settings: Settings) -> None:
    unreachable = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    response = await serve_once(create_app(unreachable), "/metrics")
    assert response.status_code == 200
    scraped = samples(response.text)
    assert ("partnerpulse_queue_depth", frozenset()) not in scraped  # left out, not made up
    assert ("partnerpulse_projects_behind", frozenset()) in scraped


def test_client_chosen_operation_names_cannot_grow_the_series_without_bound(monkeypatch) -> None:
    monkeypatch.setattr(metrics, "_operations", set())
    names = [metrics.operation_label(f"Operation{i}") for i in range(metrics.MAX_OPERATIONS + 5)]
    assert names[: metrics.MAX_OPERATIONS] == [f"Operation{i}" for i in range(metrics.MAX_OPERATIONS)]
    assert set(names[metrics.MAX_OPERATIONS :]) == {"other"}
    assert metrics.operation_label("Operation3") == "Operation3"  # known names keep their series
    assert metrics.operation_label("not a name!") == "invalid"
    assert metrics.operation_label(None) == "-"


def test_durations_fall_into_the_smallest_bucket_that_holds_them() -> None:
    assert bucket_of(0.004) == "0.005"
    assert bucket_of(0.005) == "0.005"
    assert bucket_of(0.3) == "0.5"
    assert bucket_of(61) == "+Inf"


def test_several_server_processes_answer_with_the_sum_of_their_counts(settings: Settings, tmp_path: Path) -> None:
    api, url = start_api(settings, tmp_path / "api.log", workers=2)
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            for _ in range(20):  # new connections: the kernel spreads them over both processes
                with httpx.Client(base_url=url, timeout=10) as fresh:
                    fresh.get("/healthz")
            scraped = samples(http.get("/metrics").text)
    finally:
        api.stop()
    assert value(scraped, "partnerpulse_requests_total", route="/healthz", operation="-", status="200") >= 20
    # each process reports its own pool; the sum shows both are counted
    assert value(scraped, "partnerpulse_db_pool_connections", state="max") == 2 * settings.db_pool_max_size
