"""Survey submissions under load, against a running API and worker (part d of `python -m bench`).

- throughput: `concurrency` clients submit answers as fast as they are acknowledged, for a fixed time;
- submission-to-flag latency: answers arrive at a fixed rate (50 a second); every third completes an unhappy
  round of a three-partner project, which must raise LOW_SATISFACTION. An admin's `riskFlagChanged`
  subscription records when each flag arrives; the latency runs from sending the completing answer.
"""

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field

import asyncpg
import httpx
import psutil
import websockets
from redis.asyncio import Redis
from strawberry.relay import from_base64, to_base64

from bench.system import api_and_worker, fresh_database
from db.seed import insert_small_projects
from db.tokens import create_member_tokens, create_token
from domain.jobs import RECOMPUTE
from partnerpulse.settings import Settings
from workers.metrics import job_samples, jobs_key

OPEN = "mutation($p: ID!) { openSurveyRound(input: {projectId: $p}) { surveyRound { id } userErrors { code } } }"
SUBMIT = """mutation($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { surveyResponse { id } userErrors { code } } }"""
CLOSE = "mutation($r: ID!) { closeSurveyRound(input: {roundId: $r}) { userErrors { code } } }"
FLAG_EVENTS = "subscription { riskFlagChanged { reason resolvedAt project { id } } }"


@dataclass
class Project:
    global_id: str
    tokens: list[str]  # of its partners, the lead first
    round_id: str = ""


@dataclass
class Result:
    submitted: int = 0
    errors: int = 0
    per_second: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds
    missing: int = 0  # flags that never arrived


def scores(round_id: str, score: int) -> dict:
    dimensions = ("overall", "expectationsMet", "mutualBenefit", "decisionSpeed", "communicationTrust")
    return {"input": {"roundId": round_id, **dict.fromkeys(dimensions, score), "continueLikelihood": score * 2}}


async def make_projects(dsn: str, count: int, partners: int) -> list[Project]:
    """`count` active projects of `partners` organizations, each with a token (the lead's first)."""
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            projects = await insert_small_projects(connection, count, partners=partners)
            tokens = iter(await create_member_tokens(connection, [o for _, *orgs in projects for o in orgs]))
            return [
                Project(to_base64("CooperationProject", project), [next(tokens) for _ in organizations])
                for project, *organizations in projects
            ]
    finally:
        await connection.close()


async def call(client: httpx.AsyncClient, query: str, variables: dict, token: str) -> dict | None:
    """The payload of the one mutation, or None when it failed in any way."""
    try:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers={"Authorization": f"Bearer {token}"}
        )
        data = response.json().get("data") or {}
    except (httpx.HTTPError, ValueError):
        return None
    payload = next(iter(data.values()), None) if data else None
    return payload if payload and not payload["userErrors"] else None


