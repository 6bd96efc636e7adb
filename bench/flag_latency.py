"""Time from the last answer of a round to its risk flag being visible through the API.

    python -m bench.flag_latency [--projects 40]

Starts `partnerpulse serve` and `partnerpulse worker` on a fresh database and Redis (bench/system.py).
For each project, three partners answer a round; after the third, unhappy answer it polls the
project's `riskFlags` until LOW_SATISFACTION shows. Prints p50, p95 and max.
"""

import argparse
import asyncio
import statistics
import sys
import time

import httpx

from bench.submissions import OPEN, SUBMIT, Project, make_projects, scores
from bench.system import api_and_worker, fresh_database
from partnerpulse.settings import Settings

FLAGS = "query($id: ID!) { node(id: $id) { ... on CooperationProject { riskFlags { reason } } } }"


async def gql(client: httpx.AsyncClient, query: str, variables: dict, token: str) -> dict:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.json()["data"]


async def measure(url: str, projects: list[Project]) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        for project in projects:
            project_id, tokens, lead = project.global_id, project.tokens, project.tokens[0]
            round_id = (await gql(client, OPEN, {"p": project_id}, lead))["openSurveyRound"]["surveyRound"]["id"]
            for token in tokens[:2]:
                await gql(client, SUBMIT, scores(round_id, 2), token)
            started = time.perf_counter()
            await gql(client, SUBMIT, scores(round_id, 1), tokens[2])
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
    with fresh_database("pp_bench") as (dsn, redis_url):
        projects = asyncio.run(make_projects(dsn, args.projects, partners=3))
        settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="ppbench")
        with api_and_worker(settings, "latency") as running:
            latencies = asyncio.run(measure(running.url, projects))
    ms = [value * 1000 for value in latencies]
    print(
        f"last answer → flag visible over {len(ms)} rounds (ms): p50 {percentile(ms, 0.5):.0f}, "
        f"p95 {percentile(ms, 0.95):.0f}, max {max(ms):.0f}, mean {statistics.mean(ms):.0f}"
    )


if __name__ == "__main__":
    sys.exit(main())
