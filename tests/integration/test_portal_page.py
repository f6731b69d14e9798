"""The customer portal's page in a real browser: `counterparty serve` on a free port (SQLite, manual
clock), data seeded through the API, and Debian's Chromium driven by Playwright (no browser
download; `make test` installs /usr/bin/chromium when it runs as root). The customer opens
/portal/?token=…, sees the balance, documents, payments, deliveries (with their dates and address)
and requests (the public comment, never the internal one), downloads a PDF, accepts a quote,
confirms a balance confirmation, files a request and comments on it. Each main
view is screenshotted into the test's tmp dir and the images are checked: the viewport's size,
not blank, and different from one view to the next."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image, ImageChops

from tests.conftest import ADMIN_KEY, CLOCK_START

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    # CI installs it (make test as root), so there a missing browser is a failure, not a skip.
    if os.environ.get("CI"):
        raise RuntimeError("Debian's chromium is not installed; `make test` installs it as root")
    pytest.skip("Debian's chromium is not installed (make test installs it as root)", allow_module_level=True)

pytestmark = pytest.mark.slow
VIEWPORT = {"width": 1280, "height": 860}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The real service: `counterparty serve` in its own process, on a store of its own."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CPTY_")}
    env.update(
        CPTY_DATA_DIR=str(tmp_path / "data"),
        CPTY_CLOCK="manual",
        CPTY_CLOCK_START=CLOCK_START,
        CPTY_ADMIN_KEY=ADMIN_KEY,
    )
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("counterparty")), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@dataclass
class World:
    api: httpx.Client
    token: str
    contact: dict[str, Any]
    quote: dict[str, Any]
    invoice: dict[str, Any]
    payment: dict[str, Any]
    request: dict[str, Any]
    foreign_invoice: dict[str, Any]


def ok(response: httpx.Response) -> Any:
    assert response.status_code in (200, 201), response.text
    return response.json()


def seed(base: str) -> World:
    """Two customers with documents, payments and a request; a token for one contact of Acme."""
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    ok(api.post("/v1/partners", json={"name": "Acme Ltd", "code": "ACME", "email": "office@acme.example"}))
    ok(
        api.post(
            "/v1/partners/ACME/addresses",
            json={
                "usage": ["billing"],
                "street": "Long Street 1",
                "city": "Gdansk",
                "postal_code": "80-001",
                "country": "PL",
            },
        )
    )
    contact = ok(api.post("/v1/partners/ACME/contacts", json={"name": "Ann Able", "email": "ann@acme.example"}))
    ok(api.post("/v1/partners", json={"name": "Beta GmbH", "code": "BETA"}))

    def issued(partner: str, doc_type: str, product: str, price: str, **fields: Any) -> dict[str, Any]:
        lines = [{"product": product, "quantity": "2", "unit_price": price, "tax_rate": "23"}]
        drafted = ok(api.post("/v1/documents", json={"type": doc_type, "partner": partner, "lines": lines, **fields}))
        return ok(api.post(f"/v1/documents/{drafted['id']}/issue"))  # type: ignore[no-any-return]

    quote = issued("ACME", "quote", "CONSULT", "150.00", valid_until="2026-02-28")  # 369.00
    invoice = issued("ACME", "invoice", "WIDGET", "100.00")  # 246.00
    foreign_invoice = issued("BETA", "invoice", "SECRET-PART", "777.00")
    payment = ok(api.post("/v1/payments", json={"partner": "ACME", "amount": "46.00", "reference": "wire 1"}))

    ok(api.post("/v1/request-types", json={"code": "SUPPORT", "name": "Support", "due_days": 2}))
    request = ok(
        api.post(
            "/v1/requests",
            json={
                "type": "SUPPORT",
                "partner": "ACME",
                "contact": contact["id"],
                "subject": "Shelf arrived broken",
                "description": "The second shelf has a crack.",
            },
        )
    )
    ok(
        api.post(
            f"/v1/requests/{request['id']}/comments",
            json={"text": "A replacement is on its way.", "visibility": "public"},
        )
    )
    ok(
        api.post(
            f"/v1/requests/{request['id']}/comments",
            json={"text": "Customer is difficult, check twice.", "visibility": "internal"},
        )
    )
    token = ok(api.post("/v1/portal/tokens", json={"partner": "ACME", "contact": contact["id"]}))["token"]
    return World(api, token, contact, quote, invoice, payment, request, foreign_invoice)


def seed_delivery_and_confirmation(world: World) -> tuple[dict[str, Any], dict[str, Any]]:
    """A shipped delivery of a confirmed order to Acme's warehouse (and a planned one of the rest),
    and a balance confirmation of Acme's open items as of today."""
    api = world.api
    ok(
        api.post(
            "/v1/partners/ACME/addresses",
            json={
                "usage": ["warehouse"],
                "street": "Dock Road 5",
                "city": "Gdynia",
                "postal_code": "81-300",
                "country": "PL",
                "is_default": True,
            },
        )
    )
    lines = [{"product": "SHELF", "quantity": "3", "unit_price": "80.00", "tax_rate": "23"}]
    order = ok(api.post("/v1/documents", json={"type": "order", "partner": "ACME", "lines": lines}))
    order = ok(api.post(f"/v1/documents/{order['id']}/issue"))
    body: dict[str, Any] = {
        "type": "delivery",
        "partner": "ACME",
        "source": order["id"],
        "planned_date": "2026-01-20",
        "lines": [{"source_line": order["lines"][0]["line_id"], "quantity": "2"}],
    }
    delivery = ok(api.post("/v1/documents", json=body))
    ok(api.post(f"/v1/documents/{delivery['id']}/issue"))
    delivery = ok(api.post(f"/v1/documents/{delivery['id']}/ship", json={"date": "2026-01-15"}))
    rest = {**body, "planned_date": "2026-01-27", "lines": [{**body["lines"][0], "quantity": "1"}]}
    ok(api.post(f"/v1/documents/{ok(api.post('/v1/documents', json=rest))['id']}/issue"))
    ok(api.post("/v1/balance-confirmations", json={"as_of": "2026-01-15", "partners": ["ACME"]}))
    (confirmation,) = ok(api.get("/v1/balance-confirmations", params={"partner": "ACME"}))["items"]
    return delivery, confirmation


