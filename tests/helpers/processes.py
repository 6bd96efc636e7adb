"""An API process of its own, for tests that need one at a known port beside the in-process app."""

from pathlib import Path

import httpx

from bench.processes import Process, environment
from partnerpulse.settings import Settings


def start_api_at(settings: Settings, log: Path, port: int, env: dict[str, str]) -> Process:
    def answers(process: Process) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    return Process(["serve", "--port", str(port)], environment(settings, **env), log, answers)
