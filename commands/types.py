"""What command models share: the strict base model, and field types (money, percentages, trimmed
strings, lists) with the maxima of a request body (docs/api.md, Limits): every string and list a
client sends has one, so that no request can store megabytes that every later page repeats."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

T = TypeVar("T")
# The longest string a decimal number may be sent as.
DECIMAL_CHARS = 40


class Strict(BaseModel):
    """A command model: a field it does not declare is the client's mistake (422), never ignored."""

    model_config = ConfigDict(extra="forbid")


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > DECIMAL_CHARS:
        raise ValueError(f"a number of at most {DECIMAL_CHARS} characters")
    return value


class _DecimalText:
    """States the maximum length of a decimal's string form in the JSON schema."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        for part in schema.get("anyOf", [schema]):
            if part.get("type") == "string":
                part["maxLength"] = DECIMAL_CHARS
        return schema


# A decimal number, sent as a JSON number or a string.
Number = Annotated[Decimal, BeforeValidator(_short), _DecimalText()]


def _decimal(value: Any) -> Any:
    # Requests accept a string or a number; floats go through str so 0.1 stays 0.1.
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, float):
        return str(value)
    return value


def _cents(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if abs(value) >= Decimal("1e15"):
        # Checked first: quantizing a huge number (1e400) raises InvalidOperation, not a 422.
        raise ValueError("too large")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("at most two decimals")
    return value.quantize(Decimal("0.01"))


Money = Annotated[Number, BeforeValidator(_decimal), AfterValidator(_cents)]
NonNegativeMoney = Annotated[Money, Field(ge=0)]
Percent = Annotated[Number, BeforeValidator(_decimal), AfterValidator(_cents), Field(ge=0, le=1000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=20000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\s/?#]+$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Currency = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=3, pattern=r"^[A-Za-z]{3}$")
]
Language = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=12, pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
]
# What names a partner, document, user, template… by its id, code or number.
Ref = Annotated[str, StringConstraints(max_length=200)]
# Short words a client attaches: tags, sales reps, teams.
Tags = Annotated[list[ShortText], Field(max_length=100)]
# Words out of a fixed set (roles, usages, responsibilities).
Choices = Annotated[list[T], Field(max_length=20)]
# References a body lists (partners of a run or a mailing).
Refs = Annotated[list[Ref], Field(max_length=1000)]
# Values of custom fields, by their code.
CustomFields = Annotated[dict[str, Any], Field(max_length=100)]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
]
