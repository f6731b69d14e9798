"""/v1/activities and /v1/agenda: calls, meetings, e-mails, tasks and notes, and a user's agenda."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from aggregates.activity import ActivityKind, ActivityStatus, ReminderStatus
from commands.activities import (
    ChangeActivity,
    CompleteActivity,
    RecordActivity,
    ScheduleFields,
    change_activity,
    complete_activity,
    record_activity,
)
from commands.types import Ref
from services.api.deps import AnyRole, Cmd, Cont, Paging, ReadModels

router = APIRouter(prefix="/v1", tags=["activities"])


class ActivityCreate(RecordActivity):
    partner: Ref = Field(description="id or code")


class ActivityUpdate(ScheduleFields):
    """The timing fields sent replace the old ones (null clears one); ``assignee`` reassigns."""


class ActivityComplete(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str | None = Field(default=None, max_length=2000)


class ActivityPublic(BaseModel):
    id: UUID
    kind: ActivityKind
    partner: UUID
    contact: UUID | None
    subject: str
    assignee: str | None
    start_at: datetime | None
    end_at: datetime | None
    due_on: date | None
    remind_minutes_before: int | None
    remind_at: datetime | None = Field(description="when the assignee is reminded (start minus the minutes)")
    reminder_status: ReminderStatus | None = Field(description="null without a reminder")
    reminder_message: UUID | None = Field(description="the reminder e-mail, once queued")
    status: ActivityStatus
    overdue: bool = Field(description="open and due before today")
    completed_at: datetime | None
    outcome: str | None
    forced: bool = Field(description="planned outside the contact's availability hours with force")
    origin: Literal["collection"] | None = Field(description="collection for a collection level's task, else null")
    cases: list[UUID]
    created_at: datetime
    created_on: date | None
    version: int


class ActivityList(BaseModel):
    items: list[ActivityPublic]
    next_cursor: str | None


class ReminderPublic(BaseModel):
    activity: UUID
    kind: ActivityKind
    subject: str
    partner: UUID
    assignee: str | None
    start_at: datetime | None
    remind_at: datetime
    status: ReminderStatus = Field(description="pending | sent | skipped")
    message: UUID | None


class AgendaPublic(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    assignee: str | None
    from_: date = Field(alias="from")
    to: date
    now: datetime
    today: date
    activities: list[ActivityPublic]
    reminders: list[ReminderPublic]
    overdue_tasks: list[ActivityPublic]


@router.post("/activities", status_code=201, response_model=ActivityPublic, summary="Record or plan an activity")
def create(body: ActivityCreate, cmd: Cmd, reads: ReadModels, c: Cont) -> Response:
    """A call, meeting or task needs `start_at` or `due_on`; a reminder needs `start_at` and an assignee; a note is
    completed when recorded. A call or meeting outside the contact's hours is 409 `contact_unavailable` unless
    `force`. A reminder e-mail is queued to the assignee at `start_at` − `remind_minutes_before`."""
    command = RecordActivity.model_validate(body.model_dump(exclude_unset=True))
    return cmd.run(record_activity, command, lambda r: reads.activities.get(str(r.id), c.today()), status=201)


@router.get("/activities", response_model=ActivityList, summary="Activities, in the order of their time")
def list_activities(
    _who: AnyRole,
    reads: ReadModels,
    paging: Paging,
    c: Cont,
    partner: str | None = None,
    assignee: str | None = None,
    kind: ActivityKind | None = None,
    status: ActivityStatus | None = None,
    overdue: bool | None = None,
) -> dict[str, Any]:
    """Ordered by start, else due date, else recording; `partner` includes partners merged into it."""
    partners = reads.partners.merged_ids(reads.partners.partner_id(partner)) if partner else None
    return reads.activities.search(
        paging,
        c.today(),
        partners,
        assignee,
        kind.value if kind else None,
        status.value if status else None,
        overdue,
    )


@router.get("/activities/{activity}", response_model=ActivityPublic, summary="One activity")
def get_activity(activity: str, _who: AnyRole, reads: ReadModels, c: Cont) -> dict[str, Any]:
    """An unknown or malformed id is a 404."""
    return reads.activities.get(activity, c.today())


@router.patch("/activities/{activity}", response_model=ActivityPublic, summary="Reschedule or reassign an activity")
def patch_activity(activity: UUID, body: ActivityUpdate, cmd: Cmd, reads: ReadModels, c: Cont) -> Response:
    """Timing fields sent replace the old ones (`null` clears); the rules and the contact's hours apply again. A new
    start or reminder lead queues a new reminder. 409 `activity_completed`, `contact_unavailable`."""
    command = ChangeActivity(activity=activity, **body.model_dump(exclude_unset=True))
    return cmd.run(change_activity, command, lambda r: reads.activities.get(str(activity), c.today()))


@router.post("/activities/{activity}/complete", response_model=ActivityPublic, summary="Mark an activity done")
def complete(activity: UUID, cmd: Cmd, reads: ReadModels, c: Cont, body: ActivityComplete | None = None) -> Response:
    """Records the completion at the business clock's now; completing again changes nothing."""
    command = CompleteActivity(activity=activity, outcome=body.outcome if body else None)
    return cmd.run(complete_activity, command, lambda r: reads.activities.get(str(activity), c.today()))


@router.get(
    "/agenda",
    response_model=AgendaPublic,
    response_model_by_alias=True,
    summary="A period's activities, the reminders due and the overdue tasks",
)
def agenda(
    _who: AnyRole,
    reads: ReadModels,
    c: Cont,
    assignee: str | None = None,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
) -> dict[str, Any]:
    """`from` defaults to today, `to` to `from` (at most 366 days). Without `assignee` everybody's. Answers the
    period's activities, reminders due and not started, and every overdue open activity (at most 500 each)."""
    now = c.clock.now()
    today = c.clock.today(now)
    start = from_ or today
    return reads.activities.agenda(assignee, start, to or start, now, today, c.settings.zone)
