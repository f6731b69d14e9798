"""/v1/activities and /v1/agenda over HTTP: recording and validation, the contact's availability
hours at their exact edges, reminders sent once at their moment on the manual clock, rescheduling
and reassigning, completion and overdue tasks, the agenda's filters, collection tasks in the
agenda, and activities in the partner's timeline and profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, error_locs, role_headers
from tests.api.sales_helpers import invoice_of, tick
from tests.conftest import http_client, make_settings, open_container

USERS = [
    {"username": "anna", "name": "Anna Schneider", "email": "anna@counterparty.test"},
    {"username": "luca", "name": "Luca Bianchi", "email": "luca@counterparty.test"},
    {"username": "bob", "name": "Bob Nomail"},
]
# Monday to Friday, 09:00-12:00 and 13:00-17:00 (the business time zone is UTC unless a test says).
HOURS = [{"weekday": d, "from": f, "to": t} for d in range(1, 6) for f, t in (("09:00", "12:00"), ("13:00", "17:00"))]
# The manual clock starts on Thursday 2026-01-15 at 00:00 UTC; Friday is the 16th.
FRIDAY = "2026-01-16"


def setup(client: Any) -> dict[str, Any]:
    """Users, partner ACME (sales rep anna) with contact Jane and her hours, and partner OTHER."""
    for user in USERS:
        assert client.post("/v1/users", json=user).status_code == 201
    acme = create_partner(client, name="Acme Ltd", code="ACME", sales_reps=["anna"])
    response = client.post("/v1/partners/ACME/contacts", json={"name": "Jane Doe", "availability": HOURS})
    assert response.status_code == 201, response.text
    other = create_partner(client, name="Other plc", code="OTHER")
    return {"acme": acme, "jane": response.json()["id"], "other": other}


def post(client: Any, **body: Any) -> Any:
    return client.post("/v1/activities", json={"kind": "call", "partner": "ACME", "subject": "Renewal", **body})


def planned(client: Any, **body: Any) -> dict[str, Any]:
    response = post(client, **body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def get(client: Any, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def reminders(client: Any) -> list[dict[str, Any]]:
    return get(client, "/v1/messages", purpose="general")["items"]  # type: ignore[no-any-return]


def call_at(client: Any, ids: dict[str, Any], start: str, end: str | None = None, **body: Any) -> Any:
    fields = {"contact": ids["jane"], "start_at": f"{FRIDAY}T{start}:00Z", **body}
    if end:
        fields["end_at"] = f"{FRIDAY}T{end}:00Z"
    return post(client, **fields)


# -- recording and reading -------------------------------------------------------------------------


@pytest.mark.postgres
def test_an_activity_is_recorded_and_read_back(client: Any) -> None:
    ids = setup(client)
    body = planned(
        client,
        kind="meeting",
        contact=ids["jane"],
        subject="Quarterly review",
        start_at=f"{FRIDAY}T10:00:00Z",
        end_at=f"{FRIDAY}T11:00:00Z",
        due_on=FRIDAY,
        assignee="anna",
        remind_minutes_before=30,
    )
    assert (body["kind"], body["partner"], body["contact"], body["subject"]) == (
        "meeting",
        ids["acme"]["id"],
        ids["jane"],
        "Quarterly review",
    )
    assert (body["start_at"], body["end_at"], body["due_on"]) == (
        "2026-01-16T10:00:00Z",
        "2026-01-16T11:00:00Z",
        FRIDAY,
    )
    assert (body["assignee"], body["remind_minutes_before"], body["remind_at"], body["reminder_status"]) == (
        "anna",
        30,
        "2026-01-16T09:30:00Z",
        "pending",
    )
    assert (body["status"], body["overdue"], body["forced"], body["origin"], body["version"]) == (
        "open",
        False,
        False,
        None,
        1,
    )
    assert (body["created_on"], body["created_at"], body["completed_at"]) == (
        "2026-01-15",
        "2026-01-15T00:00:00Z",
        None,
    )
    assert get(client, f"/v1/activities/{body['id']}") == body
    # A note is done when recorded; an e-mail needs no time.
    note = planned(client, kind="note", subject="Prefers phone calls")
    assert (note["status"], note["completed_at"]) == ("completed", "2026-01-15T00:00:00Z")
    planned(client, kind="email", partner="OTHER", subject="Send the price list")
    assert [a["subject"] for a in get(client, "/v1/activities", partner="ACME")["items"]] == [
        "Prefers phone calls",  # ordered by time: recorded at the clock's start
        "Quarterly review",
    ]


def test_invalid_activities_are_refused(client: Any) -> None:
    setup(client)
    other_contact = client.post("/v1/partners/OTHER/contacts", json={"name": "Olga"}).json()["id"]

    def refused(field: str, **body: Any) -> None:
        assert ["body", field] in error_locs(assert_problem(post(client, **body), 422, "validation_error"))

    refused("assignee", start_at=f"{FRIDAY}T10:00:00Z", assignee="nobody")
    refused("contact", start_at=f"{FRIDAY}T10:00:00Z", contact=other_contact)
    refused("end_at", start_at=f"{FRIDAY}T10:00:00Z", end_at=f"{FRIDAY}T09:59:00Z")
    refused("end_at", due_on=FRIDAY, end_at=f"{FRIDAY}T10:00:00Z")
    refused("start_at", kind="task")
    refused("start_at", kind="call")
    refused("remind_minutes_before", kind="task", due_on=FRIDAY, assignee="anna", remind_minutes_before=10)
    refused("remind_minutes_before", start_at=f"{FRIDAY}T10:00:00Z", remind_minutes_before=10)
    refused("remind_minutes_before", start_at=f"{FRIDAY}T10:00:00Z", assignee="anna", remind_minutes_before=-1)
    refused("kind", kind="lunch", start_at=f"{FRIDAY}T10:00:00Z")
    refused("subject", subject="  ", start_at=f"{FRIDAY}T10:00:00Z")
    refused("colour", start_at=f"{FRIDAY}T10:00:00Z", colour="red")
    refused("partner", partner="NOPE", start_at=f"{FRIDAY}T10:00:00Z")
    unknown = "00000000-0000-4000-8000-000000000099"
    assert_problem(client.get(f"/v1/activities/{unknown}"), 404, "not_found")
    assert_problem(client.get("/v1/activities/not-an-id"), 404, "not_found")
    assert_problem(client.patch(f"/v1/activities/{unknown}", json={"due_on": FRIDAY}), 404, "not_found")
    assert_problem(client.post(f"/v1/activities/{unknown}/complete"), 404, "not_found")
    assert get(client, "/v1/activities")["items"] == []


# -- the contact's availability hours ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "ok"),
    [
        ("09:00", None, True),  # the window opens
        ("08:59", None, False),
        ("08:59", "09:30", False),
        ("11:30", "12:00", True),  # ends as the window closes
        ("11:30", "12:01", False),
        ("12:00", None, False),  # the moment it closes
        ("11:30", "13:30", False),  # over the lunch break
        ("13:00", "17:00", True),
        ("16:59", None, True),
        ("17:00", None, False),
    ],
)
def test_calls_keep_to_the_contacts_hours_at_their_edges(client: Any, start: str, end: str | None, ok: bool) -> None:
    ids = setup(client)
    response = call_at(client, ids, start, end)
    if ok:
        assert response.status_code == 201, response.text
        assert response.json()["forced"] is False
        return
    body = assert_problem(response, 409, "contact_unavailable")
    assert "Friday" in body["detail"] and "09:00-12:00, 13:00-17:00" in body["detail"]
    forced = call_at(client, ids, start, end, force=True)
    assert forced.status_code == 201, forced.text
    assert forced.json()["forced"] is True


def test_hours_apply_to_calls_and_meetings_on_their_weekday(sqlite_client: Any) -> None:
    client = sqlite_client
    ids = setup(client)
    saturday = {"contact": ids["jane"], "start_at": "2026-01-17T10:00:00Z"}
    assert_problem(post(client, **saturday), 409, "contact_unavailable")
    assert_problem(post(client, kind="meeting", **saturday), 409, "contact_unavailable")
    assert post(client, kind="task", **saturday).status_code == 201
    assert post(client, start_at="2026-01-17T10:00:00Z").status_code == 201  # no contact: no hours
    assert get(client, "/v1/activities", kind="call")["items"][0]["contact"] is None


def test_hours_are_read_in_the_business_time_zone(tmp_path: Path) -> None:
    container = open_container(make_settings(tmp_path, timezone="Europe/Vienna"))
    try:
        with http_client(container) as client:
            ids = setup(client)
            # 08:30 UTC is 09:30 in Vienna; 07:30 UTC is 08:30 there, before the window.
            assert call_at(client, ids, "08:30").status_code == 201
            assert_problem(call_at(client, ids, "07:30"), 409, "contact_unavailable")
            # A time without a zone is read in the business time zone.
            naive = post(client, contact=ids["jane"], start_at=f"{FRIDAY}T09:00:00")
            assert naive.status_code == 201, naive.text
            assert naive.json()["start_at"] == "2026-01-16T08:00:00Z"
    finally:
        container.close()


def test_rescheduling_keeps_to_the_hours_unless_forced(client: Any) -> None:
    ids = setup(client)
    call = call_at(client, ids, "10:00").json()
    url = f"/v1/activities/{call['id']}"
    assert_problem(client.patch(url, json={"start_at": f"{FRIDAY}T12:30:00Z"}), 409, "contact_unavailable")
    moved = client.patch(url, json={"start_at": f"{FRIDAY}T12:30:00Z", "force": True})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["start_at"], moved.json()["forced"], moved.json()["version"]) == (
        "2026-01-16T12:30:00Z",
        True,
        2,
    )
    back = client.patch(url, json={"start_at": f"{FRIDAY}T14:00:00Z"}, headers={"If-Match": "2"})
    assert back.status_code == 200, back.text
    assert back.json()["forced"] is False
    assert_problem(client.patch(url, json={"due_on": FRIDAY}, headers={"If-Match": "2"}), 412, "version_conflict")


# -- reminders -------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_reminder_goes_to_the_assignee_once_at_its_moment(client: Any) -> None:
    ids = setup(client)
    call = call_at(client, ids, "10:00", "10:30", assignee="anna", remind_minutes_before=30)
    call_id = call.json()["id"]
    tick(client, f"{FRIDAY}T09:29:59Z")
    assert reminders(client) == []
    assert get(client, f"/v1/activities/{call_id}")["reminder_status"] == "pending"
    tick(client, f"{FRIDAY}T09:30:00Z")
    sent = reminders(client)
    assert len(sent) == 1
    message = sent[0]
    assert (message["channel"], message["purpose"], message["to"], message["partner"]) == (
        "email",
        "general",
        "anna@counterparty.test",
        ids["acme"]["id"],
    )
    assert message["queued_at"] == "2026-01-16T09:30:00Z"
    assert message["template"] is None
    assert message["subject"] == "Reminder: call Renewal at 2026-01-16 10:00 UTC"
    assert "Hello Anna Schneider," in message["body"]
    assert (
        "your call with Acme Ltd (Jane Doe) starts at 2026-01-16 10:00 UTC and ends at 2026-01-16 10:30 UTC"
        in (message["body"])
    )
    activity = get(client, f"/v1/activities/{call_id}")
    assert (activity["reminder_status"], activity["reminder_message"]) == ("sent", message["id"])
    tick(client, f"{FRIDAY}T10:15:00Z")
    tick(client, "2026-01-20")
    assert [m["id"] for m in reminders(client)] == [message["id"]]


def test_a_tick_over_reminder_moments_stops_at_each(client: Any) -> None:
    ids = setup(client)
    call_at(client, ids, "10:00", assignee="anna", remind_minutes_before=30)
    call_at(client, ids, "14:00", assignee="luca", remind_minutes_before=5)
    # Monday's call is reminded on Sunday evening, before Monday's day start.
    post(client, start_at="2026-01-19T08:00:00Z", assignee="luca", remind_minutes_before=720)
    result = tick(client, "2026-01-19T12:00:00Z")
    assert result["days_run"] == ["2026-01-15", "2026-01-16", "2026-01-17", "2026-01-18", "2026-01-19"]
    sent = sorted((m["queued_at"], m["to"]) for m in reminders(client))
    assert sent == [
        ("2026-01-16T09:30:00Z", "anna@counterparty.test"),
        ("2026-01-16T13:55:00Z", "luca@counterparty.test"),
        ("2026-01-18T20:00:00Z", "luca@counterparty.test"),
    ]
    assert get(client, "/v1/clock")["now"] == "2026-01-19T12:00:00Z"


def test_a_reminder_already_due_when_planned_goes_at_once_and_none_for_the_past(client: Any) -> None:
    ids = setup(client)
    tick(client, f"{FRIDAY}T09:50:00Z")
    soon = call_at(client, ids, "10:00", assignee="anna", remind_minutes_before=30).json()
    assert get(client, f"/v1/activities/{soon['id']}")["reminder_status"] == "sent"
    assert [m["queued_at"] for m in reminders(client)] == ["2026-01-16T09:50:00Z"]
    past = call_at(client, ids, "09:00", assignee="anna", remind_minutes_before=30).json()
    assert (past["remind_at"], past["reminder_status"]) == (None, None)


def test_a_reminder_without_an_address_is_skipped_and_a_template_words_it(client: Any) -> None:
    ids = setup(client)
    nomail = call_at(client, ids, "10:00", assignee="bob", remind_minutes_before=10).json()
    template = {
        "code": "activity_reminder",
        "channel": "email",
        "purpose": "general",
        "subject": "{{ activity.subject }} in {{ activity.minutes_before }} min",
        "body": "{{ assignee.username }}: {{ activity.kind }} at {{ activity.start }}",
    }
    assert client.post("/v1/templates", json=template).status_code == 201
    call_at(client, ids, "11:00", assignee="luca", remind_minutes_before=10)
    tick(client, f"{FRIDAY}T12:00:00Z")
    skipped = get(client, f"/v1/activities/{nomail['id']}")
    assert (skipped["reminder_status"], skipped["reminder_message"]) == ("skipped", None)
    [message] = reminders(client)
    assert (message["template"], message["subject"], message["body"]) == (
        "activity_reminder",
        "Renewal in 10 min",
        "luca: call at 2026-01-16 11:00 UTC",
    )


def test_rescheduling_moves_the_reminder_and_completing_cancels_it(client: Any) -> None:
    ids = setup(client)
    call = call_at(client, ids, "10:00", assignee="anna", remind_minutes_before=30).json()
    url = f"/v1/activities/{call['id']}"
    tick(client, f"{FRIDAY}T09:30:00Z")
    moved = client.patch(url, json={"start_at": f"{FRIDAY}T15:00:00Z", "remind_minutes_before": 60})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["remind_at"], moved.json()["reminder_status"]) == ("2026-01-16T14:00:00Z", "pending")
    tick(client, f"{FRIDAY}T14:00:00Z")
    assert sorted(m["queued_at"] for m in reminders(client)) == ["2026-01-16T09:30:00Z", "2026-01-16T14:00:00Z"]
    # Reassigned and moved again, then completed before its moment: nothing more goes out.
    later = client.patch(url, json={"assignee": "luca", "start_at": f"{FRIDAY}T16:00:00Z"})
    assert (later.json()["assignee"], later.json()["remind_at"]) == ("luca", "2026-01-16T15:00:00Z")
    done = client.post(f"{url}/complete", json={"outcome": "Called earlier"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome"], done.json()["completed_at"]) == (
        "completed",
        "Called earlier",
        "2026-01-16T14:00:00Z",
    )
    tick(client, f"{FRIDAY}T18:00:00Z")
    assert len(reminders(client)) == 2
    assert_problem(client.patch(url, json={"due_on": FRIDAY}), 409, "activity_completed")
    again = client.post(f"{url}/complete")
    assert (again.status_code, again.json()["version"]) == (200, done.json()["version"])


# -- overdue tasks and the agenda ----------------------------------------------------------------------


def test_a_task_past_its_due_date_is_overdue_until_completed(client: Any) -> None:
    setup(client)
    task = planned(client, kind="task", subject="Send the offer", due_on=FRIDAY, assignee="anna")
    assert task["overdue"] is False
    tick(client, FRIDAY)
    assert get(client, f"/v1/activities/{task['id']}")["overdue"] is False  # due today is not late
    tick(client, "2026-01-17")
    assert get(client, f"/v1/activities/{task['id']}")["overdue"] is True
    assert [a["id"] for a in get(client, "/v1/activities", overdue="true")["items"]] == [task["id"]]
    assert [a["id"] for a in get(client, "/v1/agenda", assignee="anna")["overdue_tasks"]] == [task["id"]]
    client.post(f"/v1/activities/{task['id']}/complete")
    assert get(client, f"/v1/activities/{task['id']}")["overdue"] is False
    assert get(client, "/v1/agenda", assignee="anna")["overdue_tasks"] == []
    assert get(client, "/v1/activities", overdue="true")["items"] == []
    assert [a["id"] for a in get(client, "/v1/activities", status="completed", kind="task")["items"]] == [task["id"]]


@pytest.mark.postgres
def test_the_agenda_filters_by_assignee_and_period(client: Any) -> None:
    ids = setup(client)
    anna_friday = call_at(client, ids, "10:00", assignee="anna", remind_minutes_before=60).json()
    luca_friday = call_at(client, ids, "14:00", assignee="luca").json()
    anna_monday = planned(client, kind="meeting", start_at="2026-01-19T09:00:00Z", assignee="anna")
    anna_task = planned(client, kind="task", due_on="2026-01-20", assignee="anna")
    late_task = planned(client, kind="task", due_on="2026-01-15", assignee="anna")
    tick(client, f"{FRIDAY}T09:15:00Z")

    agenda = get(client, "/v1/agenda", assignee="anna")
    assert (agenda["assignee"], agenda["from"], agenda["to"], agenda["today"], agenda["now"]) == (
        "anna",
        FRIDAY,
        FRIDAY,
        FRIDAY,
        "2026-01-16T09:15:00Z",
    )
    assert [a["id"] for a in agenda["activities"]] == [anna_friday["id"]]
    assert [(r["activity"], r["remind_at"], r["status"]) for r in agenda["reminders"]] == [
        (anna_friday["id"], "2026-01-16T09:00:00Z", "sent")
    ]
    assert agenda["reminders"][0]["message"] is not None
    assert [a["id"] for a in agenda["overdue_tasks"]] == [late_task["id"]]

    week = get(client, "/v1/agenda", assignee="anna", **{"from": FRIDAY, "to": "2026-01-20"})
    assert [a["id"] for a in week["activities"]] == [anna_friday["id"], anna_monday["id"], anna_task["id"]]
    everyone = get(client, "/v1/agenda", **{"from": FRIDAY, "to": FRIDAY})
    assert [a["id"] for a in everyone["activities"]] == [anna_friday["id"], luca_friday["id"]]
    assert get(client, "/v1/agenda", assignee="luca")["reminders"] == []
    assert get(client, "/v1/agenda", assignee="luca", **{"from": "2026-01-19"})["activities"] == []
    body = assert_problem(client.get("/v1/agenda", params={"from": "2026-01-20", "to": "2026-01-19"}), 422)
    assert ["query", "to"] in error_locs(body)
    assert_problem(client.get("/v1/agenda", params={"from": "2026-01-01", "to": "2027-01-02"}), 422)
    # The reminder's activity has begun: it is no longer a reminder due.
    tick(client, f"{FRIDAY}T10:00:00Z")
    assert get(client, "/v1/agenda", assignee="anna")["reminders"] == []


def test_lists_filter_and_page(client: Any) -> None:
    setup(client)
    for n in range(5):
        planned(client, kind="task", subject=f"T{n}", due_on=f"2026-01-2{n}", assignee="anna" if n % 2 else "luca")
    first = get(client, "/v1/activities", limit=2)
    assert [a["subject"] for a in first["items"]] == ["T0", "T1"]
    second = get(client, "/v1/activities", limit=2, cursor=first["next_cursor"])
    assert [a["subject"] for a in second["items"]] == ["T2", "T3"]
    assert [a["subject"] for a in get(client, "/v1/activities", assignee="anna")["items"]] == ["T1", "T3"]
    assert get(client, "/v1/activities", partner="OTHER")["items"] == []
    assert_problem(client.get("/v1/activities", params={"partner": "NOPE"}), 404)
    assert_problem(client.get("/v1/activities", params={"status": "lost"}), 422)


# -- collection tasks ------------------------------------------------------------------------------


TASK_SCHEME = {
    "code": "TASKS",
    "name": "Tasks only",
    "is_default": True,
    "levels": [
        {
            "seq": 1,
            "name": "L1",
            "days_after_due": 7,
            "actions": [{"type": "task", "title": "Call customer", "assignee": "sales_rep", "due_in_days": 2}],
        },
        {
            "seq": 2,
            "name": "L2",
            "days_after_due": 14,
            "actions": [{"type": "task", "title": "Escalate to finance", "assignee": "luca"}],
        },
    ],
}


def test_a_collection_task_is_in_the_agenda_once(client: Any) -> None:
    ids = setup(client)
    assert client.post("/v1/collection/schemes", json=TASK_SCHEME).status_code == 201
    invoice_of(client, ids["acme"]["id"], "500.00", due_date="2026-01-15")
    invoice_of(client, ids["acme"]["id"], "300.00", due_date="2026-01-15")
    tick(client, "2026-01-22")
    again = client.post("/v1/collection/runs", json={"date": "2026-01-22"})
    assert again.status_code == 200, again.text

    agenda = get(client, "/v1/agenda", assignee="anna", **{"from": "2026-01-24", "to": "2026-01-24"})
    [task] = agenda["activities"]
    assert (task["kind"], task["subject"], task["partner"], task["contact"], task["due_on"]) == (
        "task",
        "Call customer",
        ids["acme"]["id"],
        ids["jane"],
        "2026-01-24",
    )
    assert (task["origin"], task["status"], task["created_on"]) == ("collection", "open", "2026-01-22")
    # One task for both invoices of the level (one group), named in both cases' history.
    cases = get(client, "/v1/collection/cases", partner="ACME")["items"]
    assert sorted(task["cases"]) == sorted(c["id"] for c in cases)
    assert {h["task"] for c in cases for h in c["history"] if h["action"] == "task"} == {task["id"]}
    assert len(get(client, "/v1/activities", partner="ACME", kind="task")["items"]) == 1

    tick(client, "2026-01-29")
    client.post("/v1/collection/runs", json={"date": "2026-01-29"})
    escalations = get(client, "/v1/activities", assignee="luca")["items"]
    assert [(a["subject"], a["due_on"]) for a in escalations] == [("Escalate to finance", "2026-01-29")]
    assert [a["id"] for a in get(client, "/v1/agenda", assignee="anna")["overdue_tasks"]] == [task["id"]]


def test_a_collection_task_for_a_partner_without_a_sales_rep_is_unassigned(sqlite_client: Any) -> None:
    client = sqlite_client
    ids = setup(client)
    assert client.post("/v1/collection/schemes", json=TASK_SCHEME).status_code == 201
    invoice_of(client, ids["other"]["id"], "500.00", due_date="2026-01-15")
    tick(client, "2026-01-22")
    [task] = get(client, "/v1/activities", partner="OTHER")["items"]
    assert (task["assignee"], task["contact"]) == (None, None)
    assert [a["id"] for a in get(client, "/v1/agenda", **{"from": "2026-01-24"})["activities"]] == [task["id"]]


# -- the partner's timeline and profile ------------------------------------------------------------------


def test_activities_in_the_timeline_and_the_profile(client: Any) -> None:
    ids = setup(client)
    call = call_at(client, ids, "10:00", assignee="anna").json()
    task = planned(client, kind="task", subject="Send the offer", due_on="2026-01-20")
    planned(client, kind="note", subject="Prefers phone calls")
    client.patch(f"/v1/activities/{call['id']}", json={"assignee": "luca"})
    client.post(f"/v1/activities/{call['id']}/complete", json={"outcome": "Renewal agreed"})

    entries = get(client, "/v1/partners/ACME/timeline", kind="activity")["items"]
    assert [e["summary"] for e in entries] == [
        'Call "Renewal" planned for 2026-01-16T10:00:00Z, assigned to anna',
        'Task "Send the offer" planned for 2026-01-20',
        'Note "Prefers phone calls" recorded',
        'Call "Renewal" reassigned to luca',
        'Call "Renewal" completed: Renewal agreed',
    ]
    assert {e["ref"] for e in entries} >= {call["id"], task["id"]}
    profile = get(client, "/v1/partners/ACME/profile")
    assert [a["id"] for a in profile["next_activities"]] == [task["id"]]
    assert [a["subject"] for a in profile["last_activities"]] == ["Renewal", "Prefers phone calls"]


def test_an_absorbed_partners_activities_are_the_survivors(sqlite_client: Any) -> None:
    client = sqlite_client
    setup(client)
    task = planned(client, kind="task", partner="OTHER", due_on=FRIDAY)
    assert client.post("/v1/partners/ACME/merge", json={"absorb": ["OTHER"]}).status_code == 200
    assert [a["id"] for a in get(client, "/v1/activities", partner="ACME")["items"]] == [task["id"]]
    assert [a["id"] for a in get(client, "/v1/partners/ACME/profile")["next_activities"]] == [task["id"]]


def test_analysts_read_but_do_not_plan(client: Any) -> None:
    setup(client)
    analyst = role_headers(client, "analyst")
    body = {"kind": "task", "partner": "ACME", "subject": "Nope", "due_on": FRIDAY}
    assert_problem(client.post("/v1/activities", json=body, headers=analyst), 403, "forbidden")
    assert client.get("/v1/agenda", headers=analyst).status_code == 200