async def open_rounds(client: httpx.AsyncClient, projects: list[Project], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def open_one(project: Project) -> None:
        async with gate:
            payload = await call(client, OPEN, {"p": project.global_id}, project.tokens[0])
            if payload is None:
                raise RuntimeError(f"could not open a round of {project.global_id}")
            project.round_id = payload["surveyRound"]["id"]

    await asyncio.gather(*(open_one(p) for p in projects))


async def with_history(client: httpx.AsyncClient, projects: list[Project], concurrency: int) -> None:
    """A closed first round in which every partner answered 3 ("so-so", no flag), then the next round open. The
    rules shrink a round toward the rounds before (or, without any, toward the portfolio's level): answers of
    1 after a round of 3 are clearly LOW_SATISFACTION once all three partners answered (the open round's
    quorum), and not before."""
    await open_rounds(client, projects, concurrency)
    gate = asyncio.Semaphore(concurrency)

    async def answer(project: Project, token: str) -> None:
        async with gate:
            if await call(client, SUBMIT, scores(project.round_id, 3), token) is None:
                raise RuntimeError(f"could not answer the first round of {project.global_id}")

    async def close(project: Project) -> None:
        async with gate:
            if await call(client, CLOSE, {"r": project.round_id}, project.tokens[0]) is None:
                raise RuntimeError(f"could not close the first round of {project.global_id}")

    await asyncio.gather(*(answer(p, token) for p in projects for token in p.tokens))
    await asyncio.gather(*(close(p) for p in projects))
    await open_rounds(client, projects, concurrency)


async def throughput(url: str, projects: list[Project], concurrency: int, seconds: float) -> Result:
    """Answers per second acknowledged by `concurrency` clients submitting back to back."""
    result = Result()
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as c:
        await open_rounds(c, projects, concurrency)
        answers = iter([(p.round_id, token) for p in projects for token in p.tokens])
        started = time.monotonic()
        deadline = started + seconds

        async def client_loop() -> None:
            while time.monotonic() < deadline:
                try:
                    round_id, token = next(answers)
                except StopIteration:
                    return
                if await call(c, SUBMIT, scores(round_id, 4), token) is None:
                    result.errors += 1
                else:
                    result.submitted += 1

        await asyncio.gather(*(client_loop() for _ in range(concurrency)))
        result.per_second = result.submitted / (time.monotonic() - started)
    return result


@dataclass
class Completion:
    """One project's round, completed by its third answer: when it was sent, acknowledged, flagged."""

    project: Project
    sent: float  # time.time() of sending the completing answer
    acknowledged: float = 0.0
    arrived: float | None = None  # its LOW_SATISFACTION event at the subscriber


@dataclass
class Latency(Result):
    completions: list[Completion] = field(default_factory=list)
    jobs: int = 0  # recomputations the worker ran while the answers arrived
    job_seconds: float = 0.0  # their summed duration
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # CPU used meanwhile: API, worker, PostgreSQL

    @property
    def missing_projects(self) -> list[str]:
        return [c.project.global_id for c in self.completions if c.arrived is None]


async def worker_idle(dsn: str, redis_url: str, queue_name: str, patience: float = 120) -> None:
    """Wait until the worker has nothing left to do: no queued job and no project with newer data than its
    statistics (the rounds opened before the measurement enqueue a recomputation each)."""
    redis = Redis.from_url(redis_url)
    connection = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            stale = await connection.fetchval(
                """SELECT count(*) FROM cooperation_projects p LEFT JOIN project_recompute_state s
                   ON s.project_id = p.id WHERE s.project_id IS NULL OR s.computed_version < p.data_version"""
            )
            if not stale and not await redis.zcard(queue_name):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("the worker did not catch up with the rounds opened before the measurement")
    finally:
        await connection.close()
        await redis.aclose()


class CpuMeter:
    """CPU time (user + system) of the API's processes, the worker's and the database's PostgreSQL backends,
    between `start` and `stop`: what each answer costs, whatever else the machine runs. Backends are those
    connected to the database at either moment (one that came and went in between is missed)."""

    def __init__(self, dsn: str, api_pid: int, worker_pid: int) -> None:
        self.dsn, self.api_pid, self.worker_pid = dsn, api_pid, worker_pid
        self.started: dict[int, float] = {}
        self.groups: dict[str, set[int]] = {}

    async def _backends(self) -> set[int]:
        connection = await asyncpg.connect(self.dsn)
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        finally:
            await connection.close()
        return {row["pid"] for row in rows}

    def _sample(self) -> dict[int, float]:
        seen = {}
        for pid in set().union(*self.groups.values()):
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(pid).cpu_times()
                seen[pid] = times.user + times.system
        return seen

    def _processes(self, pid: int) -> set[int]:
        return {pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))}

    async def start(self) -> None:
        self.groups = {"API": self._processes(self.api_pid), "worker": self._processes(self.worker_pid),
                       "PostgreSQL": await self._backends()}  # fmt: skip
        self.started = self._sample()

    async def stop(self) -> dict[str, float]:
        self.groups["PostgreSQL"] |= await self._backends()
        ended = self._sample()
        return {
            name: sum(ended[pid] - self.started.get(pid, 0.0) for pid in pids if pid in ended)
            for name, pids in self.groups.items()
        }


async def job_totals(redis_url: str, namespace: str) -> tuple[int, float]:
    """(recomputations run so far, their summed seconds), from the workers' job metrics in Redis."""
    redis = Redis.from_url(redis_url)
    try:
        fields = await redis.hgetall(jobs_key(namespace))
    finally:
        await redis.aclose()
    job = job_samples(fields).get(RECOMPUTE, {"outcomes": {}, "seconds": 0.0})
    return sum(job["outcomes"].values()), job["seconds"]


