"""/v1/clock: the manual business clock and the day starts it crosses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, role_headers
from tests.conftest import http_client, make_settings, open_container


def tick(client: Any, to: str) -> dict[str, Any]:
    response = client.post("/v1/clock/ticks", json={"to": to})
    assert response.status_code == 200, response.text
    assert int(response.headers["X-Position"]) == response.json()["position"]
    return response.json()  # type: ignore[no-any-return]


def day_started_events(client: Any) -> list[str]:
    items = client.get("/v1/audit/events", params={"type": "DayStarted", "limit": 1000}).json()["items"]
    return [e["business_date"] for e in items]


def test_the_manual_clock_starts_at_its_configured_moment(sqlite_client: Any) -> None:
    client = sqlite_client
    assert client.get("/v1/clock").json() == {
        "mode": "manual",
        "now": "2026-01-15T00:00:00Z",
        "today": "2026-01-15",
        "last_day_run": None,
    }


def test_a_date_means_that_days_start_and_every_day_start_crossed_runs(client: Any) -> None:
    result = tick(client, "2026-01-17")
    # From 2026-01-15T00:00 to 2026-01-17T06:00 three day starts are crossed: the 15th's too.
    assert result["now"] == "2026-01-17T06:00:00Z"
    assert result["days_run"] == ["2026-01-15", "2026-01-16", "2026-01-17"]
    assert client.get("/v1/clock").json() == {
        "mode": "manual",
        "now": "2026-01-17T06:00:00Z",
        "today": "2026-01-17",
        "last_day_run": "2026-01-17",
    }
    assert day_started_events(client) == ["2026-01-15", "2026-01-16", "2026-01-17"]


def test_a_datetime_moves_to_that_moment(client: Any) -> None:
    before = tick(client, "2026-01-15T05:59:59Z")
    assert before["days_run"] == []
    assert before["now"] == "2026-01-15T05:59:59Z"
    at_start = tick(client, "2026-01-15T06:00:00Z")
    assert at_start["days_run"] == ["2026-01-15"]
    later = tick(client, "2026-01-19T10:30:00Z")
    assert later["now"] == "2026-01-19T10:30:00Z"
    assert later["days_run"] == ["2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19"]
    clock = client.get("/v1/clock").json()
    assert clock["today"] == "2026-01-19"
    assert clock["last_day_run"] == "2026-01-19"


def test_midnight_datetime_is_a_moment_not_a_day_start(sqlite_client: Any) -> None:
    client = sqlite_client
    result = tick(client, "2026-01-16T00:00:00Z")
    assert result["now"] == "2026-01-16T00:00:00Z"
    assert result["days_run"] == ["2026-01-15"]


def test_a_long_jump_catches_up_every_day_in_order(sqlite_client: Any) -> None:
    later = tick(sqlite_client, "2026-03-07T10:30:00Z")
    assert later["now"] == "2026-03-07T10:30:00Z"
    assert len(later["days_run"]) == 52  # 2026-01-15 .. 2026-03-07
    assert later["days_run"][0] == "2026-01-15"
    assert later["days_run"][-1] == "2026-03-07"
    assert later["days_run"] == sorted(later["days_run"])
    assert "2026-02-28" in later["days_run"] and "2026-02-29" not in later["days_run"]
    assert day_started_events(sqlite_client) == later["days_run"]
    clock = sqlite_client.get("/v1/clock").json()
    assert clock["today"] == "2026-03-07"
    assert clock["last_day_run"] == "2026-03-07"


@pytest.mark.postgres
def test_each_day_runs_once_and_in_order(client: Any) -> None:
    assert tick(client, "2026-01-16T12:00:00Z")["days_run"] == ["2026-01-15", "2026-01-16"]
    # Staying inside the day, or standing still, runs nothing again.
    assert tick(client, "2026-01-16T23:00:00Z")["days_run"] == []
    assert tick(client, "2026-01-16T23:00:00Z")["days_run"] == []
    assert tick(client, "2026-01-18")["days_run"] == ["2026-01-17", "2026-01-18"]
    days = day_started_events(client)
    assert days == ["2026-01-15", "2026-01-16", "2026-01-17", "2026-01-18"]
    positions = [e["position"] for e in client.get("/v1/audit/events", params={"type": "DayStarted"}).json()["items"]]
    assert positions == sorted(positions)


def test_the_clock_moves_forward_only(client: Any) -> None:
    tick(client, "2026-01-20")
    events = client.get("/v1/audit/events?limit=1000").json()["items"]
    response = client.post("/v1/clock/ticks", json={"to": "2026-01-19"})
    body = assert_problem(response, 409, "clock_backwards")
    assert body["detail"] == "the clock moves forward only"
    assert_problem(client.post("/v1/clock/ticks", json={"to": "2026-01-20T05:00:00Z"}), 409, "clock_backwards")
    assert client.get("/v1/clock").json()["now"] == "2026-01-20T06:00:00Z"
    assert client.get("/v1/audit/events?limit=1000").json()["items"] == events


def test_business_dates_follow_the_clock(client: Any) -> None:
    tick(client, "2026-01-18T09:00:00Z")
    p = create_partner(client, name="Later")
    assert p["created_on"] == "2026-01-18"
    registered = client.get("/v1/audit/events", params={"type": "PartnerRegistered"}).json()["items"]
    assert [e["business_date"] for e in registered] == ["2026-01-18"]


def test_only_admins_move_the_clock(sqlite_client: Any) -> None:
    client = sqlite_client
    for role in ("clerk", "analyst", "auditor"):
        headers = role_headers(client, role)
        assert_problem(client.post("/v1/clock/ticks", json={"to": "2026-01-16"}, headers=headers), 403, "forbidden")
        assert client.get("/v1/clock", headers=headers).status_code == 200
    assert client.get("/v1/clock").json()["now"] == "2026-01-15T00:00:00Z"


def test_tick_validation(sqlite_client: Any) -> None:
    for body in ({}, {"to": "tomorrow"}, {"to": "2026-13-01"}, {"to": None}):
        assert_problem(sqlite_client.post("/v1/clock/ticks", json=body), 422, "validation_error")
    assert sqlite_client.get("/v1/clock").json()["now"] == "2026-01-15T00:00:00Z"


def test_a_datetime_without_offset_is_in_the_business_time_zone(tmp_path: Path) -> None:
    container = open_container(make_settings(tmp_path, timezone="Europe/Warsaw"))
    try:
        with http_client(container) as client:
            # 06:00 in Warsaw is 05:00 UTC in winter.
            result = tick(client, "2026-01-16")
            assert result["now"] == "2026-01-16T05:00:00Z"
            local = tick(client, "2026-01-16T12:00:00")
            assert local["now"] == "2026-01-16T11:00:00Z"
    finally:
        container.close()


def test_ticks_are_refused_in_system_mode(tmp_path: Path) -> None:
    container = open_container(make_settings(tmp_path, clock="system", clock_start=None))
    try:
        with http_client(container) as client:
            assert client.get("/v1/clock").json()["mode"] == "system"
            response = client.post("/v1/clock/ticks", json={"to": "2099-01-01"})
            assert_problem(response, 409, "clock_not_manual")
    finally:
        container.close()


def test_a_tick_moves_at_most_366_days(sqlite_client: Any) -> None:
    # The clock starts at 2026-01-15T00:00Z: 366 days later is 2027-01-16T00:00Z, before that day's start.
    response = sqlite_client.post("/v1/clock/ticks", json={"to": "2027-01-16T00:00:01Z"})
    body = assert_problem(response, 422, "validation_error")
    assert body["errors"] == [{"loc": ["body", "to"], "msg": "the clock moves at most 366 days per tick"}]
    assert sqlite_client.get("/v1/clock").json()["now"] == "2026-01-15T00:00:00Z"
