"""Credit status from balance, limit and blocks (API.md, Partners)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

CreditStatus = Literal["no_check", "ok", "watch", "hold", "stop"]


def credit_status(
    balance: Decimal, credit_limit: Decimal, credit_check: bool, watch_percent: Decimal, stopped: bool
) -> CreditStatus:
    """``stop`` (a block or manual hold) wins; ``no_check`` when there is no limit to check."""
    if stopped:
        return "stop"
    if not credit_check or credit_limit <= 0:
        return "no_check"
    if balance > credit_limit:
        return "hold"
    if balance > credit_limit * watch_percent / Decimal(100):
        return "watch"
    return "ok"