def check_screenshots(shots: dict[str, Path]) -> None:
    images = {name: Image.open(path).convert("RGB") for name, path in shots.items()}
    for name, image in images.items():
        assert image.size == (VIEWPORT["width"], VIEWPORT["height"]), name
        colours = image.getcolors(maxcolors=1 << 20) or []
        assert len(colours) > 50, f"{name} looks blank"
        background = max(colours)[0] / (image.width * image.height)
        assert background < 0.97, f"{name} is almost one colour"
    names = list(images)
    for first, second in itertools.pairwise(names):
        diff = ImageChops.difference(images[first], images[second]).convert("L").point(lambda v: 255 if v else 0)
        changed = diff.histogram()[255] / (diff.width * diff.height)
        assert changed > 0.02, f"{first} and {second} look the same ({changed:.3%} of pixels differ)"


def test_a_customer_uses_the_portal_in_a_browser(server: str, tmp_path: Path) -> None:
    world = seed(server)
    shots_dir = tmp_path / "screenshots"
    shots_dir.mkdir()
    shots: dict[str, Path] = {}

    def shot(page: Any, name: str) -> None:
        shots[name] = shots_dir / f"{name}.png"
        page.screenshot(path=str(shots[name]))

    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
            expect = sync_api.expect

            # overview: the balance (246.00 invoiced − 46.00 paid), the profile, the open item
            page.goto(f"{server}/portal/?token={world.token}")
            expect(page.locator("#balance-figure")).to_have_text("200.00")
            assert "token=" not in page.url  # moved out of the address bar
            expect(page.locator("#who-partner")).to_have_text("Acme Ltd")
            expect(page.locator("#who-contact")).to_have_text("Ann Able")
            expect(page.locator("#profile")).to_contain_text("Long Street 1, 80-001 Gdansk, PL")
            expect(page.locator("#open-items")).to_contain_text(world.invoice["number"])
            shot(page, "overview")

            # documents: own ones only; the PDF downloads; the quote is accepted in two clicks
            page.click("a[data-view=documents]")
            rows = page.locator("#documents tr")
            expect(rows).to_have_count(2)
            expect(page.locator("#documents")).to_contain_text(world.quote["number"])
            expect(page.locator("#documents")).to_contain_text("369.00 EUR")
            assert world.foreign_invoice["number"] not in page.inner_text("#documents")
            shot(page, "documents")
            with page.expect_download() as download:
                page.click(f"[data-pdf='{world.invoice['number']}']")
            assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
            assert download.value.suggested_filename == f"{world.invoice['number']}.pdf"
            accept = page.locator(f"[data-accept='{world.quote['number']}']")
            accept.click()
            expect(accept).to_have_text("Confirm acceptance")
            accept.click()
            expect(page.locator("#notice")).to_have_text(f"Thank you: quote {world.quote['number']} is accepted.")
            expect(page.locator(f"tr[data-number='{world.quote['number']}']")).to_contain_text("accepted")
            quote = ok(world.api.get(f"/v1/documents/{world.quote['id']}"))
            assert quote["status"] == "accepted"
            events = ok(world.api.get("/v1/audit/events", params={"type": "QuoteAccepted"}))["items"]
            assert [e["actor"] for e in events] == [f"portal:{world.contact['id']}"]

            # payments
            page.click("a[data-view=payments]")
            expect(page.locator("#payments")).to_contain_text(world.payment["number"])
            expect(page.locator("#payments")).to_contain_text("46.00 EUR")
            shot(page, "payments")

            # deliveries: number, status, dates and the warehouse address; the delivery note's PDF
            delivery, confirmation = seed_delivery_and_confirmation(world)
            page.click("a[data-view=deliveries]")
            expect(page.locator("#deliveries tr")).to_have_count(2)
            expect(page.locator("#deliveries")).to_contain_text("2026-01-27")
            row = page.locator(f"tr[data-delivery='{delivery['number']}']")
            expect(row).to_contain_text("shipped")
            expect(row).to_contain_text("2026-01-20")
            expect(row).to_contain_text("2026-01-15")
            expect(row).to_contain_text("Dock Road 5, 81-300 Gdynia, PL")
            shot(page, "deliveries")
            with page.expect_download() as download:
                page.click(f"[data-pdf='{delivery['number']}']")
            assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")

            # balance confirmations: the open 200.00 as of today, confirmed once with a comment
            page.click("a[data-view=confirmations]")
            row = page.locator(f"tr[data-confirmation='{confirmation['number']}']")
            expect(row).to_contain_text("200.00 EUR")
            expect(row).to_contain_text("pending")
            shot(page, "confirmations")
            page.fill(f"[data-comment='{confirmation['number']}']", "Agreed with our books.")
            page.click(f"[data-confirm='{confirmation['number']}']")
            expect(page.locator("#notice")).to_have_text(
                f"Thank you: balance confirmation {confirmation['number']} is confirmed."
            )
            expect(row).to_contain_text("confirmed")
            expect(row).to_contain_text("Agreed with our books.")
            expect(page.locator(f"[data-dispute='{confirmation['number']}']")).to_have_count(0)
            answered = ok(world.api.get(f"/v1/balance-confirmations/{confirmation['id']}"))
            assert (answered["status"], answered["comment"], answered["answered_by"], answered["answered_on"]) == (
                "confirmed",
                "Agreed with our books.",
                "portal",
                "2026-01-15",
            )

            # requests: the public comment, never the internal one
            page.click("a[data-view=requests]")
            page.click(f"tr[data-request='{world.request['number']}']")
            expect(page.locator("#request-title")).to_contain_text("Shelf arrived broken")
            expect(page.locator("#comments")).to_contain_text("A replacement is on its way.")
            assert "difficult" not in page.inner_text("#view-requests")
            shot(page, "requests")

            # a new request from the portal, and a comment on it
            page.fill("#request-subject", "Please send a copy of the invoice")
            page.fill("#request-description", "For our auditors.")
            page.select_option("#request-priority", "high")
            page.click("#request-form button")
            expect(page.locator("#notice")).to_contain_text("is registered")
            expect(page.locator("#requests tr")).to_have_count(2)
            expect(page.locator("#request-title")).to_contain_text("Please send a copy of the invoice")
            page.fill("#comment-text", "Two copies, please.")
            page.click("#comment-form button")
            expect(page.locator("#comments")).to_contain_text("Two copies, please.")
            shot(page, "new-request")

            # signing out, and a bad token, leave the customer at the sign-in form
            page.click("#sign-out")
            expect(page.locator("#sign-in")).to_be_visible()
            page.fill("#token-input", "portal_not-a-token")
            page.click("#sign-in-form button")
            expect(page.locator("#notice")).to_contain_text("not valid")
            expect(page.locator("#app")).to_be_hidden()
        finally:
            browser.close()

    filed = ok(world.api.get("/v1/requests", params={"partner": "ACME"}))["items"]
    new = next(r for r in filed if r["subject"] == "Please send a copy of the invoice")
    assert (new["contact"], new["source"], new["requested_priority"]) == (world.contact["id"], "portal", "high")
    detail = ok(world.api.get(f"/v1/requests/{new['id']}"))
    assert [(c["text"], c["visibility"]) for c in detail["comments"]] == [("Two copies, please.", "public")]
    check_screenshots(shots)
