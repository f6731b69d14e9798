"""Templates: revisions, the one default per channel, purpose and language, and the sandboxed
Jinja2 compilation and rendering of the command layer."""

from __future__ import annotations

import pytest

from aggregates.errors import Conflict, Invalid
from aggregates.template import (
    DEFAULTS_ID,
    Channel,
    DefaultKey,
    DefaultTemplateCleared,
    DefaultTemplateSet,
    Purpose,
    Template,
    TemplateChanged,
    TemplateContent,
    TemplateCreated,
    TemplateDefaults,
    TemplateDefaultsOpened,
)
from commands import templating
from tests.gwt import given, like

EMAIL = TemplateContent(channel=Channel.EMAIL, purpose=Purpose.COLLECTION, subject="Reminder", body="Dear {{ name }}")
KEY = DefaultKey(channel=Channel.EMAIL, purpose=Purpose.COLLECTION, language="en")
KEY_DE = DefaultKey(channel=Channel.EMAIL, purpose=Purpose.COLLECTION, language="de")


def created(code: str = "R1", content: TemplateContent = EMAIL) -> TemplateCreated:
    return TemplateCreated(
        originator_id=Template.id_for(code),
        originator_version=1,
        originator_topic=Template.TOPIC,
        code=code,
        content=content,
    )


def opened() -> TemplateDefaultsOpened:
    return TemplateDefaultsOpened(
        originator_id=DEFAULTS_ID, originator_version=1, originator_topic=TemplateDefaults.TOPIC
    )


def default_set(code: str, previous: str | None = None, version: int = 2, key: DefaultKey = KEY) -> DefaultTemplateSet:
    return DefaultTemplateSet(
        originator_id=DEFAULTS_ID, originator_version=version, key=key, code=code, previous=previous
    )


# -- revisions -----------------------------------------------------------------------------------


def test_a_template_is_created_at_revision_one_under_its_code() -> None:
    template = (
        given().when(lambda _: Template.create("R1", EMAIL)).then(like(TemplateCreated, code="R1", content=EMAIL))
    )
    assert template.id == Template.id_for("R1")
    assert template.revision == 1


def test_a_change_is_a_new_revision_naming_the_fields() -> None:
    content = EMAIL.model_copy(update={"body": "Hello {{ name }}", "language": "de"})
    template = (
        given(created())
        .when(lambda t: t.change(content))
        .then(like(TemplateChanged, revision=2, fields=("language", "body"), content=content))
    )
    assert template.revision == 2
    assert template.default_key == KEY_DE


def test_the_same_content_again_records_nothing() -> None:
    given(created()).when(lambda t: t.change(EMAIL)).then()


def test_an_email_template_needs_a_subject() -> None:
    content = EMAIL.model_copy(update={"subject": "  "})
    given().when(lambda _: Template.create("R1", content)).then_raises(Conflict, "template_subject_required")
    given(created()).when(lambda t: t.change(content)).then_raises(Conflict, "template_subject_required")


def test_an_sms_needs_no_subject_but_every_template_a_body() -> None:
    sms = TemplateContent(channel=Channel.SMS, purpose=Purpose.COLLECTION, body="Please pay")
    given().when(lambda _: Template.create("S1", sms)).then(TemplateCreated)
    blank = sms.model_copy(update={"body": " \n"})
    given().when(lambda _: Template.create("S1", blank)).then_raises(Conflict, "template_body_required")


# -- defaults ------------------------------------------------------------------------------------


def test_the_first_default_of_a_key_takes_it_from_nobody() -> None:
    defaults = (
        given(opened())
        .when(lambda d: d.make_default("R1", KEY))
        .then(like(DefaultTemplateSet, code="R1", previous=None))
    )
    assert defaults.default_for(KEY) == "R1"
    assert defaults.default_for(KEY_DE) is None


def test_making_another_default_takes_it_from_the_previous_one() -> None:
    defaults = (
        given(opened(), default_set("R1"))
        .when(lambda d: d.make_default("R2", KEY))
        .then(like(DefaultTemplateSet, code="R2", previous="R1"))
    )
    assert defaults.default_for(KEY) == "R2"
    assert not defaults.is_default("R1", KEY)


def test_the_default_again_records_nothing() -> None:
    given(opened(), default_set("R1")).when(lambda d: d.make_default("R1", KEY)).then()


def test_each_language_has_its_own_default() -> None:
    defaults = (
        given(opened(), default_set("R1"))
        .when(lambda d: d.make_default("R1-DE", KEY_DE))
        .then(like(DefaultTemplateSet, code="R1-DE", previous=None))
    )
    assert defaults.default_for(KEY) == "R1"
    assert defaults.default_for(KEY_DE) == "R1-DE"


def test_clearing_the_default_leaves_the_key_without_one() -> None:
    defaults = given(opened(), default_set("R1")).when(lambda d: d.clear("R1", KEY)).then(DefaultTemplateCleared)
    assert defaults.default_for(KEY) is None
    given(opened(), default_set("R1")).when(lambda d: d.clear("R2", KEY)).then()


# -- compiling and rendering (commands/templating.py) --------------------------------------------


def test_a_syntax_error_is_refused_with_its_line() -> None:
    with pytest.raises(Invalid) as caught:
        templating.check("Dear {{ name }},\n\nplease pay {{ amount }\n", "body")
    assert caught.value.errors == [{"loc": ["body", "body"], "msg": "line 3: unexpected '}'"}]
    with pytest.raises(Invalid) as caught:
        templating.check("{% if x %}\nopen", "subject")
    assert caught.value.errors[0]["loc"] == ["body", "subject"]
    assert caught.value.errors[0]["msg"].startswith("line 1: Unexpected end of template")


def test_text_is_not_escaped_and_html_is() -> None:
    values = {"name": "Smith & <Sons>"}
    assert templating.render("Dear {{ name }}", values) == "Dear Smith & <Sons>"
    assert templating.render("<p>Dear {{ name }}</p>", values, html=True) == "<p>Dear Smith &amp; &lt;Sons&gt;</p>"


def test_an_unknown_variable_refuses_the_rendering() -> None:
    with pytest.raises(Conflict) as caught:
        templating.render("Dear {{ nmae }}", {"name": "x"})
    assert caught.value.code == "template_render_failed"
    assert "nmae" in caught.value.detail
    assert templating.render("{% if contact %}{{ contact.name }}{% else %}Sir{% endif %}", {"contact": None}) == "Sir"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ name.__class__.__init__.__globals__ }}",
        "{{ 'x' * 100000000 }}",
        "{{ 9 ** 99999999 }}",
        "{% for i in range(10000000) %}x{% endfor %}",
    ],
)
def test_the_sandbox_refuses_what_a_template_may_not_do(source: str) -> None:
    with pytest.raises(Conflict) as caught:
        templating.render(source, {"name": "x"})
    assert caught.value.code == "template_render_failed"
