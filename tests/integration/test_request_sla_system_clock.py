"""A request's service level on the system clock: the answers compute the due state from the
wall clock at once; the scheduler records a ``ClockMoved`` only once a request's moment has
passed, and the process manager then records the change at that moment's check."""

from __future__ import annotations

import time as wall
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from uuid import uuid4

from aggregates.partner import Partner
from aggregates.partner_details import PartnerDetails
from aggregates.request import Request, RequestDetails, ServiceLevel
from commands.context import CommandContext, Result
from queries.requests import RequestQueries
from tests.conftest import make_settings, open_container


def test_the_scheduler_moves_the_clock_when_a_request_falls_due(tmp_path: Path) -> None:
    container = open_container(make_settings(tmp_path, clock="system", clock_start=None, day_start=time(0, 0)))
    try:
        container.clock.catch_up_system_days()
        opened_at = datetime.now(UTC)
        due_at = opened_at + timedelta(seconds=1)
        request_id = uuid4()

        def open_due_soon(_: None, ctx: CommandContext) -> Result:
            partner = Partner.register(uuid4(), "SYS1", PartnerDetails(name="System Ltd"), ctx.today)
            details = RequestDetails(type="COMPLAINT", partner=partner.id, subject="Soon due")
            sla = ServiceLevel(due_at=due_at, overdue_at=due_at + timedelta(days=1))
            request = Request.open(request_id, "REQ-00001", details, 0, opened_at, sla)
            return Result(ctx.save(partner, request), request.id)

        container.runner.wait(container.execute(open_due_soon, None).position, 10)
        queries = RequestQueries(container.catalog)
        assert container.clock.catch_up_system_moments() is None
        assert queries.get(str(request_id), container.clock.now())["due_state"] == "scheduled"
        wall.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds()) + 0.05)
        # the answer is exact before any check has run; the history is not written yet
        before = queries.get(str(request_id), container.clock.now())
        assert (before["due_state"], before["history"][-1]["field"]) == ("due", "status")
        moved = container.clock.catch_up_system_moments()
        assert moved is not None and moved >= due_at
        container.runner.drain()
        after = queries.get(str(request_id), container.clock.now())
        assert [(h["field"], h["old"], h["new"], h["by"]) for h in after["history"]][-1] == (
            "due_state",
            "scheduled",
            "due",
            "process:requests",
        )
        assert after["history"][-1]["at"] == moved
        assert container.clock.catch_up_system_moments() is None
    finally:
        container.close()
