"""An example for every schema of the OpenAPI document, built from the schema itself and the
project's words for its fields, so a reader of /docs (and a client generator) sees realistic
values: money with two decimals, dates, codes, enum words. A schema that says more (its own
``examples``) keeps them."""

from __future__ import annotations

import re
from typing import Any

UUID_EXAMPLE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
MONEY = "1230.00"
MONEY_FIELDS = {
    "amount", "balance", "open_amount", "credit_limit", "unapplied", "unapplied_credit", "current", "d1_30",
    "d31_60", "d61_90", "d90_plus", "net", "tax", "gross", "cost", "revenue", "margin", "unit_price",
    "unit_cost", "tolerance", "campaign_cost", "cost_of_goods", "other_income", "total_cost", "min_revenue",
    "revenue_from", "revenue_to", "total",
}  # fmt: skip
# Realistic words for the project's fields; a value that breaks the field's own rules is not used.
WORDS: dict[str, Any] = {
    "name": "Acme Ltd",
    "code": "C-00042",
    "email": "billing@acme.example",
    "phone": "+49 30 1234567",
    "mobile": "+49 170 1234567",
    "website": "https://acme.example",
    "currency": "EUR",
    "language": "de",
    "tax_id": "DE123456789",
    "iban": "DE89370400440532013000",
    "country": "DE",
    "city": "Berlin",
    "street": "Hauptstraße 1",
    "postal_code": "10115",
    "region": "Berlin",
    "label": "Head office",
    "reference": "INV-2026-00017",
    "number": "INV-2026-00017",
    "document": "INV-2026-00017",
    "partner": "C-00042",
    "username": "anna",
    "sales_rep": "anna",
    "sales_reps": ["anna"],
    "assignee": "anna",
    "tags": ["Retail"],
    "title": "Head of purchasing",
    "subject": "Your invoice {{ document.number }}",
    "body": "Dear {{ partner.name }}, …",
    "text": "Called about the March invoice; pays next week.",
    "reason": "goodwill after a late delivery",
    "description": "Consulting, March",
    "product": "CONSULT-H",
    "unit": "h",
    "quantity": "3",
    "tax_rate": "19.00",
    "from": "09:00",
    "to": "12:00",
    "payment_terms_days": 30,
    "version": 3,
    "position": 1042,
    "weekday": 1,
    "role": "clerk",
    "filename": "contract.pdf",
    "content_type": "application/pdf",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
}
# Fields that name other things: a request example leaves them out, since what they name must exist.
REFERENCES = {
    "group", "parent", "collection_scheme", "campaign", "template", "contact", "assignee", "supervisor",
    "sales_reps", "sales_rep", "scheme", "by", "assign_to", "billing_address", "shipping_address", "request",
    "message", "mailing", "source_line", "task", "area", "activity", "attach_letter", "reminder_message",
}  # fmt: skip
DEPTH = 6


def _ref(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def _fits(schema: dict[str, Any], value: Any) -> bool:
    if isinstance(value, str):
        if schema.get("type") not in (None, "string"):
            return False
        if "enum" in schema and value not in schema["enum"]:
            return False
        if len(value) > schema.get("maxLength", len(value)) or len(value) < schema.get("minLength", 0):
            return False
        pattern = schema.get("pattern")
        return pattern is None or re.search(pattern, value) is not None
    if isinstance(value, bool):
        return schema.get("type") == "boolean"
    if isinstance(value, int):
        return schema.get("type") in ("integer", "number") and _within(schema, value)
    if isinstance(value, list):
        return schema.get("type") == "array"
    return True


def _within(schema: dict[str, Any], value: float) -> bool:
    return (
        value >= schema.get("minimum", value)
        and value <= schema.get("maximum", value)
        and value > schema.get("exclusiveMinimum", value - 1)
        and value < schema.get("exclusiveMaximum", value + 1)
    )


def _number(schema: dict[str, Any], name: str) -> Any:
    value = WORDS.get(name, 1)
    if not isinstance(value, int) or isinstance(value, bool) or not _within(schema, value):
        value = schema.get("minimum", 1)
        if not _within(schema, value):
            value = schema.get("exclusiveMinimum", 0) + 1
    return value


def _string(schema: dict[str, Any], name: str) -> Any:
    fmt = schema.get("format")
    candidates: list[Any] = []
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if fmt == "uuid":
        return UUID_EXAMPLE
    if fmt == "date":
        return "2026-03-02"
    if fmt == "date-time":
        return "2026-03-02T10:00:00Z"
    if name in WORDS:
        candidates.append(WORDS[name])
    if name in MONEY_FIELDS or name.endswith("_amount"):
        candidates.append(MONEY)
    if name.endswith("_percent") or name.endswith("_rate"):
        candidates.append("12.50")
    if name.endswith("_on") or name.endswith("_date") or name.endswith("_until"):
        candidates.append("2026-03-02")
    if name.endswith("_at"):
        candidates.append("2026-03-02T10:00:00Z")
    candidates += [name.replace("_", " ").capitalize() or "text", "A-1", "1", WORDS["email"]]
    for value in candidates:
        if isinstance(value, str) and _fits(schema, value):
            return value
    return None


def _example(schema: dict[str, Any], schemas: dict[str, Any], name: str, depth: int, request: bool) -> Any:
    schema = _ref(schema, schemas)
    if depth > DEPTH:
        return None
    if "examples" in schema and depth > 0:
        return schema["examples"][0]
    if "default" in schema and schema["default"] is not None and depth > 0 and not isinstance(
        schema["default"], dict
    ):
        return schema["default"]
    branches = [_ref(b, schemas) for b in schema.get("anyOf", schema.get("oneOf", []))]
    if branches:
        numbers = [b for b in branches if b.get("type") in ("number", "integer")]
        strings = [b for b in branches if b.get("type") == "string"]
        if numbers and strings and (name in MONEY_FIELDS or name.endswith("_percent") or name == "tax_rate"):
            return _string(strings[0], name) or _number(numbers[0], name)
        for branch in branches:
            if branch.get("type") != "null":
                found = _example(branch, schemas, name, depth + 1, request)
                if found is not None:
                    return found
        return None
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _object(schema, schemas, depth, request)
    if kind == "array":
        item = _example(schema.get("items", {}), schemas, name, depth + 1, request)
        if name in WORDS and isinstance(WORDS[name], list):
            return WORDS[name]
        if item is None:
            return []
        return [item] * max(1, min(schema.get("minItems", 1), 2))
    if kind in ("integer", "number"):
        return _number(schema, name)
    if kind == "boolean":
        return False
    if kind == "string" or "enum" in schema or "const" in schema:
        return _string(schema, name)
    return None


def _object(schema: dict[str, Any], schemas: dict[str, Any], depth: int, request: bool) -> dict[str, Any] | None:
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    # A command body forbids unknown fields: it is a request, and a short one reads best.
    request = request or schema.get("additionalProperties") is False
    example: dict[str, Any] = {}
    for field, sub in properties.items():
        if request and field not in required and (field in REFERENCES or field not in WORDS):
            continue
        value = _example(sub, schemas, field, depth + 1, request)
        if value is None and "'null'" not in str(sub):
            if field in required:
                return None
            continue
        example[field] = value
    return example


def schema_example(schema: dict[str, Any], schemas: dict[str, Any], name: str) -> dict[str, Any] | None:
    """An example instance of a component schema, or None where none can be made."""
    found = _example(schema, schemas, name, 0, False)
    return found if isinstance(found, dict) else None
