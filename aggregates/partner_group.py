"""Partner groups: credit watch threshold, collection scheme and request priority boost."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id


class GroupSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    credit_watch_percent: Decimal = Decimal("90.00")
    collection_scheme: str | None = None
    request_priority_boost: int = 0


class PartnerGroupCreated(CreatedEvent):
    TOPIC = "counterparty.group.PartnerGroupCreated.v1"
    code: str
    settings: GroupSettings


class PartnerGroupChanged(DomainEvent):
    TOPIC = "counterparty.group.PartnerGroupChanged.v1"
    settings: GroupSettings


class PartnerGroup(Aggregate):
    TOPIC = "counterparty.group.PartnerGroup"

    code: str
    settings: GroupSettings

    @staticmethod
    def id_for(code: str) -> UUID:
        return natural_id("partner-group", code)

    @classmethod
    def create(cls, code: str, settings: GroupSettings) -> PartnerGroup:
        return cls._create(PartnerGroupCreated, id=cls.id_for(code), code=code, settings=settings)

    @event(PartnerGroupCreated)
    def _created(self, code: str, settings: GroupSettings) -> None:
        self.code = code
        self.settings = settings

    def change(self, settings: GroupSettings) -> None:
        if settings != self.settings:
            self._changed(settings=settings)

    @event(PartnerGroupChanged)
    def _changed(self, settings: GroupSettings) -> None:
        self.settings = settings
