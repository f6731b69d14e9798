"""Bank statement lines (from the payments topic): a line that names a partner, by its code or by
an invoice number in the reference, is booked as that partner's payment, placed oldest due first;
one that names nobody is recorded as unmatched with the reason, for a clerk to assign."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from aggregates.bank_line import BankLine
from aggregates.errors import NotFound, conflict, not_found
from aggregates.partner import Partner
from aggregates.payment import Payment
from aggregates.sales_document import SalesDocument
from aggregates.sales_document_values import DocType
from commands.context import CommandContext, Result
from commands.documents import DOCUMENT_NUMBERS
from commands.numbering import claim_owner
from commands.partners import load_partner
from commands.payments import Allocations, Day, ReceivePayment, book_payment
from commands.references import named_by
from commands.types import Currency, Money, Strict

# What may be an invoice number inside a free-text reference ("Inv. IN2601-0007, thanks").
_NUMBER = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9/._-]*[A-Za-z0-9])?")
# A reference is at most 200 characters; looking at more candidates than this is looking at noise.
_MAX_CANDIDATES = 20


def _empty_if_null(value: Any) -> Any:
    return "" if value is None else value


class BankLineIn(BaseModel):
    """One line of the payments topic. Fields a bank adds later are ignored rather than turning
    every line into a dead letter; what is there must be right."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    date: Day
    amount: Annotated[Money, Field(gt=0)]
    currency: Currency
    reference: Annotated[
        str, BeforeValidator(_empty_if_null), StringConstraints(strip_whitespace=True, max_length=200)
    ] = ""
    partner: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    iban: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=34)] | None = None

    @field_validator("id", "reference", "partner", "iban")
    @classmethod
    def _no_nul(cls, value: str | None) -> str | None:
        # PostgreSQL text cannot hold NUL: one in the log would stop every read model there.
        if value is not None and "\x00" in value:
            raise ValueError("text may not contain NUL characters")
        return value


class ReceiveBankLine(Strict):
    line: BankLineIn


def receive_bank_line(cmd: ReceiveBankLine, ctx: CommandContext) -> Result:
    """Books the line as a payment of the partner it names; refuses (``bank_line_unmatched``, or
    the payment's own refusal) when it names nobody or cannot be booked."""
    line = cmd.line
    payment_id = BankLine.payment_id(line.id)
    if ctx.find(Payment, payment_id) is not None or ctx.find(BankLine, BankLine.id_for(line.id)) is not None:
        raise conflict("bank_line_known", f"bank line {line.id} was received before with other content")
    partner = match_partner(ctx, line)
    payment = ReceivePayment(
        partner=str(partner.id), amount=line.amount, date=line.date, currency=line.currency, reference=line.reference
    )
    return Result(ctx.save(*book_payment(ctx, payment_id, partner.id, payment, line.currency)), payment_id)


def match_partner(ctx: CommandContext, line: BankLineIn) -> Partner:
    """The partner whose code the line carries, else the customer of an invoice whose number is
    in the reference."""
    if line.partner is not None:
        try:
            return load_partner(ctx, line.partner)
        except NotFound:
            pass
    for candidate in _NUMBER.findall(line.reference)[:_MAX_CANDIDATES]:
        for number in dict.fromkeys((candidate, candidate.upper())):
            owner = claim_owner(ctx, DOCUMENT_NUMBERS, number)
            document = ctx.find(SalesDocument, owner) if owner else None
            if document is not None and document.doc_type is DocType.INVOICE:
                return load_partner(ctx, str(document.terms.partner))
    named = f"no partner with code {line.partner}" if line.partner is not None else "no partner code"
    raise conflict("bank_line_unmatched", f"{named} and no invoice number in the reference")


class RecordUnmatchedBankLine(Strict):
    line: BankLineIn
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def record_unmatched_bank_line(cmd: RecordUnmatchedBankLine, ctx: CommandContext) -> Result:
    line = cmd.line
    if ctx.find(BankLine, BankLine.id_for(line.id)) is not None or ctx.find(Payment, BankLine.payment_id(line.id)):
        raise conflict("bank_line_known", f"bank line {line.id} was received before with other content")
    bank_line = BankLine.unmatched(
        line.id, line.date, line.amount, line.currency, line.reference, line.partner, line.iban, cmd.reason
    )
    return Result(ctx.save(bank_line), bank_line.id)


class AssignBankLine(Strict):
    line: str
    partner: str
    allocations: Allocations | None = None


def assign_bank_line(cmd: AssignBankLine, ctx: CommandContext) -> Result:
    """A clerk books an unmatched line for a partner (once), placing it as ``allocations`` say or
    oldest due first."""
    bank_line = ctx.find(BankLine, BankLine.id_for(cmd.line))
    if bank_line is None:
        raise not_found("unmatched bank line", cmd.line)
    with named_by("body", "partner"):
        partner = load_partner(ctx, cmd.partner)
    payment_id = bank_line.assign(partner.id, ctx.today)
    payment = ReceivePayment(
        partner=str(partner.id),
        amount=bank_line.amount,
        date=bank_line.date,
        currency=bank_line.currency,
        reference=bank_line.reference,
        allocations=cmd.allocations,
    )
    booked = book_payment(ctx, payment_id, partner.id, payment, bank_line.currency)
    return Result(ctx.save(bank_line, *booked), payment_id)
