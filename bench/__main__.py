"""The benchmark suite: `python -m bench` (about 8 minutes) or `python -m bench --quick` (under 2).

On a database of its own (DATABASE_URL's server, or an embedded one) it loads the generator's network
(`--scale 900`: 72,000 projects, 28,800 organizations, about 2 M answers; `--quick`: scale 10), recomputes
everything, starts the API as production would (uvicorn with uvloop and httptools, one process per core)
and the floor (bench/floor.py: one hand-written SQL query per answer behind a bare Starlette route, same
server set-up), and measures in one run, at fixed concurrency for a fixed time:

  a. three frontend queries over HTTP — the ecosystem manager's dashboard, a project page, a directory page
  b. the same answers from the floor; the ratio GraphQL/floor of the p50 latency is the figure that matters
  c. PostGraphile 5 and 4 (bench/postgraphile.py, from npm) answering the same questions on the same database
     with one process per core; the ratios of requests per second PartnerPulse/PostGraphile 5 and
     PostGraphile 5/4 (and PartnerPulse/PostGraphile 4)
  d. survey submissions per second at the same concurrency, and the submission-to-flag latency while answers
     arrive at `--flag-rate` a second (default 200; bench/submissions.py, also `python -m bench.submissions`);
     `--submissions-only` loads and recomputes the network and measures only this part
  e. the full (bulk) recomputation of statistics, trends, flags and portfolio, at a tenth of the network
     and at all of it
  f. peak memory (resident set) of the API and the worker processes
"""

import argparse
import asyncio
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import psutil
from strawberry.relay import to_base64

from bench import postgraphile, submissions
from bench.queries import DASHBOARD, DIRECTORY, PROJECT
from bench.system import WORK, Running, api_and_worker, fresh_database
from db.demo import plan_network
from db.pool import init_connection
from db.seed import load_network
from db.tokens import create_token
from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings
from workers.bulk import recompute_all
from workers.recompute import thresholds

FLAG_RATE = 200  # answers a second while the submission-to-flag latency is measured (issue 18's rate)


async def prepare(dsn: str, scale: int) -> tuple[str, int, dict[str, float]]:
    """Load and recompute; return an admin token, the id of a busy at-risk project and timings."""
    timings = {}
    connection = await asyncpg.connect(dsn, command_timeout=3600)
    await init_connection(connection)
    try:
        started = time.perf_counter()
        counts = await load_network(connection, plan_network(seed=42, scale=scale, today=date.today()))
        timings["load (COPY)"] = time.perf_counter() - started
        timings["answers"] = counts["survey_responses"]
        await connection.execute("SET statement_timeout = 0")
        beside = await asyncpg.connect(dsn, command_timeout=3600)
        portfolio_beside = await asyncpg.connect(dsn, command_timeout=3600)
        try:
            started = time.perf_counter()
            result = await recompute_all(connection, thresholds(Settings()), beside, portfolio_beside)
        finally:
            await portfolio_beside.close()
            await beside.close()
        timings["recompute"] = time.perf_counter() - started
        timings |= {f"recompute: {phase}": seconds for phase, seconds in result.seconds.items()}
        # measure a settled database: otherwise autovacuum works through the 2 M fresh rows during the
        # measurements, at a different moment in every run (it moved results by up to 2x between runs)
        started = time.perf_counter()
        await connection.execute("VACUUM (ANALYZE)")
        timings["vacuum"] = time.perf_counter() - started
        _, token = await create_token(connection, organization_id=None, label="benchmark")
        project = await connection.fetchval(
            """
            SELECT h.project_id FROM project_health h JOIN survey_rounds r ON r.project_id = h.project_id
            WHERE h.risk_level <> 'NONE' GROUP BY h.project_id ORDER BY count(*) DESC, h.project_id LIMIT 1
            """
        )
        return token, project, timings
    finally:
        await connection.close()


def start_floor(dsn: str, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.floor:app", "--port", str(port), "--workers", str(workers),
         "--loop", "uvloop", "--http", "httptools", "--log-level", "warning", "--no-access-log"],
        env={**os.environ, "DATABASE_URL": dsn},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the floor did not start")


async def hammer(send, concurrency: int, seconds: float) -> tuple[float, list[float], int]:
    """(requests per second, latencies, errors) of `send` called by `concurrency` loops for `seconds`."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def loop() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            started = time.perf_counter()
            ok = await send()
            latencies.append(time.perf_counter() - started)
            errors += not ok

    started = time.monotonic()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return len(latencies) / (time.monotonic() - started), latencies, errors


def percentile(values: list[float], share: float) -> float:
    """In milliseconds, of values in seconds."""
    return percentile_ms([v * 1000 for v in values], share)


def percentile_ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def executions(client: httpx.AsyncClient, api: str) -> dict[str, float]:
    """The API's executed operations so far by engine (compiled, graphql-core), from its /metrics."""
    text = (await client.get(f"{api}/metrics")).text
    found = re.findall(r'^partnerpulse_graphql_executions_total\{engine="([^"]+)"\} (\S+)$', text, flags=re.M)
    return {engine: float(value) for engine, value in found}


