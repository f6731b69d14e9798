"""Message templates: the text of e-mails, SMS and letters, versioned by events, and the default
template of each channel, purpose and language.

A template's source is Jinja2; compiling it (and refusing a bad one) is the command layer's work,
so the domain stays free of the template engine. Every content change is a new revision, and a
message records the revision it was rendered from next to its exact text."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.errors import conflict


class Channel(Enum):
    EMAIL = "email"
    SMS = "sms"
    LETTER = "letter"


class Purpose(Enum):
    COLLECTION = "collection"
    REQUEST = "request"
    CAMPAIGN = "campaign"
    DOCUMENT = "document"
    GENERAL = "general"


class TemplateContent(BaseModel):
    """What a revision of a template says and where it applies."""

    model_config = ConfigDict(frozen=True)

    channel: Channel
    purpose: Purpose
    language: str = "en"
    subject: str = ""
    body: str


CONTENT_FIELDS = tuple(TemplateContent.model_fields)


class TemplateCreated(CreatedEvent):
    TOPIC = "counterparty.template.TemplateCreated.v1"
    code: str
    content: TemplateContent


class TemplateChanged(DomainEvent):
    """A new revision: ``revision`` counts the template's versions (the first is 1)."""

    TOPIC = "counterparty.template.TemplateChanged.v1"
    revision: int
    fields: tuple[str, ...]
    content: TemplateContent


def _check(content: TemplateContent) -> None:
    if not content.body.strip():
        raise conflict("template_body_required", "a template needs a body")
    if content.channel is Channel.EMAIL and not content.subject.strip():
        raise conflict("template_subject_required", "an e-mail template needs a subject")


class Template(Aggregate):
    TOPIC = "counterparty.template.Template"
    SNAPSHOT_EVERY = 50

    code: str
    content: TemplateContent
    revision: int

    @staticmethod
    def id_for(code: str) -> UUID:
        return natural_id("template", code)

    @classmethod
    def create(cls, code: str, content: TemplateContent) -> Template:
        _check(content)
        return cls._create(TemplateCreated, id=cls.id_for(code), code=code, content=content)

    @event(TemplateCreated)
    def _created(self, code: str, content: TemplateContent) -> None:
        self.code = code
        self.content = content
        self.revision = 1

    def change(self, content: TemplateContent) -> None:
        """Records a new revision when anything differs; the same content again records nothing."""
        if content == self.content:
            return
        _check(content)
        fields = tuple(f for f in CONTENT_FIELDS if getattr(content, f) != getattr(self.content, f))
        self._changed(revision=self.revision + 1, fields=fields, content=content)

    @event(TemplateChanged)
    def _changed(self, revision: int, fields: tuple[str, ...], content: TemplateContent) -> None:
        self.content = content
        self.revision = revision

    @property
    def default_key(self) -> DefaultKey:
        c = self.content
        return DefaultKey(channel=c.channel, purpose=c.purpose, language=c.language)


# -- the default template of each channel, purpose and language -----------------------------------


class DefaultKey(BaseModel):
    model_config = ConfigDict(frozen=True)

    channel: Channel
    purpose: Purpose
    language: str

    @property
    def text(self) -> str:
        return f"{self.channel.value}/{self.purpose.value}/{self.language}"


class TemplateDefaultsOpened(CreatedEvent):
    TOPIC = "counterparty.template.TemplateDefaultsOpened.v1"


class DefaultTemplateSet(DomainEvent):
    """``code`` became the default for ``key``, taking it from ``previous`` (if any)."""

    TOPIC = "counterparty.template.DefaultTemplateSet.v1"
    key: DefaultKey
    code: str
    previous: str | None


class DefaultTemplateCleared(DomainEvent):
    TOPIC = "counterparty.template.DefaultTemplateCleared.v1"
    key: DefaultKey
    code: str


DEFAULTS_ID = natural_id("template-defaults")


class TemplateDefaults(Aggregate):
    """One stream holds the whole map, so two clerks making two templates the default for one key
    race on one version: exactly one default per channel, purpose and language."""

    TOPIC = "counterparty.template.TemplateDefaults"
    SNAPSHOT_EVERY = 100

    defaults: dict[str, str]

    @classmethod
    def open(cls) -> TemplateDefaults:
        return cls._create(TemplateDefaultsOpened, id=DEFAULTS_ID)

    @event(TemplateDefaultsOpened)
    def _opened(self) -> None:
        self.defaults = {}

    def default_for(self, key: DefaultKey) -> str | None:
        return self.defaults.get(key.text)

    def is_default(self, code: str, key: DefaultKey) -> bool:
        return self.defaults.get(key.text) == code

    def make_default(self, code: str, key: DefaultKey) -> None:
        previous = self.defaults.get(key.text)
        if previous == code:
            return
        self._set(key=key, code=code, previous=previous)

    @event(DefaultTemplateSet)
    def _set(self, key: DefaultKey, code: str, previous: str | None) -> None:
        self.defaults[key.text] = code

    def clear(self, code: str, key: DefaultKey) -> None:
        """``code`` stops being the default of ``key`` (nothing if it is not)."""
        if self.defaults.get(key.text) == code:
            self._cleared(key=key, code=code)

    @event(DefaultTemplateCleared)
    def _cleared(self, key: DefaultKey, code: str) -> None:
        del self.defaults[key.text]
