"""Custom fields: every type accepts its good values (in canonical form) and refuses bad ones with
the field's code in ``loc``; required and unknown fields; the catalog refuses duplicates."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from aggregates.custom_field import (
    CATALOG_ID,
    CustomFieldCatalog,
    CustomFieldDefined,
    CustomFieldDefinition,
    CustomFieldsOpened,
    FieldEntity,
    FieldType,
    validate_custom_fields,
)
from aggregates.errors import Conflict, Invalid
from tests.gwt import given, like

LOC = ["body", "custom_fields"]


def definition(
    type_: FieldType,
    code: str = "field",
    options: tuple[str, ...] = (),
    required: bool = False,
    entity: FieldEntity = FieldEntity.PARTNER,
) -> CustomFieldDefinition:
    if not options and type_ in (FieldType.SELECT, FieldType.MULTISELECT):
        options = ("gold", "silver", "bronze")
    return CustomFieldDefinition(
        entity=entity, code=code, label=code.title(), type=type_, options=options, required=required
    )


def check(type_: FieldType, value: Any) -> Any:
    code = f"cf_{type_.value}"
    return validate_custom_fields({code: definition(type_, code)}, {code: value}, LOC, require_all=False)[code]


GOOD: list[tuple[FieldType, Any, Any]] = [
    (FieldType.STRING, "Vienna", "Vienna"),
    (FieldType.STRING, "", ""),
    (FieldType.STRING, "x" * 255, "x" * 255),
    (FieldType.TEXT, "line 1\nline 2", "line 1\nline 2"),
    (FieldType.TEXT, "y" * 10_000, "y" * 10_000),
    (FieldType.INTEGER, 42, 42),
    (FieldType.INTEGER, -7, -7),
    (FieldType.INTEGER, "42", 42),
    (FieldType.INTEGER, " -17 ", -17),
    (FieldType.INTEGER, "9" * 18, 999_999_999_999_999_999),
    (FieldType.INTEGER, -(10**18) + 1, -999_999_999_999_999_999),
    (FieldType.DECIMAL, "1.50", "1.50"),
    (FieldType.DECIMAL, 3, "3"),
    (FieldType.DECIMAL, 0.1, "0.1"),
    (FieldType.DECIMAL, " -2.125 ", "-2.125"),
    (FieldType.MONEY, "10", "10.00"),
    (FieldType.MONEY, 10.1, "10.10"),
    (FieldType.MONEY, "-3.5", "-3.50"),
    (FieldType.MONEY, "1234567.89", "1234567.89"),
    (FieldType.MONEY, 0, "0.00"),
    (FieldType.DATE, "2026-02-28", "2026-02-28"),
    (FieldType.DATE, "2024-02-29", "2024-02-29"),
    (FieldType.BOOLEAN, True, True),
    (FieldType.BOOLEAN, False, False),
    (FieldType.SELECT, "silver", "silver"),
    (FieldType.MULTISELECT, ["bronze", "gold", "bronze"], ["bronze", "gold"]),
    (FieldType.MULTISELECT, [], []),
    (FieldType.EMAIL, "eva.maier@acme.test", "eva.maier@acme.test"),
    (FieldType.URL, "https://acme.test/path?q=1", "https://acme.test/path?q=1"),
    (FieldType.URL, "HTTP://ACME.TEST", "HTTP://ACME.TEST"),
    (FieldType.PHONE, "+43 1 234-56", "+43 1 234-56"),
    (FieldType.PHONE, "(01) 234.567/8", "(01) 234.567/8"),
]

BAD: list[tuple[FieldType, Any, str]] = [
    (FieldType.STRING, 5, "must be a string"),
    (FieldType.STRING, "x" * 256, "must be at most 255 characters"),
    (FieldType.STRING, ["a"], "must be a string"),
    (FieldType.TEXT, 5, "must be a string"),
    (FieldType.INTEGER, True, "must be an integer"),
    (FieldType.INTEGER, 4.0, "must be an integer"),
    (FieldType.INTEGER, "4.5", "must be an integer"),
    (FieldType.INTEGER, "9" * 19, "must be an integer"),
    (FieldType.INTEGER, 10**18, "must be an integer"),  # the store's JSON holds 64-bit integers
    (FieldType.INTEGER, -(10**30), "must be an integer"),
    (FieldType.INTEGER, "forty", "must be an integer"),
    (FieldType.INTEGER, "", "must be an integer"),
    (FieldType.DECIMAL, "abc", "must be a number"),
    (FieldType.DECIMAL, "", "must be a number"),
    (FieldType.DECIMAL, True, "must be a number"),
    (FieldType.DECIMAL, [1], "must be a number"),
    (FieldType.DECIMAL, "NaN", "must be a finite number"),
    (FieldType.DECIMAL, "Infinity", "must be a finite number"),
    (FieldType.DECIMAL, float("inf"), "must be a finite number"),
    (FieldType.MONEY, "10.005", "money has at most two decimals"),
    (FieldType.MONEY, "1,50", "must be a number"),
    (FieldType.MONEY, "1e30", "must be a number"),  # more digits than Decimal holds with cents
    (FieldType.MONEY, False, "must be a number"),
    (FieldType.DATE, "2026-02-30", "must be a date YYYY-MM-DD"),
    (FieldType.DATE, "2025-02-29", "must be a date YYYY-MM-DD"),
    (FieldType.DATE, "28.02.2026", "must be a date YYYY-MM-DD"),
    (FieldType.DATE, "2026-2-8", "must be a date YYYY-MM-DD"),
    (FieldType.DATE, date(2026, 2, 28), "must be a date YYYY-MM-DD"),
    (FieldType.DATE, 20260228, "must be a date YYYY-MM-DD"),
    (FieldType.BOOLEAN, "true", "must be true or false"),
    (FieldType.BOOLEAN, 1, "must be true or false"),
    (FieldType.SELECT, "platinum", "must be one of gold, silver, bronze"),
    (FieldType.SELECT, "Gold", "must be one of gold, silver, bronze"),
    (FieldType.SELECT, ["gold"], "must be one of gold, silver, bronze"),
    (FieldType.MULTISELECT, "gold", "must be a list of gold, silver, bronze"),
    (FieldType.MULTISELECT, ["gold", "platinum"], "must be a list of gold, silver, bronze"),
    (FieldType.EMAIL, "eva@acme", "must be a valid email"),
    (FieldType.EMAIL, "eva maier@acme.test", "must be a valid email"),
    (FieldType.EMAIL, "eva@@acme.test", "must be a valid email"),
    (FieldType.EMAIL, "eva@acme.test\n", "must be a valid email"),
    (FieldType.EMAIL, 5, "must be a valid email"),
    (FieldType.URL, "ftp://acme.test", "must be a valid url"),
    (FieldType.URL, "https://", "must be a valid url"),
    (FieldType.URL, "acme.test", "must be a valid url"),
    (FieldType.URL, "https://acme.test/a b", "must be a valid url"),
    (FieldType.URL, "https://acme.test\n", "must be a valid url"),
    (FieldType.PHONE, "1234", "must be a valid phone"),
    (FieldType.PHONE, "+43 abc 1234", "must be a valid phone"),
    (FieldType.PHONE, "1" * 26, "must be a valid phone"),
    (FieldType.PHONE, "+43 1 234\n", "must be a valid phone"),
    (FieldType.PHONE, 4312345, "must be a valid phone"),
]


@pytest.mark.parametrize(("type_", "value", "clean"), GOOD, ids=[f"{t.value}-{v!r:.20}" for t, v, _ in GOOD])
def test_good_values_are_accepted_in_canonical_form(type_: FieldType, value: Any, clean: Any) -> None:
    coerced = check(type_, value)
    assert coerced == clean
    assert type(coerced) is type(clean)


@pytest.mark.parametrize(("type_", "value", "msg"), BAD, ids=[f"{t.value}-{v!r:.20}" for t, v, _ in BAD])
def test_bad_values_are_refused_at_the_field(type_: FieldType, value: Any, msg: str) -> None:
    with pytest.raises(Invalid) as raised:
        check(type_, value)
    assert raised.value.errors == [{"loc": ["body", "custom_fields", f"cf_{type_.value}"], "msg": msg}]
    assert raised.value.code == "validation_error"


@pytest.mark.parametrize("type_", list(FieldType))
def test_every_type_has_cases(type_: FieldType) -> None:
    assert any(t is type_ for t, _, _ in GOOD)
    assert any(t is type_ for t, _, _ in BAD)


@pytest.mark.parametrize("type_", list(FieldType))
def test_null_clears_an_optional_field(type_: FieldType) -> None:
    defs = {"opt": definition(type_, "opt")}
    assert validate_custom_fields(defs, {"opt": None}, LOC, require_all=True) == {}


def test_values_are_checked_together() -> None:
    defs = {
        "tier": definition(FieldType.SELECT, "tier"),
        "since": definition(FieldType.DATE, "since"),
        "limit": definition(FieldType.MONEY, "limit"),
    }
    assert validate_custom_fields(defs, {"tier": "gold", "since": "2020-01-31", "limit": 500}, LOC, True) == {
        "tier": "gold",
        "since": "2020-01-31",
        "limit": "500.00",
    }


# -- required and unknown ------------------------------------------------------------------------


def test_a_missing_required_field_is_refused_when_all_are_required() -> None:
    defs = {
        "vat_group": definition(FieldType.STRING, "vat_group", required=True),
        "note": definition(FieldType.TEXT, "note"),
    }
    with pytest.raises(Invalid) as raised:
        validate_custom_fields(defs, {"note": "hi"}, LOC, require_all=True)
    assert raised.value.errors == [{"loc": ["body", "custom_fields", "vat_group"], "msg": "this field is required"}]
    # a partial update does not have to repeat it
    assert validate_custom_fields(defs, {"note": "hi"}, LOC, require_all=False) == {"note": "hi"}


@pytest.mark.parametrize("require_all", [True, False])
def test_null_for_a_required_field_is_refused(require_all: bool) -> None:
    defs = {"vat_group": definition(FieldType.STRING, "vat_group", required=True)}
    with pytest.raises(Invalid) as raised:
        validate_custom_fields(defs, {"vat_group": None}, LOC, require_all=require_all)
    assert raised.value.errors == [{"loc": ["body", "custom_fields", "vat_group"], "msg": "this field is required"}]


def test_a_present_required_field_passes() -> None:
    defs = {"vat_group": definition(FieldType.INTEGER, "vat_group", required=True)}
    assert validate_custom_fields(defs, {"vat_group": "3"}, LOC, require_all=True) == {"vat_group": 3}


def test_an_unknown_code_is_refused() -> None:
    defs = {"tier": definition(FieldType.SELECT, "tier")}
    with pytest.raises(Invalid) as raised:
        validate_custom_fields(defs, {"tier": "gold", "colour": "red"}, ["body", "contacts", 0, "custom_fields"], False)
    assert raised.value.errors == [
        {"loc": ["body", "contacts", 0, "custom_fields", "colour"], "msg": "unknown custom field colour"}
    ]


# -- the catalog ---------------------------------------------------------------------------------

OPENED = CustomFieldsOpened(originator_id=CATALOG_ID, originator_version=1, originator_topic=CustomFieldCatalog.TOPIC)
TIER = definition(FieldType.SELECT, "tier")


def test_catalog_opens_empty() -> None:
    catalog = given().when(lambda _: CustomFieldCatalog.open()).then(like(CustomFieldsOpened, originator_id=CATALOG_ID))
    assert catalog.fields == {}


def test_define_a_field() -> None:
    catalog = given(OPENED).when(lambda c: c.define(TIER)).then(like(CustomFieldDefined, definition=TIER))
    assert catalog.fields == {(FieldEntity.PARTNER, "tier"): TIER}
    assert catalog.for_entity(FieldEntity.PARTNER) == {"tier": TIER}
    assert catalog.for_entity(FieldEntity.CONTACT) == {}


def test_a_duplicate_code_is_refused() -> None:
    defined = CustomFieldDefined(originator_id=CATALOG_ID, originator_version=2, definition=TIER)
    again = definition(FieldType.STRING, "tier")
    error = given(OPENED, defined).when(lambda c: c.define(again)).then_raises(Conflict, code="custom_field_exists")
    assert error.detail == "a custom field tier already exists"


def test_the_same_code_on_another_entity_is_its_own_field() -> None:
    defined = CustomFieldDefined(originator_id=CATALOG_ID, originator_version=2, definition=TIER)
    contact_tier = definition(FieldType.STRING, "tier", entity=FieldEntity.CONTACT)
    catalog = given(OPENED, defined).when(lambda c: c.define(contact_tier)).then(CustomFieldDefined)
    assert catalog.for_entity(FieldEntity.CONTACT) == {"tier": contact_tier}
    assert catalog.for_entity(FieldEntity.PARTNER) == {"tier": TIER}


@pytest.mark.parametrize("type_", [FieldType.SELECT, FieldType.MULTISELECT])
def test_a_select_needs_options(type_: FieldType) -> None:
    bare = CustomFieldDefinition(entity=FieldEntity.PARTNER, code="tier", label="Tier", type=type_)
    error = given(OPENED).when(lambda c: c.define(bare)).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "options"]


@pytest.mark.parametrize("code", ["Tier", "1tier", "_tier", "tier-level", "tier level", "", "t" * 41])
def test_a_bad_code_is_refused(code: str) -> None:
    error = given(OPENED).when(lambda c: c.define(definition(FieldType.STRING, code))).then_raises(Invalid)
    assert error.errors[0]["loc"] == ["body", "code"]


@pytest.mark.parametrize("code", ["t", "tier_2", "t" * 40])
def test_good_codes_are_accepted(code: str) -> None:
    given(OPENED).when(lambda c: c.define(definition(FieldType.STRING, code))).then(CustomFieldDefined)
