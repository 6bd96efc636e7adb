"""The new user's first command, exactly as the README gives it: embedded servers, demo data, API, worker."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from partnerpulse.embedded import free_port
from tests.helpers.paths import ROOT

BANNER = "PartnerPulse is running"


def start_dev(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"PARTNERPULSE_DATA_DIR": str(data_dir), "COLUMNS": "80"}
    return subprocess.Popen(
        [sys.executable, "-m", "partnerpulse", "dev", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_banner(process: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if BANNER in output and "Ctrl-C" in output:
            return output
        if process.poll() is not None:
            pytest.fail(f"`partnerpulse dev` exited with {process.returncode}:\n{output}")
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"no banner within {timeout} s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    return process.wait(60)


@pytest.mark.smoke
def test_dev_starts_everything_serves_graphql_and_stops_cleanly(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "data", free_port()
    log = tmp_path / "dev.log"
    started = time.monotonic()
    process = start_dev(data_dir, port, log)
    try:
        output = wait_for_banner(process, log)
        startup_seconds = time.monotonic() - started
        assert f"http://127.0.0.1:{port}/graphql" in output
        assert f"Dashboard: http://127.0.0.1:{port}/" in output
        assert "Mailbox:   partnerpulse mailbox" in output  # the development mail server is named
        assert "PartnerPulse" in httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text
        tokens = re.findall(r'"Authorization": "Bearer (pp_[\w-]+)"', output)
        assert len(tokens) == 3, output  # admin, member, moderator
        response = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            json={"query": "{ viewer { role } }"},
            headers={"Authorization": f"Bearer {tokens[0]}"},
            timeout=10,
        )
        assert response.json()["data"] == {"viewer": {"role": "ADMIN"}}
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=10).status_code == 200
        assert "loading the demo network" in output
        assert startup_seconds < 60
    finally:
        code = stop(process)
    assert code == 0, log.read_text()
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "embedded PostgreSQL still running"

    # the second start keeps the data and the demo tokens
    log2 = tmp_path / "dev2.log"
    process = start_dev(data_dir, port, log2)
    try:
        output = wait_for_banner(process, log2)
        assert "loading the demo network" not in output
        assert re.findall(r'"Authorization": "Bearer (pp_[\w-]+)"', output) == tokens
    finally:
        assert stop(process) == 0


def test_stopping_run_py_alone_stops_what_it_started(tmp_path: Path) -> None:
    """An IDE's stop button or a process manager signals `run.py start` only, not its process group."""
    root = ROOT
    stamp = root / ".venv" / ".installed"
    if not stamp.exists():
        pytest.skip("run.py has not installed .venv here (tests run from another environment)")
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "run.log"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"PARTNERPULSE_DATA_DIR": str(data_dir), "COLUMNS": "80"}
    process = subprocess.Popen(
        [sys.executable, str(root / "run.py"), "start", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_banner(process, log)
        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "embedded PostgreSQL still running"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def child_pids(parent: int, needle: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and needle in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_dev_stops_everything_and_fails_when_a_process_dies(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "dev.log"
    process = start_dev(data_dir, port, log)
    try:
        wait_for_banner(process, log)
        [worker] = child_pids(process.pid, "partnerpulse worker")
        os.kill(worker, signal.SIGKILL)
        assert process.wait(60) == 1, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert "a process exited; stopping" in log.read_text()
    assert not (data_dir / "postgres" / "postmaster.pid").exists(), "embedded PostgreSQL still running"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A command as a user types it in the folder where `run.py start` runs: no DATABASE_URL or REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"PARTNERPULSE_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "partnerpulse", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_the_command_line_finds_the_running_start_and_a_second_start_is_refused(tmp_path: Path) -> None:
    data_dir, port, log = tmp_path / "data", free_port(), tmp_path / "dev.log"
    process = start_dev(data_dir, port, log)
    try:
        output = wait_for_banner(process, log)
        shown = dict(re.findall(r"^  (\w+) \(token (\d+)\)", output, re.MULTILINE))
        assert set(shown) == {"admin", "member", "moderator"}, output

        # doctor and worker --check reach the embedded Redis (on a port chosen at start) without any setting
        deadline = time.monotonic() + 30
        while (doctor := cli(data_dir, "doctor")).returncode != 0 and time.monotonic() < deadline:
            time.sleep(1)  # the worker's first heartbeat
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        assert (
            "✓ configuration: PostgreSQL at " in doctor.stdout
            and "✓ redis" in doctor.stdout
            and "✓ worker: alive" in doctor.stdout
        )
        assert cli(data_dir, "worker", "--check").returncode == 0

        listed = cli(data_dir, "token", "list")
        assert listed.returncode == 0, listed.stderr
        header, *lines = listed.stdout.splitlines()
        assert header.split() == ["id", "label", "organization", "created", "last", "used", "revoked"]
        by_id = {line.split()[0]: line for line in lines}
        assert "demo admin" in by_id[shown["admin"]] and "admin (whole network)" in by_id[shown["admin"]]
        assert "demo member" in by_id[shown["member"]] and "never" in by_id[shown["member"]]
        assert cli(data_dir, "token", "revoke", shown["member"]).returncode == 0
        assert shown["member"] not in {line.split()[0] for line in cli(data_dir, "token", "list").stdout.splitlines()}
        revoked = {line.split()[0]: line for line in cli(data_dir, "token", "list", "--all").stdout.splitlines()}
        assert revoked[shown["member"]].rstrip().endswith("UTC") and shown["admin"] in revoked

        second = subprocess.run(
            [sys.executable, "-m", "partnerpulse", "dev", "--port", str(free_port())],
            env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
            | {"PARTNERPULSE_DATA_DIR": str(data_dir)},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        message = " ".join(second.stderr.split())
        assert "already running from this folder" in message and f"http://127.0.0.1:{port}" in message, message
        assert "Traceback" not in second.stderr and "starting" not in second.stderr
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200  # the first runs on
    finally:
        assert stop(process) == 0, log.read_text()
    assert not (data_dir / "servers.json").exists()
    # nothing runs now: one line saying how to start it, not a traceback
    check = cli(data_dir, "worker", "--check")
    assert check.returncode == 2 and "python3 run.py start" in check.stderr and "Traceback" not in check.stderr
