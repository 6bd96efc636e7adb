"""Real API and worker processes, started with the CLI and stopped with signals (tests and benchmarks)."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from partnerpulse.embedded import free_port
from partnerpulse.settings import Settings


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path, ready: Callable[["Process"], bool]) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "partnerpulse", *args],
            env={**os.environ, **env},
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_until(lambda: self._alive() and ready(self), timeout=30, what=f"{args[0]} to start")

    def _alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the process exited with {self.process.returncode}:\n{self.output()}")
        return True

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(condition: Callable[[], object], timeout: float = 20, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def environment(settings: Settings, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "PARTNERPULSE_REDIS_NAMESPACE": settings.redis_namespace,
        "PARTNERPULSE_RATE_LIMITS": str(settings.rate_limits).lower(),
        "PARTNERPULSE_LOG_FORMAT": "json",
        **extra,
    }


def start_worker(settings: Settings, log: Path, **extra: str) -> Process:
    return Process(
        ["worker"],
        environment(settings, **extra),
        log,
        ready=lambda p: '"worker started"' in p.output(),
    )


def start_api(settings: Settings, log: Path, workers: int = 1, **extra: str) -> tuple[Process, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"

    def answers(p: Process) -> bool:
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    command = ["serve", "--port", str(port), "--workers", str(workers)]
    return Process(command, environment(settings, **extra), log, answers), url
