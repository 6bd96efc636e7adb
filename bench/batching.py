"""What batching saves the worker: one project's recomputation alone against batches of them, in process.

    python -m bench.batching [--scale 5] [--projects 300] [--rounds 3]

Loads the demo network at `--scale` into a fresh database (bench/system.py), recomputes it once, then, per
round and alternating, moves the data version of `--projects` projects and recomputes them alone
(`workers.recompute.recompute`, as a job does) and in batches of 10 and 50 (`recompute_many`, as a worker's
batch does). Prints wall time and CPU per project of this process and of its PostgreSQL backend.
"""

import argparse
import asyncio
import time
from datetime import date

import asyncpg
import psutil

from bench.system import fresh_database
from db.demo import plan_network
from db.pool import init_connection
from db.seed import load_network
from partnerpulse.settings import Settings
from workers.recompute import recompute, recompute_many, thresholds

SIZES = (1, 10, 50)


def cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def measure(dsn: str, scale: int, count: int, rounds: int) -> None:
    connection = await asyncpg.connect(dsn)
    await init_connection(connection)
    try:
        await load_network(connection, plan_network(seed=42, scale=scale, today=date.today()))
        rows = await connection.fetch("SELECT id FROM cooperation_projects ORDER BY id LIMIT $1", count)
        ids = [row["id"] for row in rows]
        rules = thresholds(Settings())
        backend = psutil.Process(await connection.fetchval("SELECT pg_backend_pid()"))
        me = psutil.Process()
        for project_id in ids:  # computed once: the rounds below recompute computed projects
            await recompute(connection, project_id, rules)
        for number in range(rounds):
            for size in SIZES:
                await connection.execute(
                    "UPDATE cooperation_projects SET data_version = data_version + 1 WHERE id = ANY($1)", ids
                )
                started, python, postgres = time.perf_counter(), cpu(me), cpu(backend)
                for start in range(0, len(ids), size):
                    if size == 1:
                        await recompute(connection, ids[start], rules)
                    else:
                        await recompute_many(connection, ids[start : start + size], rules)
                wall = time.perf_counter() - started
                python, postgres = cpu(me) - python, cpu(backend) - postgres
                name = "alone" if size == 1 else f"batches of {size}"
                print(f"round {number + 1}, {name}: per project {1000 * wall / len(ids):.2f} ms wall, "
                      f"{1000 * python / len(ids):.2f} ms CPU here, {1000 * postgres / len(ids):.2f} ms CPU in "
                      "PostgreSQL")  # fmt: skip
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--projects", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with fresh_database("pp_bench_batching") as (dsn, _):
        asyncio.run(measure(dsn, args.scale, args.projects, args.rounds))


if __name__ == "__main__":
    main()
