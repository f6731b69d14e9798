"""A typed client generated from /openapi.json by a maintained generator (openapi-python-client)
runs a short flow: register a partner, issue an invoice, receive a payment, read the balance."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from openapi_python_client import generate
from openapi_python_client.config import Config, ConfigFile, MetaType

from services.bootstrap.container import Container
from tests.conftest import ADMIN_KEY, http_client


def generated_client(spec: dict[str, Any], where: Path) -> str:
    """Generates the package ``cpty_client`` under ``where``; answers the generator's complaints."""
    source = where / "openapi.json"
    source.write_text(json.dumps(spec))
    config = Config.from_sources(
        ConfigFile(post_hooks=[], package_name_override="cpty_client", project_name_override="cpty-client"),
        MetaType.NONE,
        source,
        "utf-8",
        True,
        where / "cpty_client",
    )
    complaints = generate(config=config)
    # A PDF download or the tracking image is no model the generator could type: nothing else may be left out.
    binary = ("application/pdf", "image/gif")
    return "\n".join(
        f"{c.header} {c.detail}" for c in complaints if not any(t in f"{c.detail}{c.header}" for t in binary)
    )


def test_a_generated_client_registers_invoices_collects_and_reads_the_balance(
    sqlite_container: Container, tmp_path: Path
) -> None:
    with http_client(sqlite_container) as test_client:
        spec = test_client.get("/openapi.json").json()
        assert generated_client(spec, tmp_path) == ""
        sys.path.insert(0, str(tmp_path))
        try:
            client_module = importlib.import_module("cpty_client")
            models = importlib.import_module("cpty_client.models")
            create_partner = importlib.import_module("cpty_client.api.partners.partners_create_partner")
            read_balance = importlib.import_module("cpty_client.api.partners.partners_balance")
            create_document = importlib.import_module("cpty_client.api.documents.documents_create_document")
            issue = importlib.import_module("cpty_client.api.documents.documents_issue")
            pay = importlib.import_module("cpty_client.api.payments_and_receivables.payments_create_payment")

            client = client_module.AuthenticatedClient(base_url="http://testserver", token=ADMIN_KEY)
            # The generated code calls an httpx client: the test client is one, wired to the app.
            client.set_httpx_client(test_client)

            partner = create_partner.sync(client=client, body=models.PartnerCreate(name="Typed GmbH", code="TYPED"))
            assert isinstance(partner, models.PartnerPublic), partner
            # Enum words arrive as the generated enums.
            assert (partner.code, partner.kind.value, [r.value for r in partner.roles]) == (
                "TYPED",
                "organization",
                ["customer"],
            )

            line = models.LineIn(product="SVC", quantity="2", unit_price="150.00")
            draft = create_document.sync(
                client=client, body=models.DocumentCreate(type_=models.DocType.INVOICE, partner="TYPED", lines=[line])
            )
            assert isinstance(draft, models.DocumentPublic), draft
            invoice = issue.sync(str(draft.id), client=client, body=models.IssueRequest())
            assert isinstance(invoice, models.DocumentPublic), invoice
            assert (invoice.status.value, invoice.total) == ("issued", "300.00")

            payment = pay.sync(client=client, body=models.PaymentCreate(partner="TYPED", amount="120.00"))
            assert isinstance(payment, models.PaymentPublic), payment

            balance = read_balance.sync("TYPED", client=client)
            assert isinstance(balance, models.BalancePublic), balance
            assert (balance.balance, balance.currency) == ("180.00", "EUR")
            assert [item.open_amount for item in balance.open_items] == ["180.00"]

            refused = create_partner.sync(client=client, body=models.PartnerCreate(name="Again", code="TYPED"))
            assert isinstance(refused, models.Problem), refused
            assert (refused.status, refused.code) == (409, "code_taken")
        finally:
            sys.path.remove(str(tmp_path))
            for name in [m for m in sys.modules if m == "cpty_client" or m.startswith("cpty_client.")]:
                del sys.modules[name]
