"""`python -m bench.execution`: CPU time per request of the three benchmark queries, compiled execution
against graphql-core, in one process.

Both apps (`PARTNERPULSE_COMPILED_EXECUTION` true and false) run in this process on the same database and
answer the same requests through the real ASGI stack (authentication, limits, strawberry, JSON), one request
at a time, alternating between the two in rounds. What is measured is the process's CPU time (not wall
time), so PostgreSQL's work and other programs on a shared machine count less than in `python -m bench`; the
ratio of the two engines in one run is the figure to read. The answers must be byte for byte equal.
"""

import argparse
import asyncio
import time
from typing import Any

import httpx
from strawberry.relay import to_base64

from api.app import create_app
from bench.__main__ import DASHBOARD, DIRECTORY, PROJECT, prepare
from bench.system import fresh_database
from partnerpulse.settings import Settings


async def measure(settings: Settings, token: str, project: int, requests: int, rounds: int) -> list[dict[str, Any]]:
    cases = {
        "dashboard": {"query": DASHBOARD},
        "project page": {"query": PROJECT, "variables": {"id": to_base64("CooperationProject", project)}},
        "directory": {"query": DIRECTORY},
    }
    engines = {"compiled": True, "graphql-core": False}
    apps = {name: create_app(settings.model_copy(update={"compiled_execution": on})) for name, on in engines.items()}
    headers = {"authorization": f"Bearer {token}"}
    rows = []
    compiled, core = apps["compiled"], apps["graphql-core"]
    async with compiled.router.lifespan_context(compiled), core.router.lifespan_context(core):
        clients = {
            name: httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")
            for name, app in apps.items()
        }
        for case, body in cases.items():
            answers = {name: (await client.post("/graphql", json=body, headers=headers)).content
                       for name, client in clients.items()}  # fmt: skip
            cpu = dict.fromkeys(engines, 0.0)
            for _ in range(rounds):
                for name, client in clients.items():
                    started = time.process_time()
                    for _ in range(requests):
                        response = await client.post("/graphql", json=body, headers=headers)
                        assert response.status_code == 200 and b'"errors"' not in response.content
                    cpu[name] += time.process_time() - started
            count = requests * rounds
            row = {"query": case, "same bytes": answers["compiled"] == answers["graphql-core"],
                   "bytes": len(answers["compiled"])}  # fmt: skip
            row |= {f"{name} ms": cpu[name] / count * 1000 for name in engines}
            row["ratio"] = row["graphql-core ms"] / row["compiled ms"]
            rows.append(row)
        for client in clients.values():
            await client.aclose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="network size (as python -m bench; default 10)")
    parser.add_argument("--requests", type=int, default=50, help="requests per engine and round")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with fresh_database("pp_bench_execution") as (dsn, redis_url):
        token, project, _ = asyncio.run(prepare(dsn, args.scale))
        settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="ppexecution",
                            rate_limits=False, log_level="WARNING")  # fmt: skip
        rows = asyncio.run(measure(settings, token, project, args.requests, args.rounds))
    print(f"\nCPU per request in this process (client, ASGI app, strawberry, execution, JSON), scale {args.scale}, "
          f"{args.requests * args.rounds} requests per engine and query, alternating rounds\n")  # fmt: skip
    print("| query | response bytes | compiled ms CPU | graphql-core ms CPU | graphql-core/compiled | same bytes |")
    print("| --- " * 6 + "|")
    for r in rows:
        print(f"| {r['query']} | {r['bytes']:,} | {r['compiled ms']:.2f} | {r['graphql-core ms']:.2f} "
              f"| {r['ratio']:.2f}× | {'yes' if r['same bytes'] else 'NO'} |")  # fmt: skip


if __name__ == "__main__":
    main()
