"""System mode: the scheduler's job records each day start the wall clock has passed, once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from aggregates.errors import DomainError
from tests.conftest import make_settings, open_container


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
