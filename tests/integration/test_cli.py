"""The command line, run as a user would: keys, projection status and rebuild, replay --verify."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from commands.partners import RegisterPartner, register_partner
from tests.conftest import make_settings, open_container

CLI = str(Path(sys.executable).with_name("counterparty"))


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CPTY_DATA_DIR": str(data_dir), "CPTY_CLOCK": "manual", "CPTY_LOG_LEVEL": "WARNING"}
    env.pop("CPTY_DATABASE_URL", None)
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    container = open_container(make_settings(tmp_path))
    for i in range(5):
        container.execute(register_partner, RegisterPartner(name=f"Partner {i}"))
    container.runner.drain()
    container.close()
    return tmp_path / "data"


def test_every_command_has_help() -> None:
    for args in (
        ["--help"],
        ["serve", "--help"],
        ["worker", "--help"],
        ["demo", "--help"],
        ["replay", "--help"],
        ["projections", "status", "--help"],
        ["projections", "rebuild", "--help"],
        ["keys", "create", "--help"],
        ["bench", "--help"],
    ):
        result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, (args, result.stderr)
        assert "Usage" in result.stdout


def test_keys_create_prints_a_key_that_authenticates(data_dir: Path, tmp_path: Path) -> None:
    result = run(data_dir, "keys", "create", "--name", "shop", "--role", "clerk")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert key.startswith("cpty_") and len(key) > 30
    assert run(data_dir, "keys", "create", "--name", "x", "--role", "boss").returncode == 2

    from tests.conftest import http_client

    container = open_container(make_settings(tmp_path))
    try:
        with http_client(container) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            assert client.get("/v1/partners").status_code == 200
            assert client.get("/v1/audit/events").status_code == 403
    finally:
        container.close()


def test_projection_status_rebuild_and_replay_verify(data_dir: Path) -> None:
    status = run(data_dir, "projections", "status")
    assert status.returncode == 0, status.stderr
    assert "partner_directory" in status.stdout and "live" in status.stdout
    assert run(data_dir, "projections", "rebuild", "nonexistent").returncode == 2
    rebuilt = run(data_dir, "projections", "rebuild", "partner_directory")
    assert rebuilt.returncode == 0, rebuilt.stderr
    rows = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in run(data_dir, "projections", "status").stdout.splitlines()
        if line.count("│") > 3
    }
    assert rows["partner_directory"] == "2" and rows["users"] == "1"
    verified = run(data_dir, "replay", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "read models match the log" in verified.stdout + verified.stderr
    assert run(data_dir, "replay").returncode == 0
