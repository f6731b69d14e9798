"""Custom field definitions and the validation of values by type."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict

from aggregates.base import Aggregate, CreatedEvent, DomainEvent, event, natural_id
from aggregates.errors import Invalid, conflict


class FieldEntity(Enum):
    PARTNER = "partner"
    CONTACT = "contact"
    DOCUMENT = "document"
    REQUEST = "request"


class FieldType(Enum):
    STRING = "string"
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    DATE = "date"
    BOOLEAN = "boolean"
    SELECT = "select"
    MULTISELECT = "multiselect"
    EMAIL = "email"
    URL = "url"
    PHONE = "phone"


class CustomFieldDefinition(BaseModel):
    model_config = ConfigDict(frozen=True)

    entity: FieldEntity
    code: str
    label: str
    type: FieldType
    options: tuple[str, ...] = ()
    required: bool = False


class CustomFieldsOpened(CreatedEvent):
    TOPIC = "counterparty.customfield.CustomFieldsOpened.v1"


class CustomFieldDefined(DomainEvent):
    TOPIC = "counterparty.customfield.CustomFieldDefined.v1"
    definition: CustomFieldDefinition


CATALOG_ID = natural_id("custom-fields", "catalog")


class CustomFieldCatalog(Aggregate):
    """Every custom field definition, in one stream, so a command sees all of an entity's fields
    (the required ones too) in one load."""

    TOPIC = "counterparty.customfield.CustomFieldCatalog"

    fields: dict[tuple[FieldEntity, str], CustomFieldDefinition]

    @classmethod
    def open(cls) -> CustomFieldCatalog:
        return cls._create(CustomFieldsOpened, id=CATALOG_ID)

    @event(CustomFieldsOpened)
    def _opened(self) -> None:
        self.fields = {}

    def define(self, definition: CustomFieldDefinition) -> None:
        if definition.type in (FieldType.SELECT, FieldType.MULTISELECT) and not definition.options:
            raise Invalid(["body", "options"], "a select field needs options")
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", definition.code):
            raise Invalid(["body", "code"], "a code is lower-case letters, digits and _, starting with a letter")
        if (definition.entity, definition.code) in self.fields:
            raise conflict("custom_field_exists", f"a custom field {definition.code} already exists")
        self._defined(definition=definition)

    @event(CustomFieldDefined)
    def _defined(self, definition: CustomFieldDefinition) -> None:
        self.fields[(definition.entity, definition.code)] = definition

    def for_entity(self, entity: FieldEntity) -> dict[str, CustomFieldDefinition]:
        return {code: d for (e, code), d in self.fields.items() if e is entity}


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,25}$")


def coerce_value(definition: CustomFieldDefinition, value: Any, loc: list[str | int]) -> Any:
    """The value in its canonical JSON form (decimals and dates as strings), or ``Invalid``."""
    kind = definition.type
    if value is None:
        return None

    def fail(msg: str) -> Invalid:
        return Invalid(loc, msg)

    if kind in (FieldType.STRING, FieldType.TEXT):
        if not isinstance(value, str):
            raise fail("must be a string")
        if kind is FieldType.STRING and len(value) > 255:
            raise fail("must be at most 255 characters")
        return value
    if kind is FieldType.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
                return int(value)
            raise fail("must be an integer")
        if abs(value) >= 10**18:  # as for strings; the store's JSON holds 64-bit integers only
            raise fail("must be an integer")
        return value
    if kind in (FieldType.DECIMAL, FieldType.MONEY):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise fail("must be a number")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise fail("must be a number") from None
        if not number.is_finite():
            raise fail("must be a finite number")
        if kind is FieldType.MONEY:
            try:
                cents = number.quantize(Decimal("0.01"))
            except InvalidOperation:  # more digits than the decimal context holds, e.g. 1e30
                raise fail("must be a number") from None
            if number != cents:
                raise fail("money has at most two decimals")
            return str(cents)
        return str(number)
    if kind is FieldType.DATE:
        try:
            if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
                return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
        raise fail("must be a date YYYY-MM-DD")
    if kind is FieldType.BOOLEAN:
        if not isinstance(value, bool):
            raise fail("must be true or false")
        return value
    if kind is FieldType.SELECT:
        if value not in definition.options:
            raise fail(f"must be one of {', '.join(definition.options)}")
        return value
    if kind is FieldType.MULTISELECT:
        if not isinstance(value, list) or any(v not in definition.options for v in value):
            raise fail(f"must be a list of {', '.join(definition.options)}")
        return list(dict.fromkeys(value))
    pattern = {FieldType.EMAIL: _EMAIL, FieldType.URL: _URL, FieldType.PHONE: _PHONE}[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise fail(f"must be a valid {kind.value}")
    return value


def validate_custom_fields(
    definitions: dict[str, CustomFieldDefinition],
    values: dict[str, Any],
    loc_prefix: list[str | int],
    require_all: bool,
) -> dict[str, Any]:
    """Checks every value against its definition; unknown codes and missing required fields fail."""
    clean: dict[str, Any] = {}
    for code, value in values.items():
        loc = [*loc_prefix, code]
        definition = definitions.get(code)
        if definition is None:
            raise Invalid(loc, f"unknown custom field {code}")
        coerced = coerce_value(definition, value, loc)
        if coerced in (None, "", []) and definition.required:
            raise Invalid(loc, "this field is required")
        if coerced is not None:
            clean[code] = coerced
    if require_all:
        for code, definition in definitions.items():
            if definition.required and code not in clean:
                raise Invalid([*loc_prefix, code], "this field is required")
    return clean
