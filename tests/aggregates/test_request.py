"""Requests: every transition given-when-then, the service-level edges (exactly at a moment, one
second after, across days and a daylight-saving change), escalation, one alert a day, final,
priority boosts and routing (first match wins)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from aggregates.errors import Conflict
from aggregates.request import (
    DueState,
    OverdueAlerted,
    Priority,
    Request,
    RequestAssigned,
    RequestClosed,
    RequestCommented,
    RequestDetails,
    RequestDueStateChanged,
    RequestEscalated,
    RequestFinalised,
    RequestOpened,
    RequestReopened,
    RequestResolutionChanged,
    RequestStatus,
    RequestStatusChanged,
    RequestWorkStarted,
    RequestWorkStopped,
    ServiceLevel,
    Source,
    Visibility,
    boosted,
)
from aggregates.request_routing import (
    ROUTING_ID,
    Routing,
    RoutingOpened,
    RoutingRule,
    RoutingRuleAdded,
    RoutingRuleRemoved,
)
from aggregates.request_type import RequestType, RequestTypeChanged, RequestTypeDefined, TypeDefinition
from commands.request_types import later, service_level
from tests.gwt import assert_same_state, given, like

REQUEST = UUID("00000000-0000-4000-8000-0000000000d1")
PARTNER = UUID("00000000-0000-4000-8000-0000000000b1")
COMMENT = UUID("00000000-0000-4000-8000-0000000000e1")
OPENED_AT = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
DUE = datetime(2026, 1, 17, 10, 30, tzinfo=UTC)
OVERDUE = datetime(2026, 1, 18, 10, 30, tzinfo=UTC)
ESCALATE = datetime(2026, 1, 20, 10, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
SLA = ServiceLevel(due_at=DUE, overdue_at=OVERDUE, escalate_at=ESCALATE)
DETAILS = RequestDetails(type="COMPLAINT", partner=PARTNER, subject="Broken shelf", description="It broke.")


def opened(**changes: Any) -> RequestOpened:
    fields: dict[str, Any] = {
        "originator_id": REQUEST,
        "originator_version": 1,
        "originator_topic": Request.TOPIC,
        "number": "REQ-00001",
        "details": DETAILS,
        "priority": Priority.MEDIUM,
        "opened_at": OPENED_AT,
        "service_level": SLA,
        **changes,
    }
    return RequestOpened(**fields)


def assigned(version: int, to: str | None, previous: str | None = None, reason: str = "manual") -> RequestAssigned:
    return RequestAssigned(
        originator_id=REQUEST, originator_version=version, assignee=to, previous=previous, reason=reason
    )


def started(version: int, at: datetime) -> RequestWorkStarted:
    return RequestWorkStarted(originator_id=REQUEST, originator_version=version, at=at)


def closed(
    version: int, at: datetime, previous: RequestStatus = RequestStatus.OPEN, resolution: str | None = None
) -> RequestClosed:
    return RequestClosed(
        originator_id=REQUEST, originator_version=version, previous=previous, resolution=resolution, at=at
    )


def finalised(version: int, at: datetime, closed_at: datetime) -> RequestFinalised:
    return RequestFinalised(
        originator_id=REQUEST,
        originator_version=version,
        previous=RequestStatus.CLOSED,
        resolution=None,
        closed_at=closed_at,
        at=at,
    )


def status_changed(
    version: int,
    new: RequestStatus,
    previous: RequestStatus,
    at: datetime,
    resolution: str | None = None,
    closed_at: datetime | None = None,
) -> RequestStatusChanged:
    """A transition as streams recorded it before each one had an event of its own."""
    return RequestStatusChanged(
        originator_id=REQUEST,
        originator_version=version,
        status=new,
        previous=previous,
        resolution=resolution,
        closed_at=closed_at,
        at=at,
    )


def due_state(version: int, new: DueState, previous: DueState, at: datetime) -> RequestDueStateChanged:
    return RequestDueStateChanged(
        originator_id=REQUEST, originator_version=version, due_state=new, previous=previous, at=at
    )


ASSIGNED = assigned(2, "anna", reason="routing")
BECAME_DUE = due_state(3, DueState.DUE, DueState.SCHEDULED, DUE)
BECAME_OVERDUE = due_state(4, DueState.OVERDUE, DueState.DUE, OVERDUE)
CLOSED = closed(2, DUE)
FINAL = finalised(3, OVERDUE, closed_at=DUE)


# -- priority --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "steps", "expected"),
    [
        (Priority.MEDIUM, 0, Priority.MEDIUM),
        (Priority.MINOR, 1, Priority.LOW),
        (Priority.LOW, 2, Priority.HIGH),
        (Priority.MEDIUM, 2, Priority.URGENT),
        (Priority.HIGH, 4, Priority.URGENT),
        (Priority.URGENT, 1, Priority.URGENT),
        (Priority.MINOR, 4, Priority.URGENT),
    ],
)
def test_a_boost_raises_the_priority_by_steps_capped_at_urgent(
    priority: Priority, steps: int, expected: Priority
) -> None:
    assert boosted(priority, steps) is expected


# -- opening ---------------------------------------------------------------------------------------


def test_a_request_opens_with_its_boosted_priority() -> None:
    details = DETAILS.model_copy(update={"requested_priority": Priority.LOW})
    request = (
        given()
        .when(lambda _: Request.open(REQUEST, "REQ-00001", details, 2, OPENED_AT, SLA))
        .then(like(RequestOpened, number="REQ-00001", priority=Priority.HIGH, opened_at=OPENED_AT, service_level=SLA))
    )
    assert (request.status, request.due_state, request.assignee, request.escalated) == (
        RequestStatus.OPEN,
        DueState.SCHEDULED,
        None,
        False,
    )
    assert request.next_moment() == DUE


# -- assignment ------------------------------------------------------------------------------------


def test_a_request_is_assigned() -> None:
    request = (
        given(opened(), ASSIGNED)
        .when(lambda r: r.assign("luca"))
        .then(like(RequestAssigned, assignee="luca", previous="anna", reason="manual"))
    )
    assert request.assignee == "luca"


def test_assigning_the_same_user_records_nothing() -> None:
    given(opened(), ASSIGNED).when(lambda r: r.assign("anna")).then()


def test_a_request_is_unassigned() -> None:
    given(opened(), ASSIGNED).when(lambda r: r.assign(None)).then(like(RequestAssigned, assignee=None, previous="anna"))


# -- comments --------------------------------------------------------------------------------------


def test_a_comment_is_added() -> None:
    request = (
        given(opened())
        .when(lambda r: r.comment(COMMENT, "anna", "Looking into it", Visibility.INTERNAL, Source.API, DUE))
        .then(like(RequestCommented, comment_id=COMMENT, author="anna", visibility=Visibility.INTERNAL, at=DUE))
    )
    assert request.comments == 1


# -- status ----------------------------------------------------------------------------------------


def test_an_open_request_goes_in_progress() -> None:
    request = (
        given(opened())
        .when(lambda r: r.change_status(RequestStatus.IN_PROGRESS, None, DUE))
        .then(like(RequestWorkStarted, at=DUE))
    )
    assert (request.status, request.active, request.closed_at) == (RequestStatus.IN_PROGRESS, True, None)


def test_work_stops_and_the_request_waits_again() -> None:
    request = (
        given(opened(), started(2, DUE))
        .when(lambda r: r.change_status(RequestStatus.OPEN, None, OVERDUE))
        .then(like(RequestWorkStopped, at=OVERDUE))
    )
    assert (request.status, request.active) == (RequestStatus.OPEN, True)


def test_closing_stamps_the_close_date_and_keeps_the_resolution() -> None:
    request = (
        given(opened())
        .when(lambda r: r.change_status(RequestStatus.CLOSED, "Replaced the shelf", DUE))
        .then(like(RequestClosed, previous=RequestStatus.OPEN, resolution="Replaced the shelf", at=DUE))
    )
    assert (request.status, request.closed_at, request.resolution, request.active, request.next_moment()) == (
        RequestStatus.CLOSED,
        DUE,
        "Replaced the shelf",
        False,
        None,
    )


def test_closing_work_in_progress_names_the_status_it_left() -> None:
    given(opened(), started(2, DUE)).when(lambda r: r.change_status(RequestStatus.CLOSED, None, OVERDUE)).then(
        like(RequestClosed, previous=RequestStatus.IN_PROGRESS, resolution=None, at=OVERDUE)
    )


def test_the_same_status_without_a_new_resolution_records_nothing() -> None:
    given(opened()).when(lambda r: r.change_status(RequestStatus.OPEN, None, DUE)).then()
    given(opened(), started(2, DUE)).when(lambda r: r.change_status(RequestStatus.IN_PROGRESS, None, DUE)).then()
    given(opened(), CLOSED).when(lambda r: r.change_status(RequestStatus.CLOSED, None, OVERDUE)).then()
    given(opened(), closed(2, DUE, resolution="Refunded")).when(
        lambda r: r.change_status(RequestStatus.CLOSED, "Refunded", OVERDUE)
    ).then()


def test_a_new_resolution_on_a_closed_request_keeps_its_close_date() -> None:
    request = (
        given(opened(), CLOSED)
        .when(lambda r: r.change_status(RequestStatus.CLOSED, "Refunded", OVERDUE))
        .then(like(RequestResolutionChanged, resolution="Refunded", previous=None, at=OVERDUE))
    )
    assert (request.status, request.resolution, request.closed_at) == (RequestStatus.CLOSED, "Refunded", DUE)


def test_a_resolution_given_with_a_change_that_does_not_close_is_a_fact_of_its_own() -> None:
    request = (
        given(opened(), closed(2, DUE, resolution="Refunded"))
        .when(lambda r: r.change_status(RequestStatus.IN_PROGRESS, "Refund bounced", OVERDUE))
        .then(
            like(RequestReopened, status=RequestStatus.IN_PROGRESS, at=OVERDUE),
            like(RequestResolutionChanged, resolution="Refund bounced", previous="Refunded", at=OVERDUE),
        )
    )
    assert (request.status, request.resolution) == (RequestStatus.IN_PROGRESS, "Refund bounced")


def test_reopening_clears_the_close_date_and_keeps_the_resolution() -> None:
    request = (
        given(opened(), closed(2, DUE, resolution="Refunded"))
        .when(lambda r: r.change_status(RequestStatus.OPEN, None, OVERDUE))
        .then(like(RequestReopened, status=RequestStatus.OPEN, at=OVERDUE))
    )
    assert (request.status, request.closed_at, request.resolution, request.active) == (
        RequestStatus.OPEN,
        None,
        "Refunded",
        True,
    )
    assert request.next_moment() == DUE  # the original moments, not new ones from the reopening


def test_a_closed_request_can_be_reopened_straight_into_work() -> None:
    request = (
        given(opened(), CLOSED)
        .when(lambda r: r.change_status(RequestStatus.IN_PROGRESS, None, OVERDUE))
        .then(like(RequestReopened, status=RequestStatus.IN_PROGRESS, at=OVERDUE))
    )
    assert (request.status, request.closed_at) == (RequestStatus.IN_PROGRESS, None)


def test_a_closed_request_becomes_final_with_its_close_date() -> None:
    request = (
        given(opened(), CLOSED)
        .when(lambda r: r.change_status(RequestStatus.FINAL, None, OVERDUE))
        .then(like(RequestFinalised, previous=RequestStatus.CLOSED, resolution=None, closed_at=DUE, at=OVERDUE))
    )
    assert (request.status, request.closed_at, request.active) == (RequestStatus.FINAL, DUE, False)


def test_an_open_request_can_be_made_final_at_once() -> None:
    given(opened()).when(lambda r: r.change_status(RequestStatus.FINAL, "Spam", DUE)).then(
        like(RequestFinalised, previous=RequestStatus.OPEN, resolution="Spam", closed_at=DUE, at=DUE)
    )


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.change_status(RequestStatus.OPEN, None, OVERDUE),
        lambda r: r.change_status(RequestStatus.CLOSED, None, OVERDUE),
        lambda r: r.change_status(RequestStatus.FINAL, "again", OVERDUE),
        lambda r: r.assign("luca"),
        lambda r: r.comment(COMMENT, "anna", "Late note", Visibility.INTERNAL, Source.API, OVERDUE),
    ],
    ids=["reopen", "close", "final", "assign", "comment"],
)
def test_a_final_request_refuses_every_change(change: Any) -> None:
    given(opened(), CLOSED, FINAL).when(change).then_raises(Conflict, code="request_final")


# Streams recorded before each transition had its own event hold RequestStatusChanged instead.
OLD_STREAM = [
    opened(),
    status_changed(2, RequestStatus.IN_PROGRESS, RequestStatus.OPEN, DUE),
    status_changed(3, RequestStatus.CLOSED, RequestStatus.IN_PROGRESS, DUE, "Replaced the shelf", closed_at=DUE),
    status_changed(4, RequestStatus.OPEN, RequestStatus.CLOSED, OVERDUE, "Replaced the shelf"),
    status_changed(5, RequestStatus.CLOSED, RequestStatus.OPEN, OVERDUE, "Replaced the shelf", closed_at=OVERDUE),
    status_changed(6, RequestStatus.FINAL, RequestStatus.CLOSED, ESCALATE, "Replaced the shelf", closed_at=OVERDUE),
]


def test_an_old_stream_replays_to_the_state_the_named_events_give() -> None:
    old = given(*OLD_STREAM).aggregate
    new = given(opened()).aggregate
    new.change_status(RequestStatus.IN_PROGRESS, None, DUE)
    new.change_status(RequestStatus.CLOSED, "Replaced the shelf", DUE)
    new.change_status(RequestStatus.OPEN, None, OVERDUE)
    new.change_status(RequestStatus.CLOSED, None, OVERDUE)
    new.change_status(RequestStatus.FINAL, None, ESCALATE)
    assert [type(e) for e in new.collect_events()] == [
        RequestWorkStarted,
        RequestClosed,
        RequestReopened,
        RequestClosed,
        RequestFinalised,
    ]
    assert_same_state(old, new)
    assert (old.status, old.resolution, old.closed_at, old.version) == (
        RequestStatus.FINAL,
        "Replaced the shelf",
        OVERDUE,
        6,
    )


def test_an_old_stream_goes_on_with_the_named_events() -> None:
    request = (
        given(*OLD_STREAM[:3])
        .when(lambda r: r.change_status(RequestStatus.OPEN, None, OVERDUE))
        .then(like(RequestReopened, status=RequestStatus.OPEN, at=OVERDUE))
    )
    assert (request.status, request.resolution, request.closed_at) == (RequestStatus.OPEN, "Replaced the shelf", None)
    given(*OLD_STREAM).when(lambda r: r.assign("luca")).then_raises(Conflict, code="request_final")


# -- the service level -----------------------------------------------------------------------------


def test_nothing_changes_one_second_before_the_due_moment() -> None:
    given(opened()).when(lambda r: r.update_due_state(DUE - SECOND)).then()


def test_a_request_is_due_exactly_at_its_due_moment() -> None:
    request = (
        given(opened())
        .when(lambda r: r.update_due_state(DUE))
        .then(like(RequestDueStateChanged, due_state=DueState.DUE, previous=DueState.SCHEDULED, at=DUE))
    )
    assert request.next_moment() == OVERDUE


def test_one_second_after_the_due_moment_it_is_still_due() -> None:
    given(opened(), ASSIGNED, BECAME_DUE).when(lambda r: r.update_due_state(DUE + SECOND)).then()
    given(opened(), ASSIGNED, BECAME_DUE).when(lambda r: r.update_due_state(OVERDUE - SECOND)).then()


def test_a_request_is_overdue_exactly_at_due_plus_tolerance() -> None:
    request = (
        given(opened(), ASSIGNED, BECAME_DUE)
        .when(lambda r: r.update_due_state(OVERDUE))
        .then(like(RequestDueStateChanged, due_state=DueState.OVERDUE, previous=DueState.DUE, at=OVERDUE))
    )
    assert request.next_moment() == ESCALATE


def test_a_check_days_later_goes_straight_to_overdue() -> None:
    later_check = OVERDUE + timedelta(days=2, hours=3)
    given(opened()).when(lambda r: r.update_due_state(later_check)).then(
        like(RequestDueStateChanged, due_state=DueState.OVERDUE, previous=DueState.SCHEDULED)
    )


def test_without_tolerance_the_due_moment_is_the_overdue_moment() -> None:
    no_tolerance = ServiceLevel(due_at=DUE, overdue_at=DUE)
    request = (
        given(opened(service_level=no_tolerance))
        .when(lambda r: r.update_due_state(DUE))
        .then(like(RequestDueStateChanged, due_state=DueState.OVERDUE, previous=DueState.SCHEDULED))
    )
    assert request.next_moment() is None


def test_a_closed_request_keeps_its_state() -> None:
    given(opened(), CLOSED).when(lambda r: r.update_due_state(OVERDUE + timedelta(days=9))).then()


def test_escalation_is_due_exactly_at_due_plus_the_escalation_days() -> None:
    request = given(opened(), ASSIGNED, BECAME_DUE, BECAME_OVERDUE).aggregate
    assert not request.escalation_due(ESCALATE - SECOND)
    assert request.escalation_due(ESCALATE)


def test_escalation_assigns_the_supervisor() -> None:
    request = (
        given(opened(), ASSIGNED)
        .when(lambda r: r.escalate("boss", ESCALATE))
        .then(like(RequestEscalated, to="boss", previous="anna", at=ESCALATE))
    )
    assert (request.escalated, request.assignee) == (True, "boss")


def test_without_a_supervisor_the_request_is_escalated_and_keeps_its_assignee() -> None:
    request = given(opened(), ASSIGNED).when(lambda r: r.escalate(None, ESCALATE)).then(like(RequestEscalated, to=None))
    assert (request.escalated, request.assignee) == (True, "anna")


def test_a_request_escalates_once() -> None:
    escalated = RequestEscalated(originator_id=REQUEST, originator_version=3, to="boss", previous="anna", at=ESCALATE)
    given(opened(), ASSIGNED, escalated).when(lambda r: r.escalate("ceo", ESCALATE + timedelta(days=5))).then()


def test_escalation_before_its_moment_records_nothing() -> None:
    given(opened(), ASSIGNED).when(lambda r: r.escalate("boss", ESCALATE - SECOND)).then()


def test_a_type_without_escalation_days_never_escalates() -> None:
    never = ServiceLevel(due_at=DUE, overdue_at=OVERDUE)
    request = given(opened(service_level=never)).aggregate
    assert not request.escalation_due(OVERDUE + timedelta(days=365))


def test_one_overdue_alert_a_day() -> None:
    day = date(2026, 1, 18)
    request = (
        given(opened(), ASSIGNED, BECAME_DUE, BECAME_OVERDUE)
        .when(lambda r: r.record_alert(day, "anna", None))
        .then(like(OverdueAlerted, on=day, to="anna"))
    )
    assert not request.alert_due(day)
    assert request.alert_due(date(2026, 1, 19))
    alerted = OverdueAlerted(originator_id=REQUEST, originator_version=5, on=day, to="anna", message=None)
    history = (opened(), ASSIGNED, BECAME_DUE, BECAME_OVERDUE, alerted)
    given(*history).when(lambda r: r.record_alert(day, "anna", None)).then()
    given(*history).when(lambda r: r.record_alert(date(2026, 1, 19), "anna", None)).then(
        like(OverdueAlerted, on=date(2026, 1, 19))
    )


def test_no_alert_while_not_overdue_or_when_the_type_wants_none() -> None:
    assert not given(opened(), ASSIGNED, BECAME_DUE).aggregate.alert_due(date(2026, 1, 18))
    quiet = ServiceLevel(due_at=DUE, overdue_at=OVERDUE, alert_when_overdue=False)
    overdue = due_state(2, DueState.OVERDUE, DueState.SCHEDULED, OVERDUE)
    assert not given(opened(service_level=quiet), overdue).aggregate.alert_due(date(2026, 1, 18))


def test_closing_stops_the_alerts() -> None:
    overdue = due_state(2, DueState.OVERDUE, DueState.SCHEDULED, OVERDUE)
    request = given(opened(), overdue, closed(3, OVERDUE)).aggregate
    assert not request.alert_due(date(2026, 1, 19))
    assert not request.escalation_due(ESCALATE)


# -- service-level moments on the business calendar ------------------------------------------------


def test_the_moments_count_calendar_days_from_the_opening() -> None:
    definition = TypeDefinition(name="Complaint", due_days=2, tolerance_days=1, escalate_after_days=3)
    assert service_level(definition, OPENED_AT, UTC) == SLA


def test_days_are_counted_on_the_business_time_zones_wall_clock() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # Summer time starts on 2026-03-29: that day has 23 hours in Berlin.
    opened_at = datetime(2026, 3, 28, 10, 0, tzinfo=berlin).astimezone(UTC)
    assert later(opened_at, 1, berlin) == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert later(opened_at, 1, berlin) - opened_at == timedelta(hours=23)
    assert later(opened_at, 0, berlin) == opened_at


# -- request types and routing ---------------------------------------------------------------------


def test_a_request_type_is_defined_and_changed() -> None:
    definition = TypeDefinition(name="Complaint", due_days=2)
    given().when(lambda _: RequestType.define("COMPLAINT", definition)).then(
        like(RequestTypeDefined, code="COMPLAINT", definition=definition)
    )
    defined = RequestTypeDefined(
        originator_id=RequestType.id_for("COMPLAINT"),
        originator_version=1,
        originator_topic=RequestType.TOPIC,
        code="COMPLAINT",
        definition=definition,
    )
    changed = definition.model_copy(update={"tolerance_days": 1})
    given(defined).when(lambda t: t.change(changed)).then(like(RequestTypeChanged, definition=changed))
    given(defined).when(lambda t: t.change(definition)).then()


ROUTING_OPENED = RoutingOpened(originator_id=ROUTING_ID, originator_version=1, originator_topic=Routing.TOPIC)


def rule(version: int, rule_id: int, type_code: str | None, keyword: str | None, to: str) -> RoutingRuleAdded:
    return RoutingRuleAdded(
        originator_id=ROUTING_ID,
        originator_version=version,
        rule=RoutingRule(id=UUID(int=rule_id), type=type_code, keyword=keyword, assign_to=to),
    )


RULES = (
    ROUTING_OPENED,
    rule(2, 1, "COMPLAINT", "invoice", "finance"),
    rule(3, 2, "COMPLAINT", None, "anna"),
    rule(4, 3, None, "urgent", "luca"),
)


def test_the_first_matching_rule_wins() -> None:
    routing = given(*RULES).aggregate
    assert routing.route("COMPLAINT", "Wrong INVOICE total, urgent") == "finance"
    assert routing.route("COMPLAINT", "Broken shelf, urgent") == "anna"
    assert routing.route("QUESTION", "Urgent: opening hours?") == "luca"
    assert routing.route("QUESTION", "Opening hours?") is None


def test_a_rule_is_added_at_the_end_and_removed() -> None:
    added = RoutingRule(id=UUID(int=9), type=None, keyword=None, assign_to="sofia")
    routing = given(*RULES).when(lambda r: r.add(added)).then(like(RoutingRuleAdded, rule=added))
    assert routing.route("QUESTION", "Opening hours?") == "sofia"
    routing = given(*RULES).when(lambda r: r.remove(UUID(int=1))).then(like(RoutingRuleRemoved, rule_id=UUID(int=1)))
    assert routing.route("COMPLAINT", "Wrong invoice total") == "anna"
    given(*RULES).when(lambda r: r.remove(UUID(int=99))).then()
