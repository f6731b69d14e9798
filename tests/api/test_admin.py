"""/v1/admin/projections: status of every read model and process manager, and rebuilds."""

from __future__ import annotations

import multiprocessing
import threading
from typing import Any

import pytest

from services.adapters.rebuild_locks import RebuildLocks
from services.settings import Settings
from tests.api.helpers import assert_problem, create_groups, create_partner, role_headers


def wait_for_rebuild(name: str) -> None:
    for thread in threading.enumerate():
        if thread.name == f"rebuild-{name}":
            thread.join(timeout=60)
            assert not thread.is_alive(), "the rebuild did not finish"


@pytest.mark.postgres
def test_every_projection_is_listed_with_position_lag_and_status(client: Any) -> None:
    container = client.app.state.container
    created = client.post("/v1/partners", json={"name": "Acme"})
    head = int(created.headers["X-Position"])
    response = client.get("/v1/admin/projections")
    assert response.status_code == 200
    listed = response.json()
    expected = [
        *((name, "read_model") for name in container.catalog.projections),
        *((r.name, "process") for r in container.runner.reactors),
    ]
    assert [(p["name"], p["kind"]) for p in listed] == expected
    for name in (
        "partner_directory",
        "partner_groups",
        "users",
        "custom_fields",
        "api_keys",
        "timeline",
        "audit_index",
    ):
        assert (name, "read_model") in expected
    for p in listed:
        assert p == {
            "name": p["name"],
            "kind": p["kind"],
            "position": head,
            "lag": 0,
            "status": "live",
            "error": None,
            "failures": 0,
        }


def test_lag_shows_events_not_yet_projected(client: Any) -> None:
    first = client.post("/v1/partners", json={"name": "Acme"})
    head = int(first.headers["X-Position"])
    later = client.post("/v1/partners", json={"name": "Later"}, headers={"Prefer": "respond-async"})
    new_head = int(later.headers["X-Position"])
    assert new_head > head
    directory = next(p for p in client.get("/v1/admin/projections").json() if p["name"] == "partner_directory")
    # Nothing drives the runner in the tests until someone waits for a position.
    assert directory == {
        "name": "partner_directory",
        "kind": "read_model",
        "position": head,
        "lag": new_head - head,
        "status": "catching_up",
        "error": None,
        "failures": 0,
    }
    client.get("/v1/partners", headers={"X-Min-Position": str(new_head)})
    directory = next(p for p in client.get("/v1/admin/projections").json() if p["name"] == "partner_directory")
    assert directory["lag"] == 0
    assert directory["status"] == "live"


@pytest.mark.postgres
def test_rebuild_answers_202_and_the_directory_answers_the_same_afterwards(client: Any) -> None:
    container = client.app.state.container
    create_partner(client, name="Bravo", code="B", tags=["x"], credit_limit="100")
    create_groups(client, "G1")
    create_partner(client, name="Alpha", code="A", group="G1")
    client.post("/v1/partners/B/contacts", json={"name": "Jan"})
    client.post("/v1/partners/A/credit-hold", json={"reason": "late"})
    create_partner(client, name="Gone", code="GONE")
    client.post("/v1/partners/B/merge", json={"absorb": ["GONE"]})
    before_list = client.get("/v1/partners").json()
    before_csv = client.get("/v1/partners/export.csv").text
    before_one = client.get("/v1/partners/GONE").json()
    before_filtered = client.get("/v1/partners?credit_status=stop").json()
    version = container.catalog.version("partner_directory")

    response = client.post("/v1/admin/projections/partner_directory/rebuild")
    assert response.status_code == 202
    assert response.json() == {"name": "partner_directory", "status": "rebuilding"}
    wait_for_rebuild("partner_directory")

    assert container.catalog.version("partner_directory") == version + 1
    assert client.get("/v1/partners").json() == before_list
    assert client.get("/v1/partners/export.csv").text == before_csv
    assert client.get("/v1/partners/GONE").json() == before_one
    assert client.get("/v1/partners?credit_status=stop").json() == before_filtered
    # The rebuilt read model is the live one: new events reach it.
    create_partner(client, name="After", code="AFTER")
    assert [p["code"] for p in client.get("/v1/partners").json()["items"]] == [
        "AFTER",
        "A",
        "B",
    ]  # by name: After, Alpha, Bravo
    status = next(p for p in client.get("/v1/admin/projections").json() if p["name"] == "partner_directory")
    assert status["lag"] == 0
    assert status["status"] == "live"


