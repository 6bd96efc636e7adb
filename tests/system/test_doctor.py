"""`partnerpulse doctor` run as an operator would, against real and deliberately broken set-ups."""

import os
import subprocess
import sys
from pathlib import Path

from bench.processes import environment, start_worker
from db.migrate import load_migrations
from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings


def doctor(env: dict[str, str]) -> tuple[int, str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    done = subprocess.run(
        [sys.executable, "-m", "partnerpulse", "doctor"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_a_healthy_installation_with_a_running_worker(settings: Settings, pool, redis, tmp_path: Path) -> None:
    """`pool` and `redis` empty the database and the queue first: another test's projects would still wait."""
    worker = start_worker(settings, tmp_path / "worker.log")
    try:
        code, output = doctor(environment(settings))
    finally:
        worker.stop()
    assert code == 0, output
    for line in ("✓ configuration", "✓ database: PostgreSQL", "✓ migrations: all applied", "✓ redis: Redis",
                 "✓ worker: alive", "✓ statistics: 0 project(s) wait"):  # fmt: skip
        assert line in output, output
    assert "all good" in output


def test_without_a_worker_it_says_to_start_one(settings: Settings, redis) -> None:
    """`redis` empties the Redis database first: no heartbeat of an earlier test's worker."""
    code, output = doctor(environment(settings))
    assert code == 1
    assert "✗ worker: no worker has reported" in output
    assert "partnerpulse worker" in output


def test_unreachable_servers_and_pending_migrations_are_named(settings: Settings, fresh_database: str) -> None:
    port = free_port()
    code, output = doctor(
        environment(settings.model_copy(update={"database_url": f"postgresql://postgres@127.0.0.1:{port}/x"}))
    )
    assert code == 1
    assert f"✗ database: cannot connect to PostgreSQL at 127.0.0.1:{port}/x" in output

    code, output = doctor(environment(settings.model_copy(update={"database_url": fresh_database})))
    assert code == 1
    assert f"✗ migrations: {len(load_migrations())} not applied" in output and "partnerpulse migrate" in output

    code, output = doctor(environment(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})))
    assert code == 1
    assert "✗ redis: cannot reach Redis" in output


def test_missing_and_malformed_configuration(settings: Settings) -> None:
    env = environment(settings)
    del env["REDIS_URL"]
    code, output = doctor(env)
    assert code == 1
    assert "✗ configuration: REDIS_URL not set" in output and "python3 run.py start" in output

    code, output = doctor({**environment(settings), "PARTNERPULSE_PORT": "eighty"})
    assert code == 1
    assert "✗ configuration: PARTNERPULSE_PORT" in output
