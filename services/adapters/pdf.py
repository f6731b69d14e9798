"""PDF rendering: HTML templates (Jinja2, autoescaped) through WeasyPrint.

Every document and letter carries the seller (the company's details, its logo, bank account and
the payment reference) and speaks the reader's language: labels from the catalogues, dates and
amounts formatted for the locale (services/adapters/locales.py, commands/locales.py)."""

from __future__ import annotations

import base64
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from aggregates.company_profile import format_iban
from commands.locales import Formats
from services.adapters.blobs import BlobStore
from services.adapters.locales import labels

TEMPLATES = Path(__file__).with_name("templates")
# Invoices and credit notes go to the partner's tax address (where its VAT is registered).
TAX_ADDRESSED = ("invoice", "credit_note")

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def seller_block(company: dict[str, Any], blobs: BlobStore) -> dict[str, Any]:
    """The seller block's values from the company's details (GET /v1/settings/company); the logo
    inlined as a data: URI, so rendering fetches nothing."""
    address = company.get("address") or {}
    town = f"{address.get('postal_code', '')} {address.get('city', '')}".strip()
    lines = [address.get("street", ""), town, address.get("region", ""), address.get("country", "")]
    logo = company.get("logo")
    data_uri = None
    if logo and blobs.exists(logo["sha256"]):
        with blobs.open(logo["sha256"]) as stored:
            data_uri = f"data:{logo['content_type']};base64,{base64.b64encode(stored.read()).decode()}"
    return {
        **{k: company.get(k) or "" for k in ("name", "tax_id", "registration", "bic", "bank", "email", "phone")},
        "website": company.get("website") or "",
        "footer": company.get("footer") or "",
        "iban": format_iban(company.get("iban") or ""),
        "address_lines": [line for line in lines if line and line.strip()],
        "logo": data_uri,
    }


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: it loads Pango, which only PDF requests need

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def _default(addresses: list[dict[str, Any]], usage: str) -> dict[str, Any] | None:
    found = [a for a in addresses if usage in a.get("usage", ())]
    return next((a for a in found if a.get("is_default")), found[0] if found else None)


def _address(doc: dict[str, Any], partner: dict[str, Any]) -> dict[str, Any] | None:
    """Where the document is addressed: for invoices and credit notes the partner's tax
    address, else (and for other documents) the document's billing address or the partner's."""
    addresses = partner["addresses"]
    chosen = _default(addresses, "tax") if doc["type"] in TAX_ADDRESSED else None
    chosen = chosen or next((a for a in addresses if a["id"] == doc.get("billing_address")), None)
    return chosen or _default(addresses, "billing")


def _partner_pdf(
    template: str, partner: dict[str, Any], seller: dict[str, Any], reference: str | None, **context: Any
) -> bytes:
    """A document for ``partner`` in its language: the labels, the locale's formats, the seller
    block and the payment reference, with the ``context`` of its ``template``."""
    language = partner.get("language") or "en"
    html = _env.get_template(template).render(
        partner=partner,
        t=labels(language),
        fmt=Formats(language),
        language=language,
        seller=seller,
        reference=reference,
        **context,
    )
    return render_pdf(html)


def document_pdf(
    doc: dict[str, Any], partner: dict[str, Any], seller: dict[str, Any], sales_rep: str | None = None
) -> bytes:
    """The document in the partner's language; ``sales_rep`` is the rep's full name. A delivery
    note lists quantities only, with the address the goods go to."""
    return _partner_pdf(
        "document.html",
        partner,
        seller,
        doc.get("number"),
        doc=doc,
        address=_address(doc, partner),
        title=labels(partner.get("language") or "en")[doc["type"]],
        sales_rep=sales_rep,
        delivery_address=next((a for a in partner["addresses"] if a["id"] == doc.get("shipping_address")), None),
    )


def interest_note_pdf(note: dict[str, Any], partner: dict[str, Any], seller: dict[str, Any]) -> bytes:
    """An interest note (GET /v1/interest-notes/{id}) in the partner's language, to its tax
    address like an invoice: each invoice's due date, days, late amount and interest."""
    addresses = partner["addresses"]
    return _partner_pdf(
        "interest_note.html",
        partner,
        seller,
        note["number"],
        note=note,
        address=_default(addresses, "tax") or _default(addresses, "billing"),
    )


def balance_confirmation_pdf(confirmation: dict[str, Any], partner: dict[str, Any], seller: dict[str, Any]) -> bytes:
    """A balance confirmation (GET /v1/balance-confirmations/{id}) in the partner's language, to
    its billing address: each item open at the date with what was open of it then, and the total."""
    return _partner_pdf(
        "balance_confirmation.html",
        partner,
        seller,
        confirmation["number"],
        confirmation=confirmation,
        address=_default(partner["addresses"], "billing"),
    )


def letter_pdf(
    recipient: str,
    subject: str,
    body_html: str,
    on: date,
    language: str = "en",
    seller: dict[str, Any] | None = None,
    reference: str | None = None,
    sales_rep: str | None = None,
) -> bytes:
    """A letter: the seller, the recipient block, the date (and the sales rep's full name), the
    subject and the rendered HTML body (whose values the template engine has already escaped),
    then the bank details and the payment reference (the numbers of the documents the letter is
    about)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Letters come from templates clerks write: they may embed data: URIs, but never make the
    # server fetch a file or a URL.
    fetcher = URLFetcher(allowed_protocols={"data"})
    html = _env.get_template("letter.html").render(
        recipient=recipient,
        subject=subject,
        body=body_html,
        date=Formats(language).date(on),
        language=language,
        t=labels(language),
        seller=seller or {},
        reference=reference,
        sales_rep=sales_rep,
    )
    return HTML(string=html, url_fetcher=fetcher).write_pdf()  # type: ignore[no-any-return]
