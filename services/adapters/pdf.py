"""PDF rendering: HTML templates (Jinja2, autoescaped) through WeasyPrint."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.settings import Settings

TEMPLATES = Path(__file__).with_name("templates")
TITLES = {
    "quote": "Quote",
    "order": "Order confirmation",
    "proforma": "Pro-forma invoice",
    "invoice": "Invoice",
    "credit_note": "Credit note",
}

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported late: it loads Pango, which only PDF requests need

    return HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def document_pdf(doc: dict[str, Any], partner: dict[str, Any], settings: Settings) -> bytes:
    address = next((a for a in partner["addresses"] if a["id"] == doc.get("billing_address")), None)
    html = _env.get_template("document.html").render(
        doc=doc, partner=partner, address=address, title=TITLES[doc["type"]], currency=settings.currency
    )
    return render_pdf(html)


def letter_pdf(recipient: str, subject: str, body_html: str, on: date, language: str = "en") -> bytes:
    """A letter: the recipient block, the date, the subject and the rendered HTML body (whose
    values the template engine has already escaped)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # Letters come from templates clerks write: they may embed data: URIs, but never make the
    # server fetch a file or a URL.
    fetcher = URLFetcher(allowed_protocols={"data"})
    html = _env.get_template("letter.html").render(
        recipient=recipient, subject=subject, body=body_html, date=on.isoformat(), language=language
    )
    return HTML(string=html, url_fetcher=fetcher).write_pdf()  # type: ignore[no-any-return]