def test_rebuild_of_the_timeline_keeps_it(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="T", code="T")
    sqlite_client.post("/v1/partners/T/notes", json={"text": "hello"})
    before = sqlite_client.get("/v1/partners/T/timeline").json()
    assert sqlite_client.post("/v1/admin/projections/timeline/rebuild").status_code == 202
    wait_for_rebuild("timeline")
    assert sqlite_client.get("/v1/partners/T/timeline").json() == before


def test_rebuild_of_an_unknown_projection_is_404_and_needs_admin(sqlite_client: Any) -> None:
    assert_problem(sqlite_client.post("/v1/admin/projections/nothing/rebuild"), 404, "not_found")
    analyst = role_headers(sqlite_client, "analyst")
    assert sqlite_client.get("/v1/admin/projections", headers=analyst).status_code == 200
    assert_problem(
        sqlite_client.post("/v1/admin/projections/partner_directory/rebuild", headers=analyst), 403, "forbidden"
    )


def test_a_second_rebuild_of_a_read_model_being_rebuilt_is_409(
    sqlite_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = sqlite_client.app.state.container.runner
    release = threading.Event()
    rebuilt: list[str] = []

    def slow_rebuild(name: str) -> int:
        release.wait(10)
        rebuilt.append(name)
        return 0

    monkeypatch.setattr(runner, "rebuild", slow_rebuild)
    assert sqlite_client.post("/v1/admin/projections/timeline/rebuild").status_code == 202
    response = sqlite_client.post("/v1/admin/projections/timeline/rebuild")
    body = assert_problem(response, 409, "rebuild_running")
    assert body["detail"] == "timeline is being rebuilt"
    assert sqlite_client.post("/v1/admin/projections/documents/rebuild").status_code == 202
    release.set()
    wait_for_rebuild("timeline")
    wait_for_rebuild("documents")
    assert sorted(rebuilt) == ["documents", "timeline"]
    assert sqlite_client.post("/v1/admin/projections/timeline/rebuild").status_code == 202
    wait_for_rebuild("timeline")


def _rebuild_elsewhere(settings: Settings, name: str, started: Any, finish: Any) -> None:
    """Another process of the deployment, rebuilding ``name`` until told to finish."""
    lock = RebuildLocks(settings.event_store_url, settings.data_dir).take(name)
    assert lock is not None
    started.set()
    finish.wait(30)
    lock.release()


@pytest.mark.postgres
def test_a_rebuild_in_another_process_makes_a_second_one_409(client: Any, settings: Settings) -> None:
    """One advisory lock per read model on PostgreSQL, one file lock per read model on SQLite."""
    processes = multiprocessing.get_context("fork")
    started, finish = processes.Event(), processes.Event()
    other = processes.Process(target=_rebuild_elsewhere, args=(settings, "timeline", started, finish))
    other.start()
    try:
        assert started.wait(30)
        refused = client.post("/v1/admin/projections/timeline/rebuild")
        assert assert_problem(refused, 409, "rebuild_running")["detail"] == "timeline is being rebuilt"
        assert client.post("/v1/admin/projections/users/rebuild").status_code == 202
        wait_for_rebuild("users")
    finally:
        finish.set()
        other.join(30)
    assert other.exitcode == 0
    assert client.post("/v1/admin/projections/timeline/rebuild").status_code == 202
    wait_for_rebuild("timeline")
    statuses = {(p["name"], p["kind"]): p["status"] for p in client.get("/v1/admin/projections").json()}
    assert statuses[("timeline", "read_model")] == statuses[("users", "read_model")] == "live"


def test_a_read_model_and_a_process_manager_of_one_name_are_told_apart_by_kind(sqlite_client: Any) -> None:
    listed = sqlite_client.get("/v1/admin/projections").json()
    kinds = {name: sorted(p["kind"] for p in listed if p["name"] == name) for name in {p["name"] for p in listed}}
    for name in ("collection", "requests", "recurring_invoices"):
        assert kinds[name] == ["process", "read_model"], name
    assert kinds["partner_directory"] == ["read_model"]
    assert kinds["sales"] == ["process"]
