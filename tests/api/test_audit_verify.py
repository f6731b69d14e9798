"""GET /v1/audit/verify: contiguous versions per stream and a hash chain over the log, on both
stores; tampering with the SQLite file shows up as a problem or as a different chain head."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from services.bootstrap.container import Container
from tests.api.helpers import create_partner


def verify(client: Any) -> dict[str, Any]:
    response = client.get("/v1/audit/verify")
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.postgres
def test_an_untouched_log_verifies_with_a_stable_head(client: Any) -> None:
    p = create_partner(client, name="Chained", code="CHN")
    assert client.patch(f"/v1/partners/{p['id']}", json={"name": "Chained Ltd"}).status_code == 200
    head = client.get("/v1/audit/events", params={"limit": 1000}).json()["items"][-1]["position"]
    first = verify(client)
    assert first["ok"] is True
    assert first["problems"] == []
    assert first["events"] == 3  # registered, code claimed, renamed
    assert first["streams"] == 2
    assert first["head"]["position"] == head
    assert len(first["head"]["hash"]) == 64
    assert verify(client)["head"] == first["head"]
    create_partner(client, name="Later", code="LTR")
    assert verify(client)["head"]["hash"] != first["head"]["hash"]


def _events_table(container: Container) -> tuple[str, str]:
    path = container.settings.event_store_url.removeprefix("sqlite:///")
    return path, container.store.app.recorder.events_table_name  # type: ignore[attr-defined]


def test_a_missing_event_breaks_the_versions_and_a_changed_one_the_chain(
    sqlite_client: Any, sqlite_container: Container
) -> None:
    p = create_partner(sqlite_client, name="Tampered", code="TMP")
    assert sqlite_client.patch(f"/v1/partners/{p['id']}", json={"name": "Tampered Ltd"}).status_code == 200
    clean = verify(sqlite_client)
    path, table = _events_table(sqlite_container)
    with sqlite3.connect(path) as db:
        db.execute(f"UPDATE {table} SET state = CAST(state || x'20' AS BLOB) WHERE originator_version = 2")
    changed = verify(sqlite_client)
    assert changed["head"]["position"] == clean["head"]["position"]
    assert changed["head"]["hash"] != clean["head"]["hash"]
    with sqlite3.connect(path) as db:
        stored_id = db.execute(f"SELECT originator_id FROM {table} WHERE rowid = 1").fetchone()[0]
        db.execute(f"DELETE FROM {table} WHERE originator_id = ? AND originator_version = 1", (stored_id,))
    broken = verify(sqlite_client)
    assert broken["ok"] is False
    assert broken["problems"] == [
        {"position": 3, "stream": p["id"], "problem": "version 2 follows version 0"},
    ]
