"""A template is a client's code running inside the service: whatever it does, rendering it fails
as ``template_render_failed`` (a refused command, or a skipped action in a run), never as an error
of the service, and a template that can never be rendered is refused when it is saved."""

from __future__ import annotations

import time
from typing import Any

import pytest

from aggregates.collection_case import ActionExecuted, ActionSkipped
from aggregates.collection_scheme import ActionType
from aggregates.errors import Conflict, Invalid
from aggregates.message import MessageQueued
from commands import templating
from commands.messages import (
    ChangeTemplate,
    CreateTemplate,
    SendMessage,
    change_template,
    create_template,
    send_message,
)
from processes.collection import run_collection
from tests.commands.collection_helpers import L1, collection, define, invoice, level_of, on, register, run_of
from tests.gwt_commands import Flow

RECURSIVE = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"
# Passes the trial rendering when saved (no invoices there), recurses for every real group.
RECURSIVE_PER_INVOICE = "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{% for i in invoices %}{{ f(0) }}{% endfor %}"


def email_template(code: str, body: str) -> CreateTemplate:
    return CreateTemplate(code=code, channel="email", purpose="collection", subject="Overdue", body=body)


# -- refused when saved ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (RECURSIVE, "calls are nested more than 50 deep"),
        ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", "loops went round"),
        ("{{ 'x'|center(1000000000) }}", "a size of 1000000000 is over 100000"),
        ("{{ ('x' * 100000)|replace('x', 'yy') }}", "the replacement would be longer than 100000"),
    ],
)
def test_a_template_that_can_never_be_rendered_is_refused_when_saved(body: str, why: str) -> None:
    flow = Flow()
    with pytest.raises(Invalid) as caught:
        flow.run(create_template, email_template("BAD", body))
    ((error),) = caught.value.errors
    assert error["loc"] == ["body", "body"]
    assert error["msg"].startswith("the template cannot be rendered: ") and why in error["msg"]
    assert flow.store.head() == 0


def test_a_change_to_a_template_that_can_never_be_rendered_is_refused() -> None:
    flow = Flow()
    flow.given_command(create_template, email_template("R1", "Dear {{ partner.name }}"))
    with pytest.raises(Invalid):
        flow.run(change_template, ChangeTemplate(code="R1", body=RECURSIVE))


# -- failing when rendered ---------------------------------------------------------------------------


def send(flow: Flow, template: str, **variables: Any) -> Flow:
    command = SendMessage(channel="email", partner="ACME", to="ap@acme.example", template=template, variables=variables)
    return flow.when(send_message, command)


def test_a_message_whose_template_recurses_is_refused_and_records_nothing() -> None:
    flow = Flow()
    register(flow, "ACME")
    flow.given_command(create_template, email_template("T1", RECURSIVE_PER_INVOICE))
    error = send(flow, "T1", invoices=[{"number": "IN1"}]).then_raises(Conflict, "template_render_failed")
    assert error.detail == "template T1: calls are nested more than 50 deep (a macro calling itself?)"
    send(flow, "T1", invoices=[]).then(MessageQueued)


