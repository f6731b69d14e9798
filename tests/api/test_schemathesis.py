"""Generated requests against every operation of /openapi.json: none answers a 5xx, and none
answers a status the document does not declare for that operation (bounded: a few examples per
operation, so the run stays short)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from services.api.app import create_app
from services.bootstrap.container import Container
from tests.conftest import ADMIN_KEY

BOUNDED = settings(
    max_examples=2,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _near(field: str) -> Any:
    """A tick, or a simulation, runs the daily jobs of every day it crosses (a simulation up to
    366 days, some seconds of work even on empty books): here they walk a few days, so that the
    run stays short. Later ticks to that day are refused (409)."""

    def near(case: Any) -> Any:
        if isinstance(case.body, dict):
            case.body = {**case.body, field: "2026-01-18"}
        return case

    return near


# What walks days, and the field that says how far.
WALKS = {"POST /v1/clock/ticks": "to", "POST /v1/simulations": "until"}


def _explain(error: BaseException) -> str:
    inner = getattr(error, "exceptions", None)
    if inner:
        return "; ".join(_explain(e) for e in inner)
    return str(error)


def test_every_operation_answers_only_what_it_declares(sqlite_container: Container) -> None:
    # One application for every operation: FastAPI builds its document and routes once, and the
    # data earlier requests leave behind only make later ones more varied.
    app = create_app(sqlite_container)
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 140
    failures: list[str] = []
    for operation in operations:
        cases = operation.as_strategy()
        if operation.label in WALKS:
            cases = cases.map(_near(WALKS[operation.label]))

        @given(case=cases)
        @BOUNDED
        def run(case: Any) -> None:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                checks=[not_a_server_error, status_code_conformance],
            )

        try:
            run()
        except (Exception, BaseExceptionGroup) as error:  # every operation's failure, not only the first
            failures.append(f"{operation.label}: {_explain(error)}"[:3000])
    assert not failures, "\n\n".join(failures)
