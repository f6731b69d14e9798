"""/v1/reports: profitability by any grouping, and the sales reps' figures."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from queries.reports import Grouping
from services.api.deps import AnyRole, ReadModels

router = APIRouter(prefix="/v1/reports", tags=["reports"])


class Figures(BaseModel):
    revenue: str
    cost: str
    margin: str
    markup_percent: str | None
    margin_percent: str | None
    other_income: str


class ProfitabilityRow(Figures):
    key: str | None
    label: str


class Profitability(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: date | None = Field(None, alias="from")
    to: date | None = None
    group_by: Grouping
    rows: list[ProfitabilityRow]
    total: Figures


class SalesRepRow(BaseModel):
    sales_rep: str
    name: str
    partners: int
    quotes_sent: int
    quotes_accepted: int
    orders: int
    revenue: str
    margin: str


class SalesReps(BaseModel):
    rows: list[SalesRepRow]


@router.get("/profitability", response_model=Profitability, summary="Revenue, cost and margin by any grouping")
def profitability(
    _who: AnyRole,
    reads: ReadModels,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    group_by: Grouping = "partner",
) -> dict[str, Any]:
    """Revenue is the net of issued invoices minus credit notes dated in ``from``–``to``, cost their
    ``unit_cost`` × quantity. ``group_by`` is partner (default), group, sales_rep or product; fees and
    interest are ``other_income``. Percentages are null when their base is 0."""
    return reads.reports.profitability(from_, to, group_by)


@router.get("/sales-reps", response_model=SalesReps, summary="Per sales rep: partners, quotes, orders, revenue")
def sales_reps(
    _who: AnyRole, reads: ReadModels, from_: Annotated[date | None, Query(alias="from")] = None, to: date | None = None
) -> dict[str, Any]:
    """Quotes and orders count by issue date in ``from``–``to``, revenue and margin by invoice and
    credit-note date."""
    return reads.reports.sales_reps(from_, to)
