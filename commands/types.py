"""What command models share: the strict base model, and field types (money, percentages, trimmed
strings)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints


class Strict(BaseModel):
    """A command model: a field it does not declare is the client's mistake (422), never ignored."""

    model_config = ConfigDict(extra="forbid")


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


Money = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_cents)]
NonNegativeMoney = Annotated[Money, Field(ge=0)]
Percent = Annotated[Decimal, BeforeValidator(_decimal), AfterValidator(_cents), Field(ge=0, le=1000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(max_length=20000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[^\s/?#]+$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{3}$")]
Username = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")
]