def test_the_sandbox_is_read_only() -> None:
    flow = Flow()
    register(flow, "ACME")
    mutations = {
        "T1": "{{ partner.update({'name': 'Hacked'}) }}",
        "T2": "{{ invoices.append(1) }}",
        "T3": "{{ partner.tags.clear() }}",
        "T4": "{{ partner.__setattr__('name', 'x') }}",
    }
    for code, body in mutations.items():
        flow.given_command(create_template, email_template(code, body))
        send(flow, code, invoices=[]).then_raises(Conflict, "template_render_failed")
    values: dict[str, Any] = {"d": {"a": 1}, "l": [1]}
    with pytest.raises(Conflict):
        templating.render("{% set _ = d.pop('a') %}", values)
    assert values == {"d": {"a": 1}, "l": [1]}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("{% macro m() %}{% for i in items %}{{ big }}{% endfor %}{% endmacro %}{{ m()|length }}", "produced more"),
        ("{% for i in items %}{{ big }}{% endfor %}", "the text is longer than 100000 characters"),
        ("{% for i in items %}{% for j in items %}{% endfor %}{% endfor %}", "loops went round more than 100000"),
        ("{% set s = big ~ big %}", "a value is longer than 100000"),
        ("{{ (big + big)|length }}", "a value is longer than 100000"),
        ("{{ '{:>{w}}'.format(1, w=10 ** 9) }}", "a size of 1000000000 is over 100000"),
        ("{{ '%0999999999d' % 1 }}", "a size of 999999999 is over 100000"),
        ("{% for x in items recursive %}{{ loop(items) }}{% endfor %}", "nested more than 50 deep"),
    ],
)
def test_rendering_is_bounded(body: str, why: str) -> None:
    values = {"items": list(range(1000)), "big": "x" * 100_000}
    started = time.monotonic()
    with pytest.raises(Conflict) as caught:
        templating.render(body, values)
    assert caught.value.code == "template_render_failed"
    assert why in caught.value.detail
    assert time.monotonic() - started < 2 * templating.MAX_SECONDS + 1


def test_rendering_has_a_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templating, "MAX_SECONDS", 0.0)
    with pytest.raises(Conflict) as caught:
        templating.render("{% for i in items %}{{ i }}{% endfor %}", {"items": list(range(1000))})
    assert caught.value.detail == "template: rendering took longer than 0.0 s"


class Slow:
    """A value that keeps the rendering thread waiting without working, as a busy machine does."""

    @property
    def value(self) -> str:
        time.sleep(0.01)
        return "v"


def test_time_spent_waiting_does_not_count_against_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(templating, "MAX_SECONDS", 0.02)
    rendered = templating.render(
        "{% for i in items %}{{ slow.value }}{% endfor %}", {"items": range(10), "slow": Slow()}
    )
    assert rendered == "v" * 10  # 0.1 s on the wall clock, far less of CPU time


def test_ordinary_templates_render_as_before() -> None:
    body = "{{ '%s: %.2f' % (name, 1234.5) }} {{ '{:,}'.format(1234567) }} {{ 'a' + 'b' }} {{ (['x'] * 3)|join }}"
    assert templating.render(body, {"name": "Acme"}) == "Acme: 1234.50 1,234,567 ab xxx"


# -- in a collection run -----------------------------------------------------------------------------


def test_a_template_that_cannot_be_rendered_skips_its_action_and_the_run_completes_for_the_others() -> None:
    flow = collection()
    flow.given_command(create_template, email_template("P1", RECURSIVE_PER_INVOICE))
    define(flow, "BAD", is_default=False, levels=[{**L1, "actions": [{"type": "email", "template": "P1"}]}])
    good = register(flow, "GOOD")
    register(flow, "POISONED", collection_scheme="BAD")
    docs = {code: invoice(flow, code, "100.00") for code in ("GOOD", "POISONED")}
    flow.day(on(22))
    assert (level_of(flow, docs["GOOD"]), level_of(flow, docs["POISONED"])) == (1, 1)
    (executed,) = flow.events(ActionExecuted)
    (skipped,) = flow.events(ActionSkipped)
    (message,) = flow.events(MessageQueued)
    assert (executed.action, executed.message) == (ActionType.EMAIL, message.originator_id)
    assert message.composition.partner == good
    assert (skipped.action, skipped.reason, skipped.on) == (ActionType.EMAIL, "template_render_failed", on(22))
    report = run_of(flow, on(22))
    assert (report.partners, report.counts) == (
        2,
        {"levels_reached": 2, "emails": 1, "skipped_template_render_failed": 1},
    )
    # Running the date again adds nothing.
    flow.when_run(run_collection, flow.run, flow.reads, on(22))
    assert flow.result == {"day": on(22), "ran": False}
    flow.then()
