"""``counterparty bench``: the keep-alive clients of the ``http`` group, its scenario against the
real app, and ``--plot``. No timing is asserted: only what was sent, answered and drawn."""

from __future__ import annotations

import json
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from rich.console import Console
from typer.testing import CliRunner

from aggregates.partner_details import PartnerRegistered
from aggregates.payment import PaymentReceived
from aggregates.sales_document_events import DocumentIssued
from services.api.app import create_app
from services.bootstrap.container import Container
from services.cli.bench.common import Sizes, progress_bar
from services.cli.bench.confirmations import bench_confirmations
from services.cli.bench.http import PARTNERS, WARM_UP, exercise, free_port
from services.cli.bench.load import KEPT_ERRORS, drive, expect
from services.cli.bench.targets import SqliteTarget
from services.cli.main import app
from tests.conftest import ADMIN_KEY


class Counting(BaseHTTPRequestHandler):
    """Answers /ok with 200 and /fail with 503, keeping connections alive, and counts both."""

    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    connections = 0
    answered: dict[str, int] = {}

    def setup(self) -> None:
        super().setup()
        with self.lock:
            type(self).connections += 1

    def do_GET(self) -> None:
        status = 200 if self.path == "/ok" else 503
        with self.lock:
            self.answered[self.path] = self.answered.get(self.path, 0) + 1
        body = json.dumps({"path": self.path}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def counting_server() -> Iterator[str]:
    Counting.connections = 0
    Counting.answered = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def every_fifth_fails(client: httpx.Client, i: int) -> None:
    assert expect(client.get("/ok" if i % 5 else "/fail"), 200) == {"path": "/ok"}


def test_clients_keep_one_connection_each_and_count_what_failed(counting_server: str) -> None:
    load = drive(counting_server, every_fifth_fails, clients=3, seconds=1.0, limit=100_000)

    assert load.done == Counting.answered["/ok"] and load.failed == Counting.answered["/fail"]
    assert load.done > 0 and load.failed > 0
    assert Counting.connections == 3
    assert len(load.errors) == min(KEPT_ERRORS, load.failed)
    assert load.errors[0] == 'GET /fail answered 503: {"path": "/fail"}'
    assert load.latencies == sorted(load.latencies) and len(load.latencies) == load.done
    summary = load.summary()
    assert summary["clients"] == 3 and summary["failed"] == load.failed
    assert 0 < summary["p50_ms"] <= summary["p95_ms"] <= summary["p99_ms"] <= summary["max_ms"]


def test_a_load_stops_at_its_limit(counting_server: str) -> None:
    load = drive(counting_server, every_fifth_fails, clients=4, seconds=30, limit=11)

    assert (load.done, load.failed) == (8, 3)  # operations 0, 5 and 10 ask for /fail
    assert sum(Counting.answered.values()) == 11


@pytest.fixture
def served_app(sqlite_container: Container) -> Iterator[str]:
    """The API of a fresh SQLite store, served by uvicorn on 127.0.0.1 in this process."""
    app = create_app(sqlite_container)
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield f"http://127.0.0.1:{config.port}"
    server.should_exit = True
    thread.join(10)


def test_the_http_scenario_records_what_it_counts(served_app: str, sqlite_container: Container) -> None:
    measured = exercise(served_app, (1, 2), seconds=0.3, limit=4, key=ADMIN_KEY)

    assert [(m.label, m.load.clients) for m in measured] == [
        (label, n)
        for label in (PARTNERS, "draft + issue invoice", "POST /v1/payments", "GET /v1/partners/{id}/profile")
        for n in (1, 2)
    ]
    assert all(m.load.failed == 0 and m.load.done >= 1 for m in measured)
    done = {
        label: WARM_UP + sum(m.load.done for m in measured if m.label == label) for label in {m.label for m in measured}
    }
    recorded: dict[type, int] = {}
    for logged in sqlite_container.store.read(0, 100_000):
        recorded[type(logged.event)] = recorded.get(type(logged.event), 0) + 1
    assert recorded[PartnerRegistered] == done[PARTNERS]
    assert recorded[DocumentIssued] == done["draft + issue invoice"]
    assert recorded[PaymentReceived] == done["POST /v1/payments"]


def test_the_confirmations_group_sends_each_partner_one_and_a_second_request_nothing(tmp_path: Path) -> None:
    sizes = Sizes(commands=1, http=1, log_events=1, confirmation_partners=30)
    with progress_bar(Console(quiet=True)) as bar:
        series, sent, raw, rerun = bench_confirmations(SqliteTarget(tmp_path), sizes, bar)

    assert series.count == sent.count == raw.count == 30 and series.unit == "s"
    assert series.extra["batches"] == 1 and series.extra["events"] > 30
    assert sent.baseline == raw.measurement and sent.ratio == sent.value / raw.value
    assert (rerun.value, rerun.extra["sent"], rerun.extra["completed"]) == (0, 30, True)


def figure(backend: str, measurement: str, value: float, unit: str, **extra: Any) -> dict[str, Any]:
    return {
        "backend": backend,
        "measurement": measurement,
        "value": value,
        "unit": unit,
        "count": extra.pop("count", 0),
        "seconds": extra.pop("seconds", 0.0),
        "extra": extra,
    }


def small_results() -> dict[str, Any]:
    figures = []
    for backend, base in (("sqlite", 70.0), ("postgres", 23.0)):
        for clients, factor in ((1, 1.0), (8, 1.3), (32, 1.4)):
            for operation, unit in ((PARTNERS, "requests/s"), ("draft + issue invoice", "invoices/s")):
                name = f"HTTP {operation}, {clients} clients"
                extra = {
                    "operation": operation,
                    "clients": clients,
                    "p95_ms": 20.0,
                    "failed": 3 if clients == 32 else 0,
                }
                figures.append(figure(backend, name, base * factor, unit, **extra))
        figures.append(
            figure(backend, "rebuild all read models (log ev/s)", 1000.0, "events/s", count=10_000, seconds=10.0)
        )
        figures.append(figure(backend, "rebuild all, 1M-event log (est.)", 16.7, "minutes"))
        for invoices, seconds in ((1_000, 1.3), (5_000, 4.6)):
            figures.append(
                figure(
                    backend, f"collection run, {invoices:,} inv", seconds, "s/run", invoices=invoices, cpu_s=seconds / 2
                )
            )
    machine = {"cpus": 2, "load_average_at_start": [2.5, 2, 1], "load_average_at_end": [3.1, 2, 1]}
    return {"mode": "quick", "finished_at": "2026-12-05T08:00:00+00:00", "machine": machine, "figures": figures}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_plot_writes_the_charts_next_to_the_results(tmp_path: Path) -> None:
    (tmp_path / "bench-results.json").write_text(json.dumps(small_results()))
    env = {"CPTY_DATA_DIR": str(tmp_path)}

    result = CliRunner().invoke(app, ["bench", "--plot"], env=env)

    assert result.exit_code == 0, result.output
    assert png_size(tmp_path / "bench-throughput.png") == (1210, 935)
    assert png_size(tmp_path / "bench-rebuild.png") == (990, 660)
    assert png_size(tmp_path / "bench-collection.png") == (990, 660)
    refused = CliRunner().invoke(app, ["bench", "--plot", "--quick"], env=env)
    assert refused.exit_code == 2 and "measures nothing" in refused.output
