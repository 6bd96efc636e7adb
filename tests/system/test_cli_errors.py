"""Expected errors on the command line, run as a user runs the commands: one line saying what to do and a
non-zero exit, never a traceback. Against real servers: an empty database, one that does not answer, a
Redis that does not answer, a seeded database, a file that cannot be written, a port in use."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "PARTNERPULSE_TOKEN")}
    return subprocess.run(
        [sys.executable, "-m", "partnerpulse", *args],
        env={**clean, "COLUMNS": "60", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(done: subprocess.CompletedProcess[str], *words: str) -> str:
    """The command failed with one line (beside log records) containing `words`."""
    assert done.returncode != 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip() and not line.startswith("{")]
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


UNREACHABLE = [
    ["migrate"],
    ["seed"],
    ["recompute"],
    ["token", "create", "--admin"],
    ["token", "list"],
    ["token", "revoke", "1"],
    ["export", "projects", "--token", "pp_x"],
]


@pytest.mark.parametrize("args", UNREACHABLE, ids=[" ".join(a) for a in UNREACHABLE])
def test_a_database_that_does_not_answer(args: list[str], settings: Settings) -> None:
    port = free_port()
    done = run(*args, DATABASE_URL=f"postgresql://postgres@127.0.0.1:{port}/x", REDIS_URL=settings.redis_url or "")
    one_line_error(done, f"cannot reach PostgreSQL at 127.0.0.1:{port}/x", "partnerpulse doctor")


@pytest.mark.parametrize("args", [["token", "list"], ["recompute"], ["export", "projects", "--token", "pp_x"]])
def test_a_database_without_tables_says_to_migrate(args: list[str], fresh_database: str, settings: Settings) -> None:
    done = run(*args, DATABASE_URL=fresh_database, REDIS_URL=settings.redis_url or "")
    one_line_error(done, "no PartnerPulse tables", "partnerpulse migrate")


def test_seeding_a_seeded_database_says_to_reset_and_changes_nothing(fresh_database: str, settings: Settings) -> None:
    env = {"DATABASE_URL": fresh_database, "REDIS_URL": settings.redis_url or ""}
    assert run("seed", **env).returncode == 0
    one_line_error(run("seed", **env), "holds data already", "--reset")
    token = run("token", "create", "--admin", **env).stdout.strip().splitlines()[-1]
    before = run("export", "projects", "--token", token, **env).stdout
    one_line_error(run("seed", "--seed", "7", **env), "--reset")
    assert run("export", "projects", "--token", token, **env).stdout == before

    for target, reason in [("/nonexistent/rounds.csv", "No such file or directory"), ("/", "Is a directory")]:
        done = run("export", "projects", "--output", target, "--token", token, **env)
        one_line_error(done, f"cannot use {target}", reason)
    one_line_error(run("export", "projects", "--project", "nothing", "--token", token, **env), "no project")
    one_line_error(run("token", "revoke", "987654", **env), "no live token 987654")


def test_a_redis_that_does_not_answer_is_said_at_once(settings: Settings) -> None:
    port = free_port()
    started = time.monotonic()
    done = run("worker", "--check", DATABASE_URL=settings.database_url or "", REDIS_URL=f"redis://127.0.0.1:{port}/0")
    one_line_error(done, f"cannot reach Redis at 127.0.0.1:{port}/0")
    assert time.monotonic() - started < 20


def test_a_start_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run("dev", "--port", str(port), PARTNERPULSE_DATA_DIR=str(tmp_path / "data"))
    one_line_error(done, f"port {port}", "in use", "--port")
