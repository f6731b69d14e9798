"""Requests and complaints: the request itself with its assignment, comments, status and
service-level clock. (Request types are in ``request_type``, the routing rules in ``request_routing``.)

The service level is three moments fixed when a request opens (the command computes them from the
type's days on the business time zone's calendar): ``due_at``, ``overdue_at`` = due + tolerance
and ``escalate_at`` = due + escalation days. Each takes effect at its moment (half-open
intervals): ``scheduled`` before ``due_at``, ``due`` from ``due_at``, ``overdue`` from
``overdue_at``. A closed request's clock stands still; ``final`` refuses every change."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any, NamedTuple
from uuid import UUID

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, Value, event
from aggregates.errors import Conflict, conflict
from aggregates.personal import Personal


class Priority(Enum):
    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    MINOR = "minor"


# Lowest to highest: a boost of n steps moves n places right, never past urgent.
SCALE = (Priority.MINOR, Priority.LOW, Priority.MEDIUM, Priority.HIGH, Priority.URGENT)


def boosted(priority: Priority, steps: int) -> Priority:
    return SCALE[min(len(SCALE) - 1, SCALE.index(priority) + max(0, steps))]


class RequestStatus(Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    FINAL = "final"


ACTIVE = frozenset({RequestStatus.OPEN, RequestStatus.IN_PROGRESS})


class DueState(Enum):
    SCHEDULED = "scheduled"
    DUE = "due"
    OVERDUE = "overdue"


class Visibility(Enum):
    PUBLIC = "public"
    INTERNAL = "internal"


class Confidentiality(Enum):
    PUBLIC = "public"
    CONFIDENTIAL = "confidential"


class Source(Enum):
    """Where a request or comment came from: a clerk (API), the customer portal, an e-mail."""

    API = "api"
    PORTAL = "portal"
    EMAIL = "email"


class ServiceLevel(Value):
    due_at: datetime
    overdue_at: datetime
    escalate_at: datetime | None = None
    alert_when_overdue: bool = True

    def state_at(self, at: datetime) -> DueState:
        if at >= self.overdue_at:
            return DueState.OVERDUE
        if at >= self.due_at:
            return DueState.DUE
        return DueState.SCHEDULED


class RequestDetails(Value):
    type: str
    partner: UUID
    contact: UUID | None = None
    subject: str
    description: str = ""
    requested_priority: Priority = Priority.MEDIUM
    document: UUID | None = None
    confidentiality: Confidentiality = Confidentiality.PUBLIC
    custom_fields: dict[str, Any] = {}
    source: Source = Source.API


class RequestOpened(CreatedEvent):
    TOPIC = "counterparty.request.RequestOpened.v1"
    number: str
    details: RequestDetails
    # The requested priority raised by the partner group's boost.
    priority: Priority
    opened_at: datetime
    service_level: ServiceLevel


class RequestAssigned(DomainEvent):
    """``reason``: ``routing`` (when it opened), ``manual`` or ``escalation``."""

    TOPIC = "counterparty.request.RequestAssigned.v1"
    assignee: str | None
    previous: str | None
    reason: str


class RequestCommented(DomainEvent):
    """``author_partner`` and ``author_contact``: whose name or address ``author`` is, when the
    customer wrote it (portal, e-mail; version 1 did not say): the author is their personal
    data, the contact's, else the partner's when a person. Staff authors are nobody's."""

    TOPIC = "counterparty.request.RequestCommented.v1"
    class_version = 2
    PERSONAL = (
        Personal("", ("author",), subject="author_contact"),
        Personal(
            "", ("author",), subject="author_partner", when=lambda s: s.get("author_contact") is None, known_only=True
        ),
    )
    comment_id: UUID
    author: str
    text: str
    visibility: Visibility
    source: Source
    at: datetime
    author_partner: UUID | None
    author_contact: UUID | None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["author_partner"] = state["author_contact"] = None


class RequestStatusChanged(DomainEvent):
    """Any status change, its meaning in ``status``: recorded before the transitions had events of
    their own (below). Stored streams keep it, so every reader still understands it."""

    TOPIC = "counterparty.request.RequestStatusChanged.v1"
    status: RequestStatus
    previous: RequestStatus
    resolution: str | None
    closed_at: datetime | None
    at: datetime


class RequestWorkStarted(DomainEvent):
    """Someone works on the open request: ``open`` → ``in_progress``."""

    TOPIC = "counterparty.request.RequestWorkStarted.v1"
    at: datetime


class RequestWorkStopped(DomainEvent):
    """Nobody works on it any more, it waits again: ``in_progress`` → ``open``."""

    TOPIC = "counterparty.request.RequestWorkStopped.v1"
    at: datetime


class RequestClosed(DomainEvent):
    """An active request (``previous``) is closed at ``at`` with ``resolution`` (the one given, else
    the one it had): its service-level clock stops."""

    TOPIC = "counterparty.request.RequestClosed.v1"
    previous: RequestStatus
    resolution: str | None
    at: datetime


