#!/usr/bin/env python3
"""The README's two commands, for a fresh machine with only Python 3.11+:

    python3 run.py start    # the whole system: embedded PostgreSQL + Redis, demo data, API, worker
    python3 run.py test     # the test suite (embedded servers, or TEST_DATABASE_URL / TEST_REDIS_URL)
    python3 run.py lint .   # ruff check, ruff format --check, mypy, the dependency rule (import-linter)

On first use it creates .venv and installs the project into it; again whenever pyproject.toml changes.
Any further arguments go to `partnerpulse dev` or `pytest`.
"""

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
COMMANDS = {"start": ["-m", "partnerpulse", "dev"], "test": ["-m", "pytest"], "lint": ["-m", "ruff", "check"]}


def ensure_environment() -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 - run.py runs under whatever python3 the user has
        sys.exit(f"PartnerPulse needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    python = BIN / ("python.exe" if os.name == "nt" else "python")
    if not python.exists():
        print("creating .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    stamp = VENV / ".installed"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        print("installing PartnerPulse and its dependencies into .venv …", flush=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
        stamp.write_text(wanted)
    return python


def lint(python: Path, paths: list[str]) -> int:
    """Every check runs, each reported on its own line, so one failure does not hide the next."""
    executable = "lint-imports.exe" if os.name == "nt" else "lint-imports"
    checks = {
        "ruff check": [str(python), "-m", "ruff", "check", *paths],
        "ruff format --check": [str(python), "-m", "ruff", "format", "--check", *paths],
        # mypy and the contracts are about the whole product ([tool.mypy] files), whatever paths were given
        "mypy": [str(python), "-m", "mypy"],
        "lint-imports": [str(BIN / executable)],
    }
    failed = []
    for name, command in checks.items():
        print(f"== {name}", flush=True)
        code = subprocess.run(command, cwd=ROOT).returncode
        print(f"== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'}", flush=True)
        if code:
            failed.append(name)
    print(f"lint: {'FAILED: ' + ', '.join(failed) if failed else 'all checks passed'}")
    return 1 if failed else 0


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(__doc__)
        return 2
    python = ensure_environment()
    if sys.argv[1] == "lint":
        return lint(python, sys.argv[2:] or ["."])
    command = [str(python), *COMMANDS[sys.argv[1]], *sys.argv[2:]]
    child = subprocess.Popen(command, cwd=ROOT)
    # A terminal's Ctrl-C reaches the child anyway; a SIGTERM or SIGINT sent to run.py alone (an IDE's stop
    # button, a process manager) is passed on, so the child stops its servers instead of being orphaned.
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda received, _frame: child.send_signal(received))
    code = child.wait()
    return 128 - code if code < 0 else code  # killed by a signal: the shell's convention


if __name__ == "__main__":
    sys.exit(main())
