"""One master key per deployment: a process whose master key does not open the data keys in the
database (another host's ``master.key``, a wrong ``CPTY_MASTER_KEY``) refuses to start."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from commands.partners import RegisterPartner, register_partner
from services.adapters.personal_data import KEY_FILE
from tests.conftest import make_settings, open_container


def test_a_process_with_another_master_key_refuses_to_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from services.adapters import logs
    from services.cli.main import app

    container = open_container(make_settings(tmp_path))
    try:  # a person: its data key is wrapped with the data directory's master.key
        container.execute(register_partner, RegisterPartner(name="Jane Doe", kind="person", code="JD"))
    finally:
        container.close()
    data_dir = tmp_path / "data"
    own = (data_dir / KEY_FILE).read_text().strip()
    monkeypatch.setattr(logs, "configure", lambda level: None)

    def status(master_key: str) -> Any:
        env = {"CPTY_DATA_DIR": str(data_dir), "CPTY_CLOCK": "manual", "CPTY_DATABASE_URL": None}
        return CliRunner().invoke(app, ["projections", "status"], env={**env, "CPTY_MASTER_KEY": master_key})

    other = status(base64.b64encode(os.urandom(32)).decode())
    assert other.exit_code == 1 and other.stdout == ""
    assert other.stderr.count("\n") == 1 and "start every process with the same CPTY_MASTER_KEY" in other.stderr
    assert status(own).exit_code == 0
