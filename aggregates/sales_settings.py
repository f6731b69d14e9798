"""Company-wide sales settings."""

from __future__ import annotations

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id

SETTINGS_ID = natural_id("sales-settings", "company")


class SalesSettingsOpened(CreatedEvent):
    TOPIC = "counterparty.settings.SalesSettingsOpened.v1"


class QuoteSettingsChanged(DomainEvent):
    TOPIC = "counterparty.settings.QuoteSettingsChanged.v1"
    order_on_accept: bool


class SalesSettings(Aggregate):
    TOPIC = "counterparty.settings.SalesSettings"

    order_on_accept: bool

    @classmethod
    def open(cls) -> SalesSettings:
        return cls._create(SalesSettingsOpened, id=SETTINGS_ID)

    @event(SalesSettingsOpened)
    def _opened(self) -> None:
        self.order_on_accept = False

    def set_quotes(self, order_on_accept: bool) -> None:
        if order_on_accept != self.order_on_accept:
            self._quotes_changed(order_on_accept=order_on_accept)

    @event(QuoteSettingsChanged)
    def _quotes_changed(self, order_on_accept: bool) -> None:
        self.order_on_accept = order_on_accept
