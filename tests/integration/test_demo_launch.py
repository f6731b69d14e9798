"""The demo as a newcomer meets it: a busy port refused at once in one line, the port chosen by
--port, CPTY_PORT or `make demo PORT=`, calls to try that paste from an 80-column terminal, and
`serve` after `demo` serving the same data with the demo's key and manual clock."""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.cli.demo.banner import TRIES, banner
from services.cli.launch import load_settings, port_in_use

CLI = str(Path(sys.executable).with_name("counterparty"))
ROOT = Path(__file__).resolve().parents[2]


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPTY_")}
    return {**env, "CPTY_DATA_DIR": str(data_dir), "CPTY_LOG_LEVEL": "WARNING", **extra}


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_busy_port_is_refused_before_anything_is_loaded(busy_port: int, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert port_in_use("127.0.0.1", busy_port) == f"port {busy_port} on 127.0.0.1 is already in use"
    assert port_in_use("127.0.0.1", free_port()) is None
    for args, env in (
        (["demo", "--port", str(busy_port)], {}),
        (["serve"], {"CPTY_PORT": str(busy_port)}),
    ):
        result = subprocess.run([CLI, *args], env=env_for(data, **env), capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"port {busy_port} on 127.0.0.1 is already in use: ")
        assert f"PORT={busy_port + 1}" in line and f"CPTY_PORT={busy_port + 1}" in line
        assert not (data / "counterparty.db").exists(), "nothing loaded"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_passes_the_port_through() -> None:
    def planned(*args: str) -> list[str]:
        out = subprocess.run(["make", "-n", *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
        return [line.strip() for line in out.stdout.splitlines() if "counterparty " in line]

    assert planned("demo", "PORT=8001") == [".venv/bin/counterparty demo --port 8001"]
    assert planned("serve", "PORT=8001") == [".venv/bin/counterparty serve --port 8001"]
    assert planned("serve") == [".venv/bin/counterparty serve"]


def test_the_calls_to_try_paste_from_an_80_column_terminal() -> None:
    text = banner(
        "30 partners",
        "http://127.0.0.1:8001",
        "demo-admin-key",
        ("CU2601-0007", "Sabine Hoffmann", "portal_" + "x" * 43),
        Path("counterparty-data/demo.env"),
    )
    lines = text.splitlines()
    assert "http://127.0.0.1:8001/portal/?token=portal_" + "x" * 43 in lines, "the link alone on its line"
    assert "To serve these data again: make serve (it reads counterparty-data/demo.env)" in lines
    calls = text.split("Try:\n", 1)[1].strip().split("\n\n")
    assert len(calls) == len(TRIES) == 6
    for call, path in zip(calls, TRIES, strict=True):
        assert all(len(line) < 80 for line in call.splitlines()), call
        assert all(line.endswith(" \\") for line in call.splitlines()[:-1]), call
        # What the shell runs once the continuations are joined.
        assert shlex.split(call.replace("\\\n", " ")) == [
            "curl",
            "-H",
            "Authorization: Bearer demo-admin-key",
            f"http://127.0.0.1:8001{path}",
        ]


def test_the_demo_settings_are_read_and_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.startswith("CPTY_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("CPTY_DATA_DIR", str(tmp_path))
    assert load_settings().clock == "system" and load_settings().admin_key is None
    (tmp_path / "demo.env").write_text("CPTY_CLOCK=manual\nCPTY_ADMIN_KEY=demo-admin-key\nCPTY_PORT=8002\n")
    settings = load_settings()
    assert (settings.clock, settings.admin_key, settings.port) == ("manual", "demo-admin-key", 8002)
    assert settings.public_url == "http://127.0.0.1:8002"
    assert load_settings(port=8003).public_url == "http://127.0.0.1:8003"
    monkeypatch.setenv("CPTY_ADMIN_KEY", "mine")
    assert load_settings().admin_key == "mine"


def test_serve_after_demo_serves_its_data_with_its_key_and_clock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    demo = subprocess.run(
        [CLI, "demo", "--no-serve", "--partners", "5", "--days", "0"],
        env=env_for(data),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stderr
    assert f"To serve these data again: make serve (it reads {data / 'demo.env'})" in demo.stdout
    assert "CPTY_CLOCK=manual" in (data / "demo.env").read_text()

    port = free_port()
    server = subprocess.Popen(
        [CLI, "serve", "--port", str(port)], env=env_for(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    assert server.stderr is not None
                    pytest.fail(f"serve did not start: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.2)
        clock = httpx.get(f"{base}/v1/clock", headers={"Authorization": "Bearer demo-admin-key"}, timeout=10)
        assert clock.status_code == 200, clock.text
        # The demo's clock stays where the demo left it (manual; the partners chapter of a zero-day
        # year ends some days past the wall clock's today).
        demo_end = demo.stdout.split("clock moved", 1)[1].split("→ ", 1)[1][:10]
        assert clock.json()["mode"] == "manual" and clock.json()["today"] == demo_end
    finally:
        server.terminate()
        server.wait(timeout=30)
        assert server.stderr is not None
        server.stderr.close()
