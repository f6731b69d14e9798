"""Request ids and quiet logs: every answer carries ``X-Request-Id`` (the caller's when sane), every
log line of a request carries it, and libraries' INFO chatter stays out of the log."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest

from services.adapters.logs import REQUEST_ID, JsonFormatter, LibraryNoise, request_id


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """The JSON lines the service's HTTP logger writes while the test runs."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("counterparty.http")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(level)


def entries(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_every_answer_and_its_log_line_carry_the_request_id(sqlite_client: Any, log_lines: io.StringIO) -> None:
    given = sqlite_client.get("/v1/partners", headers={"X-Request-Id": "trace-42.a:b"})
    assert given.status_code == 200 and given.headers["x-request-id"] == "trace-42.a:b"
    made = sqlite_client.get("/v1/partners")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    # Errors too: no key (401), an unknown path (404), a refused command (422).
    refused = [
        sqlite_client.get("/v1/partners", headers={"Authorization": ""}),
        sqlite_client.get("/v1/nowhere"),
        sqlite_client.post("/v1/partners", json={}),
    ]
    assert [r.status_code for r in refused] == [401, 404, 422]
    ids = [r.headers["x-request-id"] for r in refused]
    assert len(set(ids) | {made.headers["x-request-id"]}) == 4, "a fresh id per request"
    # A caller's id that could break or forge a log line is replaced.
    for bad in ("two words", "x" * 129, '{"level": "error"}'):
        answered = sqlite_client.get("/v1/partners", headers={"X-Request-Id": bad}).headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", answered)

    lines = [e for e in entries(log_lines) if e["msg"] == "request"]
    assert [(e["request_id"], e["status"]) for e in lines[:5]] == [
        ("trace-42.a:b", 200),
        (made.headers["x-request-id"], 200),
        *zip(ids, (401, 404, 422), strict=True),
    ]
    assert REQUEST_ID.get() is None, "the id does not leak out of the request"


def test_an_unexpected_error_answers_and_logs_with_the_request_id(sqlite_container: Any) -> None:
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    app = create_app(sqlite_container)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("counterparty.api")
    logger.addHandler(handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/boom", headers={"X-Request-Id": "boom-1"})
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert response.headers["x-request-id"] == "boom-1"
    (logged,) = entries(out)
    assert logged["msg"] == "unhandled error" and logged["request_id"] == "boom-1" and "RuntimeError" in logged["exc"]


def test_a_request_id_is_kept_only_when_sane() -> None:
    assert request_id("0f8fad5b-d9cb-469f-a165-70867728950e") == "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert request_id("abc/DEF+ghi=") == "abc/DEF+ghi="
    for bad in (None, "", "a\nb", "é", "x" * 129):
        assert re.fullmatch(r"[0-9a-f]{32}", request_id(bad))


def test_libraries_say_warnings_only_and_the_service_says_everything() -> None:
    noise = LibraryNoise()

    def passes(name: str, level: int) -> bool:
        return noise.filter(logging.makeLogRecord({"name": name, "levelno": level}))

    assert not passes("weasyprint.progress", logging.INFO)
    assert not passes("fontTools.subset", logging.INFO)
    assert not passes("httpx", logging.INFO)
    assert not passes("kafka.conn", logging.DEBUG)
    assert passes("weasyprint", logging.WARNING)
    assert passes("counterparty.sender", logging.INFO)
    assert passes("uvicorn.error", logging.INFO)
    token = REQUEST_ID.set("r-1")
    try:
        record = logging.makeLogRecord({"name": "counterparty.x", "msg": "hi", "levelno": 20, "levelname": "INFO"})
        assert json.loads(JsonFormatter().format(record))["request_id"] == "r-1"
    finally:
        REQUEST_ID.reset(token)
    record = logging.makeLogRecord({"name": "counterparty.x", "msg": "hi", "levelno": 20, "levelname": "INFO"})
    assert "request_id" not in json.loads(JsonFormatter().format(record))
