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
    root = Path(__file__).resolve().parent.parent
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
