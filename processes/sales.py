"""The sales process manager: promotes prospects to customers and expires quotes at day start."""

from __future__ import annotations

from aggregates.business_clock import DayStarted
from aggregates.sales_document_events import DocumentIssued, QuoteAccepted
from aggregates.sales_document_values import DocType
from commands.documents import ExpireQuote, expire_quote
from commands.partners import PromoteProspect, promote_prospect
from processes.base import Acts, Reactions

sales = Reactions("sales")


@sales.on(QuoteAccepted)
def quote_accepted(e: QuoteAccepted, acts: Acts) -> None:
    acts.run(promote_prospect, PromoteProspect(document=e.originator_id))


@sales.on(DocumentIssued)
def document_issued(e: DocumentIssued, acts: Acts) -> None:
    if e.doc_type in (DocType.ORDER, DocType.INVOICE):
        acts.run(promote_prospect, PromoteProspect(document=e.originator_id))


@sales.on(DayStarted)
def day_started(e: DayStarted, acts: Acts) -> None:
    for quote_id in acts.reads.documents.quotes_to_expire(e.day):
        acts.run(expire_quote, ExpireQuote(document=quote_id))
