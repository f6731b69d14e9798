"""System mode: the scheduler's job records each day start the wall clock has passed, once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import sleep

import pytest

from aggregates.errors import DomainError
from tests.conftest import http_client, make_settings, open_container


def test_the_scheduler_job_starts_today_once_and_manual_ticks_are_refused(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    if now.time() < time(0, 5):
        pytest.skip("too close to midnight to say which day has started")
    container = open_container(make_settings(tmp_path, clock="system", clock_start=None, day_start=time(0, 0)))
    try:
        assert container.clock.catch_up_system_days() == [now.date()]
        assert container.clock.catch_up_system_days() == []
        assert container.clock.last_day_run() == now.date()
        assert abs(container.clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
        with pytest.raises(DomainError) as refused:
            container.clock.tick(now.date() + timedelta(days=1), "admin")
        assert refused.value.code == "clock_not_manual"
    finally:
        container.close()


def test_the_scheduler_is_started_and_runs_its_job(tmp_path: Path) -> None:
    container = open_container(make_settings(tmp_path, clock="system", clock_start=None, day_start=time(0, 0)))
    try:
        container.start()
        deadline = datetime.now(UTC) + timedelta(seconds=20)
        while container.clock.last_day_run() is None and datetime.now(UTC) < deadline:
            import time as wall

            wall.sleep(0.2)
        assert container.clock.last_day_run() == datetime.now(UTC).date()
    finally:
        container.close()


def test_the_scheduler_job_moves_the_clock_when_a_reminder_moment_has_passed(tmp_path: Path) -> None:
    container = open_container(make_settings(tmp_path, clock="system", clock_start=None, day_start=time(0, 0)))
    try:
        container.clock.catch_up_system_days()
        with http_client(container) as client:
            user = {"username": "anna", "name": "Anna", "email": "anna@counterparty.test"}
            assert client.post("/v1/users", json=user).status_code == 201
            assert client.post("/v1/partners", json={"name": "Acme", "code": "ACME"}).status_code == 201
            # Reminded one minute before a start 62 seconds from now: in 2 seconds.
            start = (datetime.now(UTC) + timedelta(seconds=62)).replace(microsecond=0)
            call = {"kind": "call", "partner": "ACME", "subject": "Renewal", "assignee": "anna"}
            call.update(start_at=start.isoformat(), remind_minutes_before=1)
            created = client.post("/v1/activities", json=call)
            assert created.status_code == 201, created.text
            assert container.clock.catch_up_system_moments() is None  # not yet: nothing recorded
            while datetime.now(UTC) < start - timedelta(minutes=1):
                sleep(0.1)
            moved = container.clock.catch_up_system_moments()
            assert moved is not None and moved >= start - timedelta(minutes=1)
            assert container.clock.catch_up_system_moments() is None  # met once
            [message] = client.get("/v1/messages", params={"purpose": "general"}).json()["items"]
            assert message["to"] == "anna@counterparty.test"
            activity = client.get(f"/v1/activities/{created.json()['id']}").json()
            assert (activity["reminder_status"], activity["reminder_message"]) == ("sent", message["id"])
            moves = client.get("/v1/audit/events", params={"type": "ClockMoved"}).json()["items"]
            assert len(moves) == 1
    finally:
        container.close()