async def compare(
    api: str,
    floor: str,
    theirs: dict[str, str],
    token: str,
    project: int,
    concurrency: int,
    seconds: float,
    core_api: str | None = None,
) -> list[dict]:
    """One row per query; `theirs` maps each running PostGraphile version's name to its URL; `core_api` is the
    same API with compiled execution off (PARTNERPULSE_COMPILED_EXECUTION=false)."""
    headers = {"Authorization": f"Bearer {token}"}
    cases = [
        ("dashboard", "dashboard (20 at-risk projects)", {"query": DASHBOARD}, "/dashboard"),
        ("project", "project page", {"query": PROJECT, "variables": {"id": to_base64("CooperationProject", project)}},
         f"/project/{project}"),
        ("directory", "directory (100 organizations)", {"query": DIRECTORY}, "/directory"),
    ]  # fmt: skip
    versions = [version for version in (postgraphile.V5, postgraphile.V4) if version.name in theirs]
    rows = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for case, name, body, path in cases:
            graphql = (await client.post(f"{api}/graphql", json=body, headers=headers)).json()
            floor_answer = (await client.get(f"{floor}{path}")).json()
            row: dict = {"query": name, "same answer": graphql.get("data") == floor_answer.get("data")}

            async def graphql_call(body: dict = body) -> bool:
                response = await client.post(f"{api}/graphql", json=body, headers=headers)
                return response.status_code == 200 and b'"errors"' not in response.content

            async def floor_call(path: str = path) -> bool:
                return (await client.get(f"{floor}{path}")).status_code == 200

            sides = [("graphql", graphql_call), ("floor", floor_call)]
            if core_api is not None:
                core_answer = (await client.post(f"{core_api}/graphql", json=body, headers=headers)).content
                row["core same answer"] = (
                    core_answer == (await client.post(f"{api}/graphql", json=body, headers=headers)).content
                )

                async def core_call(body: dict = body) -> bool:
                    response = await client.post(f"{core_api}/graphql", json=body, headers=headers)
                    return response.status_code == 200 and b'"errors"' not in response.content

                sides.append(("core", core_call))
            for version in versions:
                url, their_body = theirs[version.name], version.body(case, project)
                answer = (await client.post(url, json=their_body)).json()
                row[f"{version.name} same answer"] = "data" in answer and postgraphile.same_answer(
                    case, graphql["data"], answer["data"]
                )

                async def their_call(url: str = url, body: dict = their_body) -> bool:
                    response = await client.post(url, json=body)
                    return response.status_code == 200 and b'"errors"' not in response.content

                sides.append((version.name, their_call))
            errors = 0
            for side, call in sides:
                before = await executions(client, api) if side == "graphql" else {}
                rps, latencies, failed = await hammer(call, concurrency, seconds)
                if side == "graphql":
                    after = await executions(client, api)
                    ran = {engine: after[engine] - before.get(engine, 0) for engine in after}
                    row["compiled share"] = ran.get("compiled", 0) / max(1, sum(ran.values()))
                row |= {f"{side} rps": rps, f"{side} p50": percentile(latencies, 0.5),
                        f"{side} p99": percentile(latencies, 0.99)}  # fmt: skip
                errors += failed
            row["errors"] = errors
            row["p50 ratio"] = row["graphql p50"] / row["floor p50"]
            for version in versions:
                row[f"rps ratio {version.name}"] = row["graphql rps"] / row[f"{version.name} rps"]
            if core_api is not None:
                row["rps ratio compiled/core"] = row["graphql rps"] / row["core rps"]
            if len(versions) == 2:
                row["rps ratio 5/4"] = row[f"{postgraphile.V5.name} rps"] / row[f"{postgraphile.V4.name} rps"]
            rows.append(row)
    return rows


