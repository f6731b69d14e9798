"""A partner's addresses and the rule of one default address per usage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from aggregates.base import DomainEvent, Value
from aggregates.personal import Personal


class Address(Value):
    id: UUID
    usage: tuple[str, ...] = ()
    label: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""
    is_default: bool = False


# Where a person lives (a partner's address is personal once the partner is a person).
ADDRESS_FIELDS = ("street", "city", "postal_code", "region")
ADDRESS = Personal("address", ADDRESS_FIELDS, known_only=True)


def _defaults_not_recorded(state: dict[str, Any]) -> None:
    state["defaults"] = None


class AddressAdded(DomainEvent):
    """``defaults``: the ids of the partner's default addresses after it, so that no reader
    repeats the "one default per usage" rule. Version 1 did not record them (None): a reader
    derives them with ``defaults_after``."""

    TOPIC = "counterparty.partner.AddressAdded.v1"
    PERSONAL = (ADDRESS,)
    class_version = 2
    address: Address
    defaults: tuple[UUID, ...] | None

    upcast_v1_v2 = staticmethod(_defaults_not_recorded)


class AddressChanged(DomainEvent):
    """``defaults`` as in ``AddressAdded``."""

    TOPIC = "counterparty.partner.AddressChanged.v1"
    PERSONAL = (ADDRESS,)
    class_version = 2
    address: Address
    defaults: tuple[UUID, ...] | None

    upcast_v1_v2 = staticmethod(_defaults_not_recorded)


class AddressRemoved(DomainEvent):
    TOPIC = "counterparty.partner.AddressRemoved.v1"
    address_id: UUID


def defaults_after(addresses: Iterable[Address], stored: Address) -> tuple[UUID, ...]:
    """The ids of the default addresses once ``stored`` is added or changed: one default per
    usage, so a new default takes it from the others with a usage in common (and one without
    usage from the others without)."""

    def loses_default(other: Address) -> bool:
        common = set(other.usage) & set(stored.usage) or not (other.usage or stored.usage)
        return stored.is_default and bool(common)

    result = {a.id: a for a in addresses if a.is_default and not loses_default(a)}
    result.pop(stored.id, None)
    return (*result, stored.id) if stored.is_default else tuple(result)
