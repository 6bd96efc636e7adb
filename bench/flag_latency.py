"""Time from the last answer of a round to its risk flag being visible through the API.

    python -m bench.flag_latency [--projects 40]

Starts `partnerpulse serve` and `partnerpulse worker` on a fresh database (of the server named by
DATABASE_URL, or an embedded one) and Redis (REDIS_URL, or an embedded one). For each project, three
partners answer a round; after the third, unhappy answer it polls the project's `riskFlags` until
LOW_SATISFACTION shows. Prints p50, p95 and max.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import asyncpg
import httpx

from db.admin import create_database, drop_database
from db.migrate import migrate
from db.seed import insert_small_projects
from db.tokens import create_token
from partnerpulse.embedded import RedisServer, start_postgres
from partnerpulse.settings import Settings
from tests.processes import start_api, start_worker
from tests.test_surveys import OPEN, SUBMIT, answer

FLAGS = "query($id: ID!) { node(id: $id) { ... on CooperationProject { riskFlags { reason } } } }"


async def make_projects(dsn: str, count: int) -> list[tuple[str, list[str], str]]:
    """(project global id, partner tokens, lead token) for `count` active projects of 3 partners."""
    from strawberry.relay import to_base64

    connection = await asyncpg.connect(dsn)
    try:
        made = []
        for project, *organizations in await insert_small_projects(connection, count, partners=3):
            tokens = [(await create_token(connection, organization_id=org))[1] for org in organizations]
            made.append((to_base64("CooperationProject", project), tokens, tokens[0]))
        return made
    finally:
        await connection.close()


async def gql(client: httpx.AsyncClient, query: str, variables: dict, token: str) -> dict:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.json()["data"]


async def measure(url: str, projects: list[tuple[str, list[str], str]]) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for project_id, tokens, lead in projects:
            round_id = (await gql(client, OPEN, {"p": project_id}, lead))["openSurveyRound"]["surveyRound"]["id"]
            for token in tokens[:2]:
                await gql(client, SUBMIT, answer(round_id, 2), token)
            started = time.perf_counter()
            await gql(client, SUBMIT, answer(round_id, 1), tokens[2])
            while True:
                flags = (await gql(client, FLAGS, {"id": project_id}, lead))["node"]["riskFlags"]
                if any(flag["reason"] == "LOW_SATISFACTION" for flag in flags):
                    break
                await asyncio.sleep(0.005)
            latencies.append(time.perf_counter() - started)
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=40)
    args = parser.parse_args()
    # embedded servers live under .data/bench (they stop with this process); logs go there too
    work = Path(".data/bench")
    work.mkdir(parents=True, exist_ok=True)
    admin_dsn = os.environ.get("DATABASE_URL") or start_postgres(work, database="postgres")
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        redis_server = RedisServer(work)
        redis_url = redis_server.start()
    dsn = asyncio.run(create_database(admin_dsn, prefix="pp_bench"))
    api = worker = None
    try:
        asyncio.run(migrate(dsn))
        projects = asyncio.run(make_projects(dsn, args.projects))
        settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="ppbench")
        api, url = start_api(settings, work / "api.log")
        worker = start_worker(settings, work / "worker.log")
        latencies = asyncio.run(measure(url, projects))
    finally:
        for process in (worker, api):
            if process:
                process.stop()
        asyncio.run(drop_database(admin_dsn, dsn))
        if redis_server:
            redis_server.stop()
    ms = [value * 1000 for value in latencies]
    print(
        f"last answer → flag visible over {len(ms)} rounds (ms): p50 {percentile(ms, 0.5):.0f}, "
        f"p95 {percentile(ms, 0.95):.0f}, max {max(ms):.0f}, mean {statistics.mean(ms):.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