class _Subscriber:
    """An admin's `riskFlagChanged` subscription: when each project's LOW_SATISFACTION flag was raised."""

    def __init__(self, socket: websockets.ClientConnection) -> None:
        self.socket = socket
        self.by_project: dict[str, Completion] = {}
        self.early: dict[str, float] = {}  # events that came before their completing answer was acknowledged
        self.submitting = True
        self.all_arrived = asyncio.Event()

    async def subscribe(self, admin_token: str) -> None:
        authorization = {"Authorization": f"Bearer {admin_token}"}
        await self.socket.send(json.dumps({"type": "connection_init", "payload": authorization}))
        ack = json.loads(await asyncio.wait_for(self.socket.recv(), 10))
        if ack["type"] != "connection_ack":
            raise RuntimeError(f"subscription refused: {ack}")
        await self.socket.send(json.dumps({"id": "flags", "type": "subscribe", "payload": {"query": FLAG_EVENTS}}))

    def completed(self, project: Project, sent: float) -> None:
        completion = Completion(project, sent, time.time(), self.early.pop(project.global_id, None))
        self.by_project[project.global_id] = completion

    def check_all_arrived(self) -> None:
        if not self.submitting and all(c.arrived is not None for c in self.by_project.values()):
            self.all_arrived.set()

    async def listen(self) -> None:
        async for message in self.socket:
            event = json.loads(message)
            if event["type"] != "next":
                continue
            flag = event["payload"]["data"]["riskFlagChanged"]
            if flag["reason"] != "LOW_SATISFACTION" or flag["resolvedAt"] is not None:
                continue
            completion = self.by_project.get(flag["project"]["id"])
            if completion is None:
                self.early.setdefault(flag["project"]["id"], time.time())
            elif completion.arrived is None:
                completion.arrived = time.time()
            self.check_all_arrived()


async def flag_latency(
    url: str,
    admin_token: str,
    projects: list[Project],
    rate: float,
    wait: float = 20,
    settings: Settings | None = None,
    meter: CpuMeter | None = None,
) -> Latency:
    """Answers at `rate` a second, three per project (1, 1, then 1: an unhappy round after a so-so one, see
    `with_history`); the time from sending each project's third answer to its LOW_SATISFACTION event. With
    `settings` (the servers' database, Redis and namespace) it first waits until the worker has caught up with
    opening the rounds, and counts the recomputations run while the answers arrive."""
    result = Latency()
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=64)) as client:
        await with_history(client, projects, 16)
        if settings is not None:
            await worker_idle(settings.database_url or "", settings.redis_url or "", settings.queue_name)
        async with websockets.connect(
            url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]
        ) as socket:
            subscriber = _Subscriber(socket)
            await subscriber.subscribe(admin_token)
            listener = asyncio.create_task(subscriber.listen())
            await asyncio.sleep(0.5)  # the subscription listens on Redis
            before = await job_totals(settings.redis_url or "", settings.redis_namespace) if settings else (0, 0.0)
            if meter is not None:
                await meter.start()

            async def submit(project: Project, token: str, score: int, last: bool) -> None:
                sent = time.time()
                if await call(client, SUBMIT, scores(project.round_id, score), token) is None:
                    result.errors += 1
                    return
                result.submitted += 1
                if last:
                    subscriber.completed(project, sent)

            plan = [(p, p.tokens[i], 1, i == 2) for p in projects for i in range(3)]
            tasks = []
            started = time.perf_counter()
            for n, (project, token, score, last) in enumerate(plan):
                await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                tasks.append(asyncio.create_task(submit(project, token, score, last)))
            await asyncio.gather(*tasks)
            result.per_second = result.submitted / (time.perf_counter() - started)
            subscriber.submitting = False
            subscriber.check_all_arrived()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(subscriber.all_arrived.wait(), wait)
            listener.cancel()
            if meter is not None:
                result.cpu_seconds = await meter.stop()
            if settings is not None:
                jobs, seconds = await job_totals(settings.redis_url or "", settings.redis_namespace)
                result.jobs, result.job_seconds = jobs - before[0], seconds - before[1]
    result.completions = list(subscriber.by_project.values())
    result.latencies = [c.arrived - c.sent for c in result.completions if c.arrived is not None]
    result.missing = len(result.completions) - len(result.latencies)
    return result


