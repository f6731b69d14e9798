"""The command line, run as a user would: its help, keys (create, list, revoke), projection status
and rebuild, replay --verify."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def every_command() -> list[tuple[list[str], Any]]:
    """Each command and group of the CLI with its path, found by walking the tree (so a command
    added later is checked too)."""
    import typer

    from services.cli.main import app

    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append((path, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


def test_every_command_has_plain_help_with_named_values() -> None:
    from typer.testing import CliRunner

    from services.cli.main import app

    commands = every_command()
    assert {" ".join(path) for path, _ in commands} >= {"serve", "demo", "bench", "simulate", "keys create"}
    for args, command in commands:
        result = CliRunner().invoke(app, [*args, "--help"], prog_name="counterparty", env={"COLUMNS": "80"})
        assert result.exit_code == 0, (args, result.output)
        lines = result.output.splitlines()
        assert lines[0].startswith(" ".join(["Usage: counterparty", *args]) + " ["), (args, lines[0])
        # A flag takes no value and a value is named by what it is: never <bool>, <str> or {NAME}.
        named = [lines[0]] + [line for line in lines if re.match(r"  (-|[A-Z][A-Z_:-]*  )", line)]
        assert not re.search(r"[<>{}]", "\n".join(named)), (args, result.output)
        assert any(line.startswith("  --help ") for line in lines), (args, result.output)
        # One line says what it does, whole, in the listing of its group.
        if args:
            short = command.get_short_help_str(limit=50)
            assert short and len(short) <= 50 and not short.endswith("..."), (args, short)
            assert re.search(rf"^  {re.escape(args[-1])} +{re.escape(short)}$", parent_listing(args), re.M), args
    serve = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "80"}).output
    assert "--port PORT" in serve and "CPTY_PORT" in serve
    rebuild = CliRunner().invoke(app, ["projections", "rebuild", "--help"], prog_name="counterparty").output
    assert rebuild.startswith("Usage: counterparty projections rebuild [OPTIONS] NAME\n")


def parent_listing(args: list[str]) -> str:
    from typer.testing import CliRunner

    from services.cli.main import app

    return CliRunner().invoke(app, [*args[:-1], "--help"], prog_name="counterparty", env={"COLUMNS": "80"}).output


def test_keys_create_list_and_revoke(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from services.adapters import logs
    from services.cli.main import app

    # In this process: the command's log set-up would take the test run's handlers away.
    monkeypatch.setattr(logs, "configure", lambda level: None)
    env = {"CPTY_DATA_DIR": str(data_dir), "CPTY_CLOCK": "manual", "CPTY_DATABASE_URL": None}

    def cli(*args: str) -> Any:
        return CliRunner().invoke(app, list(args), env=env, prog_name="counterparty")

    result = cli("keys", "create", "--name", "shop", "--role", "clerk")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip()
    assert key.startswith("cpty_") and len(key) > 30
    assert cli("keys", "create", "--name", "x", "--role", "boss").exit_code == 2
    bad_name = cli("keys", "create", "--name", "two words", "--role", "clerk")
    assert bad_name.exit_code == 2 and bad_name.stderr == "name: String should match pattern '^[A-Za-z0-9_.@-]+$'\n"

    # A name in use: one line saying what to do, no traceback.
    again = cli("keys", "create", "--name", "shop", "--role", "admin")
    assert again.exit_code == 1 and again.stdout == ""
    assert again.stderr == "an API key named shop exists; revoke it first (`counterparty keys revoke shop`)\n"

    def listed() -> list[list[str]]:
        out = cli("keys", "list")
        assert out.exit_code == 0, out.output
        return [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.stdout.splitlines() if "│" in line]

    assert listed() == [["shop", "clerk", "live"]]

    from tests.conftest import http_client

    container = open_container(make_settings(tmp_path))
    try:
        with http_client(container) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            assert client.get("/v1/partners").status_code == 200
            assert client.get("/v1/audit/events").status_code == 403
            revoked = cli("keys", "revoke", "shop")
            assert revoked.exit_code == 0 and revoked.stderr == "API key shop revoked\n"
            assert client.get("/v1/partners").status_code == 401
    finally:
        container.close()
    assert listed() == [["shop", "clerk", "revoked"]]
    unknown = cli("keys", "revoke", "nobody")
    assert unknown.exit_code == 1 and unknown.stderr == "API key nobody not found\n"
    # A revoked name can be issued again, with another role.
    assert cli("keys", "create", "--name", "shop", "--role", "analyst").exit_code == 0
    assert listed() == [["shop", "analyst", "live"]]


def test_projection_status_rebuild_and_replay_verify(data_dir: Path) -> None:
    status = run(data_dir, "projections", "status")
    assert status.returncode == 0, status.stderr
    assert "partner_directory" in status.stdout and "live" in status.stdout
    assert run(data_dir, "projections", "rebuild", "nonexistent").returncode == 2
    rebuilt = run(data_dir, "projections", "rebuild", "partner_directory")
    assert rebuilt.returncode == 0, rebuilt.stderr
    rows = {
        (cells[1].strip(), cells[2].strip()): cells[3].strip()
        for line in run(data_dir, "projections", "status").stdout.splitlines()
        if (cells := line.split("│")) and len(cells) > 4
    }
    assert rows[("partner_directory", "read_model")] == "2" and rows[("users", "read_model")] == "1"
    # The collection read model and the collection process manager, told apart by their kind.
    assert rows[("collection", "read_model")] == "1" and rows[("collection", "process")] == "-"
    verified = run(data_dir, "replay", "--verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "read models match the log" in verified.stdout + verified.stderr
    assert run(data_dir, "replay").returncode == 0