class RequestReopened(DomainEvent):
    """A closed request is active again as ``status`` (``open`` or ``in_progress``); its close date
    goes, its resolution stays until replaced, its clock runs on from the original moments."""

    TOPIC = "counterparty.request.RequestReopened.v1"
    status: RequestStatus
    at: datetime


class RequestFinalised(DomainEvent):
    """The request (``previous``: any status but final) is final: read-only for good. ``closed_at``
    is the date it was closed on (``at`` when it was still active)."""

    TOPIC = "counterparty.request.RequestFinalised.v1"
    previous: RequestStatus
    resolution: str | None
    closed_at: datetime
    at: datetime


class RequestResolutionChanged(DomainEvent):
    """A new resolution without closing: on a closed request, or given with a change that does not
    close (starting, stopping, reopening)."""

    TOPIC = "counterparty.request.RequestResolutionChanged.v1"
    resolution: str
    previous: str | None
    at: datetime


class RequestDueStateChanged(DomainEvent):
    TOPIC = "counterparty.request.RequestDueStateChanged.v1"
    due_state: DueState
    previous: DueState
    at: datetime


class RequestEscalated(DomainEvent):
    """Past due + the escalation days: the request goes to the assignee's supervisor (``to``;
    None when there is no assignee or the assignee has no supervisor)."""

    TOPIC = "counterparty.request.RequestEscalated.v1"
    to: str | None
    previous: str | None
    at: datetime


class OverdueAlerted(DomainEvent):
    """The day's overdue alert: ``message`` to ``to`` (None: nobody to alert, or no e-mail)."""

    TOPIC = "counterparty.request.OverdueAlerted.v1"
    on: date
    to: str | None
    message: UUID | None


class Transition(NamedTuple):
    previous: RequestStatus
    status: RequestStatus
    resolution: str | None
    closed_at: datetime | None
    at: datetime


TransitionEvent = (
    RequestWorkStarted | RequestWorkStopped | RequestClosed | RequestReopened | RequestFinalised | RequestStatusChanged
)
TRANSITIONS = (
    RequestWorkStarted,
    RequestWorkStopped,
    RequestClosed,
    RequestReopened,
    RequestFinalised,
    RequestStatusChanged,
)


def transition(e: TransitionEvent, resolution: str | None) -> Transition:
    """The status change a transition records, read one way by every reader, the older
    ``RequestStatusChanged`` included. ``resolution`` is the request's, kept by the transitions
    that name none."""
    if isinstance(e, RequestWorkStarted):
        return Transition(RequestStatus.OPEN, RequestStatus.IN_PROGRESS, resolution, None, e.at)
    if isinstance(e, RequestWorkStopped):
        return Transition(RequestStatus.IN_PROGRESS, RequestStatus.OPEN, resolution, None, e.at)
    if isinstance(e, RequestClosed):
        return Transition(e.previous, RequestStatus.CLOSED, e.resolution, e.at, e.at)
    if isinstance(e, RequestReopened):
        return Transition(RequestStatus.CLOSED, e.status, resolution, None, e.at)
    if isinstance(e, RequestFinalised):
        return Transition(e.previous, RequestStatus.FINAL, e.resolution, e.closed_at, e.at)
    return Transition(e.previous, e.status, e.resolution, e.closed_at, e.at)


def request_final(number: str) -> Conflict:
    return conflict("request_final", f"request {number} is final: it can no longer be changed")