async def stages(dsn: str, completions: list[Completion]) -> dict[str, list[float]]:
    """Where each flag's time went, in seconds, from the database's timestamps (one clock: the same machine):
    sent → the answer's transaction began (`submitted_at`) → acknowledged; the answer's transaction → the
    recomputation's transaction that raised the flag began (`raised_at`: commit, enqueue, queue wait, lock) →
    the subscriber got it (the recomputation, commit, publication, the API's hub and subscription, delivery)."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            """
            SELECT p.id, extract(epoch FROM (SELECT max(s.submitted_at) FROM survey_responses s
                                             WHERE s.round_id = r.id)) AS submitted,
                   extract(epoch FROM f.raised_at) AS raised
            FROM cooperation_projects p
            JOIN survey_rounds r ON r.project_id = p.id AND r.status = 'OPEN'
            JOIN risk_flags f ON f.project_id = p.id AND f.reason = 'LOW_SATISFACTION' AND f.audience = 'FULL'
                             AND f.resolved_at IS NULL
            WHERE p.id = ANY($1::bigint[])
            """,
            [int(from_base64(c.project.global_id)[1]) for c in completions if c.arrived is not None],
        )
    finally:
        await connection.close()
    found = {row["id"]: (float(row["submitted"]), float(row["raised"])) for row in rows}
    result: dict[str, list[float]] = {name: [] for name in STAGES}
    for c in completions:
        times = found.get(int(from_base64(c.project.global_id)[1]))
        if c.arrived is None or times is None:
            continue
        submitted, raised = times
        for name, value in zip(
            STAGES, (submitted - c.sent, c.acknowledged - c.sent, raised - submitted, c.arrived - raised), strict=True
        ):
            result[name].append(value)
    return result


STAGES = (
    "sent → answer's transaction",
    "sent → acknowledged",
    "answer's transaction → flag's recomputation",
    "flag's recomputation → subscriber",
)


def percentile_ms(values: list[float], share: float) -> float:
    """In milliseconds, of values in seconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(latency: Latency, breakdown: dict[str, list[float]] | None = None) -> list[str]:
    """The lines a run prints: percentiles, counts, missing flags (a failure), where the time went."""
    values = latency.latencies
    lines = []
    if values:
        lines.append(
            f"submission → flag at {latency.per_second:.0f} answers/s: p50 {percentile_ms(values, 0.5):.0f} ms, "
            f"p95 {percentile_ms(values, 0.95):.0f} ms, p99 {percentile_ms(values, 0.99):.0f} ms, "
            f"max {max(values) * 1000:.0f} ms; {latency.submitted:,} answers sent, {len(values):,} flags seen, "
            f"{latency.missing} missing, {latency.errors} errors"
        )
    if latency.jobs:
        lines.append(
            f"recomputations meanwhile: {latency.jobs:,} ({latency.submitted / latency.jobs:.1f} answers each), "
            f"mean {1000 * latency.job_seconds / latency.jobs:.1f} ms"
        )
    if latency.cpu_seconds and latency.submitted:
        each = ", ".join(
            f"{name} {1000 * seconds / latency.submitted:.1f} ms" for name, seconds in latency.cpu_seconds.items()
        )
        lines.append(f"CPU per answer (while they arrived and their flags came): {each}")
    for name, stage in (breakdown or {}).items():
        if stage:
            lines.append(
                f"  {name}: p50 {percentile_ms(stage, 0.5):.0f} ms, p95 {percentile_ms(stage, 0.95):.0f} ms, "
                f"max {max(stage) * 1000:.0f} ms"
            )
    if latency.missing or not values:
        shown = ", ".join(latency.missing_projects[:10])
        lines.append(f"FAILED: {latency.missing} of {len(latency.completions)} flags never arrived ({shown}…)")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description="Submission → flag latency at a fixed rate of answers")
    parser.add_argument("--flag-rate", type=float, default=200, help="answers a second (default 200)")
    parser.add_argument("--seconds", type=float, default=15, help="how long answers arrive (default 15)")
    parser.add_argument("--api-workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--throughput", action="store_true", help="also submissions back to back at concurrency 16")
    args = parser.parse_args()
    with fresh_database("pp_bench_submissions") as (dsn, redis_url):
        settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="ppsubmissions",
                            rate_limits=False, log_level="WARNING")  # fmt: skip
        token = asyncio.run(admin_token(dsn))
        with api_and_worker(settings, "submissions", api_workers=args.api_workers) as running:
            if args.throughput:
                fast = asyncio.run(make_projects(dsn, int(args.seconds * 400) // 6 + 1, partners=6))
                rate = asyncio.run(throughput(running.url, fast, 16, args.seconds))
                print(f"submissions at concurrency 16: {rate.per_second:.0f} per second "
                      f"({rate.submitted:,} acknowledged, {rate.errors} errors)")  # fmt: skip
            paced = asyncio.run(make_projects(dsn, int(args.seconds * args.flag_rate) // 3 + 1, partners=3))
            meter = CpuMeter(dsn, running.api_pid, running.worker_pid)
            latency = asyncio.run(
                flag_latency(running.url, token, paced, args.flag_rate, settings=settings, meter=meter)
            )
            breakdown = asyncio.run(stages(dsn, latency.completions))
    print("\n".join(report(latency, breakdown)))
    return 1 if latency.missing or not latency.latencies else 0


async def admin_token(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        _, token = await create_token(connection, organization_id=None, label="benchmark")
        return token
    finally:
        await connection.close()


if __name__ == "__main__":
    sys.exit(main())
