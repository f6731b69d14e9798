"""The requests process manager: acknowledges every new request to its contact, e-mails a clerk's
public comments to the contact, and at every move of the business clock (each day start, and each
``ClockMoved``) brings the service level of every request with a moment due up to that moment:
due, overdue, escalated, and one overdue alert a day (sent at the day start, or when the request
becomes overdue). It names its next moment to the clock, so a manual tick stops exactly there and
the system scheduler records a ``ClockMoved`` within 30 seconds of it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from aggregates.business_clock import ClockMoved, DayStarted
from aggregates.request import RequestCommented, RequestOpened, Source, Visibility
from commands.requests import (
    AcknowledgeRequest,
    CheckServiceLevels,
    MailComment,
    acknowledge_request,
    check_service_levels,
    mail_comment,
)
from processes.base import Acts, Reactions

requests_process = Reactions("requests")
# Requests checked per transaction: one commit per request would make the commit the whole cost.
BATCH = 100


@requests_process.on(RequestOpened)
def opened(e: RequestOpened, acts: Acts) -> None:
    acts.run(acknowledge_request, AcknowledgeRequest(request=e.originator_id))


@requests_process.on(RequestCommented)
def commented(e: RequestCommented, acts: Acts) -> None:
    # Internal comments never leave the house; the customer's own (portal, e-mail) need no copy.
    if e.visibility is Visibility.PUBLIC and e.source is Source.API:
        acts.run(mail_comment, MailComment(request=e.originator_id, comment=e.comment_id, text=e.text))


def check_moment(run: Any, reads: Any, at: datetime, day: date | None = None) -> int:
    """One check at ``at`` (at a day start, ``day``: its alerts too) of every request with
    something due, ``BATCH`` requests per transaction. ``run(handler, command)`` executes a
    command. Answers how many requests it checked."""
    due = reads.requests.to_check(at, day)
    for start in range(0, len(due), BATCH):
        run(check_service_levels, CheckServiceLevels(requests=due[start : start + BATCH], at=at))
    return len(due)


@requests_process.on(DayStarted)
def day_started(e: DayStarted, acts: Acts) -> None:
    check_moment(acts.run, acts.reads, e.at, e.day)


@requests_process.on(ClockMoved)
def clock_moved(e: ClockMoved, acts: Acts) -> None:
    check_moment(acts.run, acts.reads, e.now)


@requests_process.moment
def next_service_level_moment(reads: Any, after: datetime) -> datetime | None:
    return reads.requests.next_moment(after)  # type: ignore[no-any-return]
