"""Load test: many concurrent clients submitting and querying for a fixed time, then a no-loss check.

    python -m bench.load [--clients 32] [--seconds 20] [--projects 100] [--partners 6]

Starts `partnerpulse serve` and `partnerpulse worker` on a fresh database and Redis (bench/system.py),
rate limits off. Each
client loops: 3 in 4 times it reads a project's health and statistics, otherwise it submits an answer
for a partner that has not answered the project's current round (closing it and opening the next when
all have). At the end: stored answers = acknowledged answers, and once the workers caught up, every
round's statistics count every stored answer. Prints throughput, error rate and latency percentiles.
"""

import argparse
import asyncio
import random
import time
from collections import defaultdict

import asyncpg
import httpx

from bench.submissions import OPEN, SUBMIT, make_projects
from bench.system import api_and_worker, fresh_database
from db import recompute as recompute_sql
from partnerpulse.settings import Settings

CLOSE = "mutation($r: ID!) { closeSurveyRound(input: {roundId: $r}) { userErrors { code } } }"
READ = """query($id: ID!) { node(id: $id) { ... on CooperationProject {
  health { score riskLevel } latestStatistics { responseCount mean } riskFlags { reason severity } } } }"""


class Project:
    def __init__(self, global_id: str, lead: str, partners: list[str]) -> None:
        self.global_id, self.lead, self.partners = global_id, lead, partners
        self.round_id: str | None = None
        self.waiting: list[str] = []
        self.lock = asyncio.Lock()


class Load:
    def __init__(self, client: httpx.AsyncClient, projects: list[Project]) -> None:
        self.client, self.projects = client, projects
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.acknowledged = 0
        self.sequence = 0

    async def call(self, kind: str, query: str, variables: dict, token: str) -> dict | None:
        started = time.perf_counter()
        try:
            response = await self.client.post(
                "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
            )
            body = response.json()
        except (httpx.HTTPError, ValueError):
            self.errors[kind] += 1
            return None
        self.latencies[kind].append(time.perf_counter() - started)
        if response.status_code != 200 or body.get("errors"):
            self.errors[kind] += 1
            return None
        return body["data"]

    async def next_partner(self, project: Project) -> tuple[str, str] | None:
        async with project.lock:
            if not project.waiting:
                if project.round_id:
                    await self.call("close", CLOSE, {"r": project.round_id}, project.lead)
                data = await self.call("open", OPEN, {"p": project.global_id}, project.lead)
                if not data or data["openSurveyRound"]["userErrors"]:
                    return None
                project.round_id = data["openSurveyRound"]["surveyRound"]["id"]
                project.waiting = list(project.partners)
                random.shuffle(project.waiting)
            return project.round_id, project.waiting.pop()

    async def client_loop(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            project = random.choice(self.projects)
            if random.random() < 0.75:
                await self.call("read", READ, {"id": project.global_id}, project.lead)
                continue
            picked = await self.next_partner(project)
            if picked is None:
                continue
            round_id, token = picked
            self.sequence += 1
            score = random.randint(1, 5)
            variables = {
                "input": {
                    "roundId": round_id, "overall": score, "expectationsMet": score, "mutualBenefit": score,
                    "decisionSpeed": score, "communicationTrust": score, "continueLikelihood": 2 * score,
                    "idempotencyKey": f"load-{self.sequence}",
                }
            }  # fmt: skip
            data = await self.call("submit", SUBMIT, variables, token)
            if (
                data
                and data["submitSurveyResponse"]["surveyResponse"]
                and not data["submitSurveyResponse"]["userErrors"]
            ):
                self.acknowledged += 1


async def prepare(dsn: str, projects: int, partners: int) -> list[Project]:
    return [Project(p.global_id, p.tokens[0], p.tokens) for p in await make_projects(dsn, projects, partners)]


async def verify(dsn: str, patience: float = 120) -> tuple[int, float, int]:
    """(stored answers, seconds until the statistics caught up, rounds whose statistics disagree)."""
    connection = await asyncpg.connect(dsn)
    try:
        stored = await connection.fetchval("SELECT count(*) FROM survey_responses")
        started = time.perf_counter()
        while await recompute_sql.stale_projects(connection) and time.perf_counter() - started < patience:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        caught_up = time.perf_counter() - started
        wrong = await connection.fetchval(
            """
            SELECT count(*) FROM survey_rounds r
            LEFT JOIN round_statistics s ON s.round_id = r.id
            WHERE coalesce(s.response_count, -1) <> (SELECT count(*) FROM survey_responses a WHERE a.round_id = r.id)
            """
        )
        return stored, caught_up, wrong
    finally:
        await connection.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] * 1000 if ordered else float("nan")


async def run(url: str, projects: list[Project], clients: int, seconds: float) -> Load:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        load = Load(client, projects)
        deadline = time.monotonic() + seconds
        await asyncio.gather(*(load.client_loop(deadline) for _ in range(clients)))
        return load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--partners", type=int, default=6)
    parser.add_argument("--api-workers", type=int, default=1, help="uvicorn processes")
    args = parser.parse_args()
    with fresh_database("pp_load") as (dsn, redis_url):
        projects = asyncio.run(prepare(dsn, args.projects, args.partners))
        settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="ppload", rate_limits=False)
        with api_and_worker(settings, "load", args.api_workers) as running:
            load = asyncio.run(run(running.url, projects, args.clients, args.seconds))
            stored, caught_up, wrong = asyncio.run(verify(dsn))  # the worker still runs
    total = sum(len(v) for v in load.latencies.values()) + sum(load.errors.values())
    print(f"{args.clients} clients for {args.seconds:.0f} s against {args.api_workers} API process(es) and 1 worker")
    for kind in ("read", "submit", "open", "close"):
        values = load.latencies.get(kind, [])
        rate = len(values) / args.seconds
        p50, p95, p99 = (percentile(values, share) for share in (0.5, 0.95, 0.99))
        print(
            f"  {kind:7} {len(values):6} ok ({rate:7.1f}/s), {load.errors.get(kind, 0):4} errors, "
            f"p50 {p50:6.1f} ms, p95 {p95:6.1f} ms, p99 {p99:6.1f} ms"
        )
    errors = sum(load.errors.values())
    print(f"  error rate {errors / max(total, 1):.2%} of {total} requests")
    verdict = "no loss" if stored == load.acknowledged else "MISMATCH"
    print(f"  answers acknowledged {load.acknowledged}, stored {stored}: {verdict}")
    print(f"  statistics caught up {caught_up:.1f} s after the load; rounds whose counts disagree: {wrong}")
    if stored != load.acknowledged or wrong:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
