"""credit_status at its exact thresholds (API.md, Partners)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aggregates.credit import credit_status

D = Decimal


@pytest.mark.parametrize(
    ("balance", "limit", "check", "watch", "stopped", "status"),
    [
        # a block or a manual hold wins over everything
        (D("0.00"), D("1000.00"), True, D("90"), True, "stop"),
        (D("5000.00"), D("0.00"), False, D("90"), True, "stop"),
        # nothing to check
        (D("5000.00"), D("1000.00"), False, D("90"), False, "no_check"),
        (D("5000.00"), D("0.00"), True, D("90"), False, "no_check"),
        (D("5000.00"), D("-1.00"), True, D("90"), False, "no_check"),
        # the limit itself is not over the limit
        (D("1000.00"), D("1000.00"), True, D("100"), False, "ok"),
        (D("1000.00"), D("1000.00"), True, D("90"), False, "watch"),
        (D("1000.01"), D("1000.00"), True, D("90"), False, "hold"),
        (D("1000.01"), D("1000.00"), True, D("100"), False, "hold"),
        (D("0.01"), D("0.01"), True, D("90"), False, "watch"),
        (D("0.02"), D("0.01"), True, D("90"), False, "hold"),
        # the watch threshold: above it, not at it
        (D("900.00"), D("1000.00"), True, D("90"), False, "ok"),
        (D("900.01"), D("1000.00"), True, D("90"), False, "watch"),
        (D("875.00"), D("1000.00"), True, D("87.5"), False, "ok"),
        (D("875.01"), D("1000.00"), True, D("87.5"), False, "watch"),
        (D("0.00"), D("1000.00"), True, D("0"), False, "ok"),
        (D("0.01"), D("1000.00"), True, D("0"), False, "watch"),
        # a credit balance is fine
        (D("-250.00"), D("1000.00"), True, D("90"), False, "ok"),
    ],
)
def test_credit_status(
    balance: Decimal, limit: Decimal, check: bool, watch: Decimal, stopped: bool, status: str
) -> None:
    assert credit_status(balance, limit, check, watch, stopped) == status
