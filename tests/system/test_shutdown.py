"""Graceful shutdown with real processes: after SIGTERM the API finishes the requests it is answering and
the worker the jobs it is running; a job that outlives the grace period is not lost."""

import asyncio
import contextlib
import json
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from bench.processes import start_api, start_worker, wait_until
from db.recompute import RECOMPUTE_LOCK_SPACE
from domain.jobs import enqueue_recompute
from partnerpulse.settings import Settings
from tests.helpers.waiting import eventually
from tests.world import build_world


def test_the_api_answers_a_request_it_was_receiving_when_sigterm_came(settings: Settings, tmp_path: Path) -> None:
    api, url = start_api(settings, tmp_path / "api.log")
    address = urlsplit(url)
    body = json.dumps({"query": "{ __typename }"}).encode()
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {address.netloc}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((address.hostname, address.port), timeout=10) as client:
        client.sendall(head + body[:5])  # the request has begun: headers and part of the body
        time.sleep(0.3)  # for the server to read them
        api.process.send_signal(signal.SIGTERM)
        wait_until(lambda: "Shutting down" in api.output(), what="the server to begin its shutdown")
        # new connections are refused while the begun request is still answered
        wait_until(lambda: _refused(address.hostname, address.port), what="the listening socket to close")
        client.sendall(body[5:])
        response = b""
        while chunk := client.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200"), response[:200]
    assert b'"__typename":"Query"' in response.replace(b" ", b"")
    # uvicorn finishes its shutdown, then re-raises the SIGTERM it caught, as a process manager expects
    assert api.process.wait(10) in (0, -signal.SIGTERM)
    assert "Finished server process" in api.output()


def _refused(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return True
    return False


async def _waiting_for_lock(connection: asyncpg.Connection) -> bool:
    return bool(await connection.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))


async def _computed(connection: asyncpg.Connection, project_id: int) -> bool:
    return bool(
        await connection.fetchval(
            "SELECT s.computed_version = p.data_version FROM cooperation_projects p "
            "JOIN project_recompute_state s ON s.project_id = p.id WHERE p.id = $1",
            project_id,
        )
    )


@contextlib.asynccontextmanager
async def a_job_in_flight(
    connection: asyncpg.Connection, pool: asyncpg.Pool, app, settings: Settings, project: int
) -> AsyncIterator[None]:
    """A recomputation of `project` that has started and waits for the project's lock, held here until the
    block ends: it is running whenever the block sends a signal."""
    await eventually(lambda: _computed(connection, project), what="the reconciler's first computation")
    await connection.execute("UPDATE cooperation_projects SET data_version = data_version + 1 WHERE id = $1", project)
    async with pool.acquire() as holder:
        await holder.execute("SELECT pg_advisory_lock($1, $2)", RECOMPUTE_LOCK_SPACE, project)
        try:
            await enqueue_recompute(app.state.redis, settings.redis_namespace, project)
            await eventually(lambda: _waiting_for_lock(connection), what="the job to start")
            yield
        finally:
            await holder.execute("SELECT pg_advisory_unlock($1, $2)", RECOMPUTE_LOCK_SPACE, project)


async def test_the_worker_finishes_its_running_job_before_it_exits(
    settings: Settings, connection: asyncpg.Connection, pool: asyncpg.Pool, app, tmp_path: Path
) -> None:
    project = (await build_world(connection)).projects["pilot"]
    worker = start_worker(settings, tmp_path / "worker.log")
    async with a_job_in_flight(connection, pool, app, settings, project):
        worker.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1.0)
        assert worker.process.poll() is None, "the worker left without finishing its job"
    assert await asyncio.to_thread(worker.process.wait, 15) == 0
    assert await _computed(connection, project)
    waited = next(line for line in worker.output().splitlines() if "wait complete" in line)
    assert "0 ongoing to cancel" in waited, waited


async def test_a_job_cut_off_by_the_grace_period_runs_again(
    settings: Settings, connection: asyncpg.Connection, pool: asyncpg.Pool, app, tmp_path: Path
) -> None:
    project = (await build_world(connection)).projects["pilot"]
    worker = start_worker(settings, tmp_path / "worker.log", PARTNERPULSE_SHUTDOWN_GRACE_SECONDS="1")
    async with a_job_in_flight(connection, pool, app, settings, project):
        worker.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(worker.process.wait, 10)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
        assert not await _computed(connection, project)
    successor = start_worker(settings, tmp_path / "successor.log")
    try:
        await eventually(lambda: _computed(connection, project), what="the cut-off job to be redone")
    finally:
        successor.stop()
