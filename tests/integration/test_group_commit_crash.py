"""A ``counterparty serve`` killed with SIGKILL while many clients register partners loses nothing
it answered 2xx and duplicates nothing: group commit answers a command only after the
transaction holding its events committed, and a batch is all or nothing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from aggregates.code_claim import CodeClaimed
from aggregates.number_series import NumberDrawn, NumberSeries
from aggregates.partner_details import PartnerRegistered
from commands.partners import RegisterPartner, register_partner
from services.bootstrap.container import Container
from tests.conftest import ADMIN_KEY, CLOCK_START, open_container

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
KILL_AFTER = 60  # answered registrations before the kill


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(container: Container, port: int) -> subprocess.Popen[bytes]:
    settings = container.settings
    env = {
        **os.environ,
        "CPTY_DATA_DIR": str(settings.data_dir),
        "CPTY_ADMIN_KEY": ADMIN_KEY,
        "CPTY_CLOCK": "manual",
        "CPTY_CLOCK_START": CLOCK_START,
        "CPTY_LOG_LEVEL": "WARNING",
    }
    if settings.database_url:
        env["CPTY_DATABASE_URL"] = settings.database_url
    code = "from services.cli.main import app; app()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        assert server.poll() is None, "the server exited"
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the server did not start")


def test_a_server_killed_under_concurrent_load_keeps_every_answered_registration_once(container: Container) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = serve(container, port)
    answered: dict[str, dict[str, Any]] = {}  # name -> the 201 body
    lock = threading.Lock()
    enough = threading.Event()

    def client(t: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30) as http:
            n = 0
            while True:
                name = f"crash {t}-{n}"
                n += 1
                try:
                    response = http.post("/v1/partners", json={"name": name})
                except httpx.HTTPError:
                    return  # the server is gone
                assert response.status_code == 201, response.text
                with lock:
                    answered[name] = response.json()
                    if len(answered) >= KILL_AFTER:
                        enough.set()

    try:
        wait_until_up(base, server)
        threads = [threading.Thread(target=client, args=(t,)) for t in range(CLIENTS)]
        for t in threads:
            t.start()
        assert enough.wait(300), "the clients got no answers"
        server.send_signal(signal.SIGKILL)  # mid-load: requests are in every stage
        server.wait(30)
        for t in threads:
            t.join(60)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(30)

    after = open_container(container.settings)  # what a restarted process finds
    try:
        logged = [e.event for e in after.store.iterate()]
        partners = [e for e in logged if isinstance(e, PartnerRegistered)]
        by_name = Counter(e.details.name for e in partners)
        assert [name for name, times in by_name.items() if times > 1] == []
        codes = {e.details.name: (str(e.originator_id), e.code) for e in partners}
        for name, body in answered.items():
            assert codes.get(name) == (body["id"], body["code"]), name
        # Whole commands only: every partner has its claim and its drawn number, nothing else.
        claims = {e.code: e.owner for e in logged if isinstance(e, CodeClaimed)}
        assert {code: str(owner) for code, owner in claims.items()} == {c: i for i, c in codes.values()}
        series = NumberSeries.id_for("partner")
        drawn = [e for e in logged if isinstance(e, NumberDrawn) and e.originator_id == series]
        assert len(drawn) == len(partners) >= KILL_AFTER
        versions = [e.originator_version for e in after.store.stream(series)]
        assert versions == list(range(1, len(versions) + 1))
        # The restarted process goes on from there: the next number is a new one.
        result = after.execute(register_partner, RegisterPartner(name="after the crash"))
        code = after.store.get(result.id).code  # type: ignore[arg-type, attr-defined]
        assert code not in claims and code == f"CU2601-{len(partners) + 1:04d}"
        after.runner.drain()
        assert after.runner.errors == {}
    finally:
        after.close()
