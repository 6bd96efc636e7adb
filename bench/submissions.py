"""Survey submissions under load, against a running API and worker (part d of `python -m bench`).

- throughput: `concurrency` clients submit answers as fast as they are acknowledged, for a fixed time;
- submission-to-flag latency: answers arrive at a fixed rate (50 a second); every third completes an unhappy
  round of a three-partner project, which must raise LOW_SATISFACTION. An admin's `riskFlagChanged`
  subscription records when each flag arrives; the latency runs from sending the completing answer.
"""

import asyncio
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field

import asyncpg
import httpx
import websockets
from strawberry.relay import to_base64

from db.seed import insert_small_projects
from db.tokens import create_member_tokens

OPEN = "mutation($p: ID!) { openSurveyRound(input: {projectId: $p}) { surveyRound { id } userErrors { code } } }"
SUBMIT = """mutation($input: SubmitSurveyResponseInput!) {
  submitSurveyResponse(input: $input) { surveyResponse { id } userErrors { code } } }"""
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


async def flag_latency(url: str, admin_token: str, projects: list[Project], rate: float, wait: float = 20) -> Result:
    """Answers at `rate` a second, three per project (2, 2, then 1: an unhappy round); the time from sending
    each project's third answer to its LOW_SATISFACTION event."""
    result = Result()
    arrived: dict[str, float] = {}
    completed: dict[str, float] = {}
    submitting = True
    all_arrived = asyncio.Event()

    def check_all_arrived() -> None:
        if not submitting and completed.keys() <= arrived.keys():
            all_arrived.set()

    async with (
        httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_connections=64)) as client,
        websockets.connect(url.replace("http", "ws") + "/graphql", subprotocols=["graphql-transport-ws"]) as socket,
    ):
        await open_rounds(client, projects, 16)
        authorization = {"Authorization": f"Bearer {admin_token}"}
        await socket.send(json.dumps({"type": "connection_init", "payload": authorization}))
        ack = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if ack["type"] != "connection_ack":
            raise RuntimeError(f"subscription refused: {ack}")
        await socket.send(json.dumps({"id": "flags", "type": "subscribe", "payload": {"query": FLAG_EVENTS}}))

        async def listen() -> None:
            async for message in socket:
                event = json.loads(message)
                if event["type"] != "next":
                    continue
                flag = event["payload"]["data"]["riskFlagChanged"]
                if flag["reason"] == "LOW_SATISFACTION" and flag["resolvedAt"] is None:
                    arrived.setdefault(flag["project"]["id"], time.perf_counter())
                    check_all_arrived()

        listener = asyncio.create_task(listen())
        await asyncio.sleep(0.5)  # the subscription listens on Redis

        async def submit(project: Project, token: str, score: int, last: bool) -> None:
            sent = time.perf_counter()
            if await call(client, SUBMIT, scores(project.round_id, score), token) is None:
                result.errors += 1
                return
            result.submitted += 1
            if last:
                completed[project.global_id] = sent

        plan = [(p, p.tokens[i], 1 if i == 2 else 2, i == 2) for p in projects for i in range(3)]
        tasks = []
        started = time.perf_counter()
        for n, (project, token, score, last) in zip(itertools.count(), plan, strict=False):
            await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(submit(project, token, score, last)))
        await asyncio.gather(*tasks)
        result.per_second = result.submitted / (time.perf_counter() - started)
        submitting = False
        check_all_arrived()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_arrived.wait(), wait)
        listener.cancel()
    result.latencies = [arrived[p] - sent for p, sent in completed.items() if p in arrived]
    result.missing = len(completed) - len(result.latencies)
    return result
