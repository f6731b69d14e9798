"""The production topology as real processes on loopback, for tests/integration/test_topology.py: a
fresh PostgreSQL database, ``counterparty serve`` processes with ``CPTY_ROLE=api``, ``counterparty
worker``s (each answering /readyz on a port of its own), an SMTP server (aiosmtpd) that keeps what
it receives, and the session's Kafka broker (Tansu). Every wait polls with a deadline."""

from __future__ import annotations

import email
import email.policy
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg
from aiosmtpd.controller import Controller

from tests.conftest import ADMIN_KEY, CLOCK_START, _server_url
from tests.integration.tansu import free_port

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def until(what: str, check: Callable[[], T | None], timeout: float, interval: float = 0.05) -> T:
    """Polls ``check`` until it answers something truthy; fails with ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(interval)


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._lock:
            self.received.append(parsed)
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.received)


@contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, str]]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield box, f"smtp://127.0.0.1:{controller.port}"
    finally:
        controller.stop()


@contextmanager
def fresh_database() -> Iterator[str]:
    """A database of its own on the test PostgreSQL server, dropped afterwards."""
    base = _server_url()
    name = f"cpty_topology_{secrets.token_hex(4)}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    head, _, tail = base.rpartition("/")
    query = "?" + tail.split("?", 1)[1] if "?" in tail else ""
    try:
        yield f"{head}/{name}{query}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def identity(self) -> str:
        return f"{os.uname().nodename}:{self.popen.pid}"

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def ready(self) -> dict[str, Any] | None:
        """The /readyz body, or None while the process does not answer ready."""
        assert self.alive(), f"{self.name} exited; the end of {self.log}:\n{self.tail()}"
        try:
            response = httpx.get(f"{self.base}/readyz", timeout=2)
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code == 200 else None  # type: ignore[no-any-return]


@dataclass
class Cluster:
    """The processes of one deployment; each started with the same ``env``."""

    root: Path
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    def _start(self, name: str, args: list[str], role: str) -> Process:
        port = free_port()
        log = self.root / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "services.cli.main", *args, "--port", str(port)],
                cwd=ROOT,
                env={**self.env, "CPTY_ROLE": role},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        process = Process(name, popen, port, log)
        self.processes.append(process)
        return process

    def api(self, name: str) -> Process:
        return self._start(name, ["serve"], "api")

    def worker(self, name: str) -> Process:
        return self._start(name, ["worker"], "api")  # a worker runs the jobs whatever the role says

    def wait_ready(self, *processes: Process, timeout: float = 60) -> None:
        for process in processes:
            until(f"{process.name} ready", process.ready, timeout)

    def client(self, process: Process) -> httpx.Client:
        return httpx.Client(base_url=process.base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=90)

    def leaders(self, process: Process) -> dict[str, str | None]:
        ready = until(f"{process.name} answers /readyz", process.ready, 10)
        return ready["leaders"]  # type: ignore[no-any-return]

    def led_by(self, asked: Process, leader: Process, timeout: float) -> dict[str, str | None]:
        """Waits until ``leader`` leads every family, as ``asked`` sees it (from the database)."""

        def all_led() -> dict[str, str | None] | None:
            leaders = self.leaders(asked)
            return leaders if set(leaders.values()) == {leader.identity} else None

        return until(f"{leader.name} leads every job family", all_led, timeout)

    def kill(self, process: Process) -> None:
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait(10)

    def stop(self) -> None:
        for process in self.processes:
            if process.alive():
                process.popen.send_signal(signal.SIGKILL)
        for process in self.processes:
            process.popen.wait(10)


def cluster_env(root: Path, database_url: str, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "CPTY_DATABASE_URL": database_url,
        "CPTY_DATA_DIR": str(root / "data"),
        "CPTY_ADMIN_KEY": ADMIN_KEY,
        "CPTY_CLOCK": "manual",
        "CPTY_CLOCK_START": CLOCK_START,
        "CPTY_LOG_LEVEL": "INFO",
        "CPTY_RATE_LIMIT": "1000000/second",
        "CPTY_RATE_LIMIT_ANONYMOUS": "1000000/second",
        # Four processes of a cluster share the test server's 100 connections with the other
        # test worker's databases.
        "CPTY_DB_POOL_SIZE": "2",
        **more,
    }


def run_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