async def measure_submissions(
    settings: Settings, running: Running, admin_token: str, concurrency: int, seconds: float, flag_rate: float
) -> tuple[submissions.Result, submissions.Latency]:
    """(throughput at `concurrency`, submission-to-flag latency at `flag_rate` answers a second)."""
    dsn = settings.database_url or ""
    enough = int(seconds * 400)  # more answers than the API acknowledges in `seconds`
    fast = await submissions.make_projects(dsn, enough // 6 + 1, partners=6)
    paced = await submissions.make_projects(dsn, int(seconds * flag_rate) // 3 + 1, partners=3)
    rate = await submissions.throughput(running.url, fast, concurrency, seconds)
    meter = submissions.CpuMeter(dsn, running.api_pid, running.worker_pid)
    latency = await submissions.flag_latency(running.url, admin_token, paced, flag_rate, settings=settings, meter=meter)
    return rate, latency


def peak_memory_mb(pid: int) -> float:
    """Peak resident set (VmHWM) of a process and its children, in MB."""
    total = 0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        with open(f"/proc/{process.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


def submissions_only(scale: int, args: argparse.Namespace) -> None:
    """Part d alone, on the loaded and recomputed network of `scale` (its statistics and portfolio)."""
    seconds = args.seconds or (3 if args.quick else 15)
    with fresh_database("pp_bench_submissions") as (dsn, redis_url):
        token, _, timings = asyncio.run(prepare(dsn, scale))
        settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="ppsuite", rate_limits=False,
                            log_level="WARNING")  # fmt: skip
        with api_and_worker(settings, "suite", api_workers=os.cpu_count() or 1) as running:
            rate, latency = asyncio.run(
                measure_submissions(settings, running, token, args.concurrency, seconds, args.flag_rate)
            )
            breakdown = asyncio.run(submissions.stages(dsn, latency.completions))
    print(f"\nscale {scale}: {int(timings['answers']):,} answers")
    print(f"submissions at concurrency {args.concurrency}: {rate.per_second:.0f} per second "
          f"({rate.submitted:,} acknowledged, {rate.errors} errors)")  # fmt: skip
    print("\n".join(submissions.report(latency, breakdown)))
    if latency.missing or not latency.latencies:
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description="PartnerPulse benchmarks")
    parser.add_argument("--quick", action="store_true", help="scale 10, 3 s per measurement")
    parser.add_argument("--scale", type=int, help="network size (default 900; 10 with --quick)")
    parser.add_argument("--seconds", type=float, help="per measurement (default 15; 3 with --quick)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--queries-only", action="store_true",
                        help="only the three queries (no growth run, submissions or flag latency)")  # fmt: skip
    parser.add_argument("--submissions-only", action="store_true",
                        help="only submissions and flag latency (no queries, PostGraphile, growth run)")  # fmt: skip
    parser.add_argument("--flag-rate", type=float, default=FLAG_RATE,
                        help=f"answers a second while the flag latency is measured (default {FLAG_RATE})")  # fmt: skip
    args = parser.parse_args()
    if args.submissions_only:
        submissions_only(args.scale or (10 if args.quick else 900), args)
        return
    scale = args.scale or (10 if args.quick else 900)
    seconds = args.seconds or (3 if args.quick else 15)
    cores = os.cpu_count() or 1
    began = time.perf_counter()
    small: dict[str, float] = {}
    if not args.queries_only:
        with fresh_database("pp_bench_growth") as (dsn, _):
            # e: how the full recomputation grows, from a tenth of the network to all of it
            _, _, small = asyncio.run(prepare(dsn, max(1, scale // 10)))
    with fresh_database("pp_bench_suite") as (dsn, redis_url):
        token, project, timings = asyncio.run(prepare(dsn, scale))
        settings = Settings(database_url=dsn, redis_url=redis_url, redis_namespace="ppsuite", rate_limits=False,
                            log_level="WARNING")  # fmt: skip
        floor = None
        their_servers: list[subprocess.Popen[bytes]] = []
        theirs: dict[str, str] = {}
        try:
            floor, floor_url = start_floor(dsn, cores)
            for version in (postgraphile.V5, postgraphile.V4):
                folder = postgraphile.install(WORK, version)
                if folder is None:
                    print(f"{version.name} skipped: it needs npm (and Node.js, or x86-64 Linux for version 5)")
                    continue
                server, theirs[version.name] = postgraphile.start(
                    version, folder, dsn, cores, WORK / f"{version.folder}.log"
                )
                their_servers.append(server)
            core_settings = settings.model_copy(update={"compiled_execution": False})
            with (
                api_and_worker(settings, "suite", api_workers=cores) as running,
                api_and_worker(core_settings, "suite-core", api_workers=cores) as core,
            ):
                rows = asyncio.run(
                    compare(running.url, floor_url, theirs, token, project, args.concurrency, seconds, core.url)
                )
                submitted = (
                    None
                    if args.queries_only
                    else asyncio.run(
                        measure_submissions(settings, running, token, args.concurrency, seconds, args.flag_rate)
                    )
                )
                memory = {"API": peak_memory_mb(running.api_pid), "worker": peak_memory_mb(running.worker_pid)}
        finally:
            for server in (floor, *their_servers):
                if server is not None:
                    server.terminate()
                    server.wait(10)
    total = time.perf_counter() - began
    print(f"\nPartnerPulse benchmark — {date.today()}, {platform.machine()}, {cores} cores, "
          f"scale {scale}: {int(timings['answers']):,} answers; total {total:.0f} s\n")  # fmt: skip
    v5, v4 = postgraphile.V5.name, postgraphile.V4.name
    print(f"| query (concurrency {args.concurrency}, {seconds:.0f} s each) | GraphQL rps | p50 ms | p99 ms "
          "| floor rps | p50 ms | p99 ms | p50 GraphQL/floor | PostGraphile 5 rps | p50 ms | p99 ms "
          "| PostGraphile 4 rps | p50 ms | p99 ms | rps PartnerPulse/PostGraphile 5 | rps PostGraphile 5/4 "
          "| rps PartnerPulse/PostGraphile 4 | same answer (floor, PostGraphile 5, 4) | errors |")  # fmt: skip
    print("| --- " * 19 + "|")
    for r in rows:
        sides = " | ".join(
            f"{r[f'{name} rps']:.0f} | {r[f'{name} p50']:.1f} | {r[f'{name} p99']:.1f}" if f"{name} rps" in r
            else "– | – | –"
            for name in (v5, v4)
        )  # fmt: skip
        ratios = " | ".join(
            f"{r[key]:.2f}×" if key in r else "–" for key in (f"rps ratio {v5}", "rps ratio 5/4", f"rps ratio {v4}")
        )
        same = ", ".join(
            {True: "yes", False: "NO", None: "–"}[r.get(key)]
            for key in ("same answer", f"{v5} same answer", f"{v4} same answer")
        )
        print(f"| {r['query']} | {r['graphql rps']:.0f} | {r['graphql p50']:.1f} | {r['graphql p99']:.1f} "
              f"| {r['floor rps']:.0f} | {r['floor p50']:.1f} | {r['floor p99']:.1f} | {r['p50 ratio']:.2f}× "
              f"| {sides} | {ratios} | {same} | {r['errors']} |")  # fmt: skip
    print("\nCompiled execution (schema/compiled.py) against the same API on graphql-core "
          "(PARTNERPULSE_COMPILED_EXECUTION=false), same database, same run:\n")  # fmt: skip
    print("| query | compiled rps | p50 ms | graphql-core rps | p50 ms | rps compiled/graphql-core "
          "| share of requests run compiled | same bytes |")  # fmt: skip
    print("| --- " * 7 + "|")
    for r in rows:
        print(f"| {r['query']} | {r['graphql rps']:.0f} | {r['graphql p50']:.1f} | {r['core rps']:.0f} "
              f"| {r['core p50']:.1f} | {r['rps ratio compiled/core']:.2f}× | {r['compiled share']:.0%} "
              f"| {'yes' if r['core same answer'] else 'NO'} |")  # fmt: skip
    if submitted is None:
        print(f"\npeak memory: API {memory['API']:.0f} MB ({cores} processes), worker {memory['worker']:.0f} MB")
        Path(WORK / "last-run.json").write_text(json.dumps({"rows": rows, "timings": timings, "memory": memory}))
        return
    rate, latency = submitted
    print(f"\nsubmissions at concurrency {args.concurrency}: {rate.per_second:.0f} per second "
          f"({rate.submitted:,} acknowledged, {rate.errors} errors)")  # fmt: skip
    ms = sorted(value * 1000 for value in latency.latencies)
    print("\n".join(submissions.report(latency)))
    print(f"full recomputation: {int(small['answers']):,} answers {small['recompute']:.1f} s, "
          f"{int(timings['answers']):,} answers {timings['recompute']:.1f} s "
          f"({timings['recompute'] / small['recompute']:.1f}× the time for "
          f"{timings['answers'] / small['answers']:.1f}× the answers)")  # fmt: skip
    print()
    for name, value in timings.items():
        if name != "answers":
            print(f"{name}: {value:.1f} s")
    print(f"peak memory: API {memory['API']:.0f} MB ({cores} processes), worker {memory['worker']:.0f} MB")
    submitted_figures = {"per second": rate.per_second, "errors": rate.errors, "flag latencies ms": ms,
                         "flags missing": latency.missing, "paced rate": latency.per_second}  # fmt: skip
    Path(WORK / "last-run.json").write_text(
        json.dumps(
            {"rows": rows, "timings": timings, "memory": memory, "submissions": submitted_figures, "growth": small}
        )
    )


if __name__ == "__main__":
    main()
