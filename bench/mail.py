"""Time from a round's opening to its invitations in a mailbox, and the mails per second the worker sends.

    python -m bench.mail [--rounds 50] [--mails 1000]

Starts `partnerpulse serve` and `partnerpulse worker` on a fresh database and Redis (bench/system.py) with an
aiosmtpd server in this process as their mail server. Opens one round per project (three partners, one
contact person each; the lead opens it) one after another and waits until every invitation of the round has
arrived; prints p50, p95 and max from the mutation's start. Then queues `--mails` mails in the outbox at once
and prints how many per second arrive (first to last arrival).
"""

import argparse
import asyncio
import contextlib
import os
import statistics
import time
from collections import defaultdict

import asyncpg
import httpx
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import Envelope, Session
from strawberry.relay import from_base64

from bench.submissions import OPEN, make_projects
from bench.system import api_and_worker, fresh_database
from db.outbox import Mail, add_mails
from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings


class Arrivals:
    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)
        self.changed = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        now = time.perf_counter()
        for recipient in envelope.rcpt_tos:
            self.times[recipient].append(now)
        if self.loop:
            self.loop.call_soon_threadsafe(self.changed.set)
        return "250 OK"


async def wait_for(arrivals: Arrivals, recipients: list[str], seconds: float = 60) -> float:
    deadline = time.perf_counter() + seconds
    while not all(arrivals.times.get(r) for r in recipients):
        arrivals.changed.clear()
        left = deadline - time.perf_counter()
        if left <= 0:
            raise TimeoutError(f"mails to {recipients} did not arrive")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(arrivals.changed.wait(), min(left, 1))
    return max(arrivals.times[r][0] for r in recipients)


async def run(dsn: str, url: str, arrivals: Arrivals, rounds: int, mails: int) -> None:
    arrivals.loop = asyncio.get_running_loop()
    projects = await make_projects(dsn, rounds, partners=3)
    connection = await asyncpg.connect(dsn)
    try:
        persons: dict[str, list[str]] = {}
        for project in projects:
            rows = await connection.fetch(
                "SELECT organization_id FROM project_partners WHERE role <> 'MODERATOR' AND project_id = $1",
                int(from_base64(project.global_id)[1]),
            )
            persons[project.global_id] = []
            for row in rows:
                email = f"p{row['organization_id']}@bench.example"
                await connection.execute(
                    "INSERT INTO contact_persons (organization_id, name, email) VALUES ($1, 'Bench', $2) "
                    "ON CONFLICT DO NOTHING",
                    row["organization_id"],
                    email,
                )
                persons[project.global_id].append(email)
        latencies = []
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            for project in projects:
                started = time.perf_counter()
                response = await client.post(
                    "/graphql",
                    json={"query": OPEN, "variables": {"p": project.global_id}},
                    headers={"Authorization": f"Bearer {project.tokens[0]}"},
                )
                assert response.json()["data"]["openSurveyRound"]["userErrors"] == [], response.text
                latencies.append(await wait_for(arrivals, persons[project.global_id]) - started)
        latencies.sort()
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        median = statistics.median(latencies)
        print(
            f"opening to invitations in the mailbox, {len(latencies)} rounds: p50 {median:.3f} s, "
            f"p95 {p95:.3f} s, max {latencies[-1]:.3f} s"
        )
        batch = [Mail("SIGN_IN", f"t{i}@bench.example", "Bench", "text", "<p>html</p>") for i in range(mails)]
        await add_mails(connection, batch)
        recipients = [m.recipient for m in batch]
        await wait_for(arrivals, recipients, seconds=600)
        times = sorted(arrivals.times[r][0] for r in recipients)
        seconds = times[-1] - times[0]
        print(f"throughput: {mails} mails in {seconds:.2f} s after the first, {(mails - 1) / seconds:.0f} mails/s")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--mails", type=int, default=1000)
    args = parser.parse_args()
    arrivals = Arrivals()
    port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with fresh_database("pp_bench_mail") as (dsn, redis_url):
            settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="bench-mail", rate_limits=False)
            os.environ["PARTNERPULSE_SMTP_URL"] = f"smtp://127.0.0.1:{port}"  # the API's and the worker's
            with api_and_worker(settings, "mail") as running:
                asyncio.run(run(dsn, running.url, arrivals, args.rounds, args.mails))
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