class Request(Aggregate):
    TOPIC = "counterparty.request.Request"
    SNAPSHOT_EVERY = 50

    number: str
    details: RequestDetails
    priority: Priority
    opened_at: datetime
    service_level: ServiceLevel
    status: RequestStatus
    assignee: str | None
    due_state: DueState
    escalated: bool
    closed_at: datetime | None
    resolution: str | None
    comments: int
    last_alert_on: date | None

    @classmethod
    def open(
        cls,
        id: UUID,
        number: str,
        details: RequestDetails,
        priority_boost: int,
        opened_at: datetime,
        service_level: ServiceLevel,
    ) -> Request:
        priority = boosted(details.requested_priority, priority_boost)
        return cls._create(
            RequestOpened,
            id=id,
            number=number,
            details=details,
            priority=priority,
            opened_at=opened_at,
            service_level=service_level,
        )

    @event(RequestOpened)
    def _opened(
        self, number: str, details: RequestDetails, priority: Priority, opened_at: datetime, service_level: ServiceLevel
    ) -> None:
        self.number = number
        self.details = details
        self.priority = priority
        self.opened_at = opened_at
        self.service_level = service_level
        self.status = RequestStatus.OPEN
        self.assignee = None
        self.due_state = DueState.SCHEDULED
        self.escalated = False
        self.closed_at = None
        self.resolution = None
        self.comments = 0
        self.last_alert_on = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def _require_not_final(self) -> None:
        if self.status is RequestStatus.FINAL:
            raise request_final(self.number)

    def assign(self, to: str | None, reason: str = "manual") -> None:
        self._require_not_final()
        if to != self.assignee:
            self._assigned(assignee=to, previous=self.assignee, reason=reason)

    @event(RequestAssigned)
    def _assigned(self, assignee: str | None) -> None:
        self.assignee = assignee

    def comment(
        self,
        comment_id: UUID,
        author: str,
        text: str,
        visibility: Visibility,
        source: Source,
        at: datetime,
        author_of: tuple[UUID | None, UUID | None] = (None, None),
    ) -> None:
        """``author_of``: the partner and contact whose personal data ``author`` is (a customer's)."""
        self._require_not_final()
        self._commented(
            comment_id=comment_id,
            author=author,
            text=text,
            visibility=visibility,
            source=source,
            at=at,
            author_partner=author_of[0],
            author_contact=author_of[1],
        )

    @event(RequestCommented)
    def _commented(self) -> None:
        self.comments += 1

    def change_status(self, status: RequestStatus, resolution: str | None, at: datetime) -> None:
        """Any change but out of ``final``, recorded as the transition it is. Closing (or finalising)
        stamps ``closed_at``, a closed request made final keeps it; reopening clears it, and the
        service-level clock runs on from the request's original moments. ``resolution`` (None: keep
        the current one) goes with a closing transition, else it is a change of its own."""
        self._require_not_final()
        kept = resolution if resolution is not None else self.resolution
        if status is RequestStatus.FINAL:
            self._finalised(previous=self.status, resolution=kept, closed_at=self.closed_at or at, at=at)
            return
        if status is RequestStatus.CLOSED and self.status is not RequestStatus.CLOSED:
            self._closed(previous=self.status, resolution=kept, at=at)
            return
        if status is not self.status:
            if self.status is RequestStatus.CLOSED:
                self._reopened(status=status, at=at)
            elif status is RequestStatus.IN_PROGRESS:
                self._work_started(at=at)
            else:
                self._work_stopped(at=at)
        if resolution is not None and resolution != self.resolution:
            self._resolution_changed(resolution=resolution, previous=self.resolution, at=at)

    @event(RequestWorkStarted)
    def _work_started(self) -> None:
        self.status = RequestStatus.IN_PROGRESS

    @event(RequestWorkStopped)
    def _work_stopped(self) -> None:
        self.status = RequestStatus.OPEN

    @event(RequestClosed)
    def _closed(self, resolution: str | None, at: datetime) -> None:
        self.status = RequestStatus.CLOSED
        self.resolution = resolution
        self.closed_at = at

    @event(RequestReopened)
    def _reopened(self, status: RequestStatus) -> None:
        self.status = status
        self.closed_at = None

    @event(RequestFinalised)
    def _finalised(self, resolution: str | None, closed_at: datetime) -> None:
        self.status = RequestStatus.FINAL
        self.resolution = resolution
        self.closed_at = closed_at

    @event(RequestResolutionChanged)
    def _resolution_changed(self, resolution: str) -> None:
        self.resolution = resolution

    @event(RequestStatusChanged)
    def _status_changed(self, status: RequestStatus, resolution: str | None, closed_at: datetime | None) -> None:
        self.status = status
        self.resolution = resolution
        self.closed_at = closed_at

    def update_due_state(self, at: datetime) -> None:
        """Records the state the service level has reached at ``at`` (an open request only)."""
        if not self.active:
            return
        state = self.service_level.state_at(at)
        if state is not self.due_state:
            self._due_state_changed(due_state=state, previous=self.due_state, at=at)

    @event(RequestDueStateChanged)
    def _due_state_changed(self, due_state: DueState) -> None:
        self.due_state = due_state

    def escalation_due(self, at: datetime) -> bool:
        escalate_at = self.service_level.escalate_at
        return self.active and not self.escalated and escalate_at is not None and at >= escalate_at

    def escalate(self, to: str | None, at: datetime) -> None:
        if not self.escalation_due(at):
            return
        self._escalated(to=to, previous=self.assignee, at=at)

    @event(RequestEscalated)
    def _escalated(self, to: str | None) -> None:
        self.escalated = True
        if to is not None:
            self.assignee = to

    def alert_due(self, on: date) -> bool:
        """Whether today's overdue alert is still to be sent (one a day while overdue and open)."""
        return (
            self.active
            and self.due_state is DueState.OVERDUE
            and self.service_level.alert_when_overdue
            and (self.last_alert_on is None or on > self.last_alert_on)
        )

    def record_alert(self, on: date, to: str | None, message: UUID | None) -> None:
        if self.alert_due(on):
            self._alerted(on=on, to=to, message=message)

    @event(OverdueAlerted)
    def _alerted(self, on: date) -> None:
        self.last_alert_on = on

    def next_moment(self) -> datetime | None:
        return next_moment(self.service_level, self.status, self.due_state, self.escalated)


def next_moment(sl: ServiceLevel, status: RequestStatus, due_state: DueState, escalated: bool) -> datetime | None:
    """The next service-level moment that will change something (None once nothing will): the
    read side computes ``next_action_at`` with the same rule."""
    if status not in ACTIVE:
        return None
    moments = []
    if due_state is DueState.SCHEDULED:
        moments.append(sl.due_at)
    if due_state is not DueState.OVERDUE:
        moments.append(sl.overdue_at)
    if not escalated and sl.escalate_at is not None:
        moments.append(sl.escalate_at)
    return min(moments, default=None)
