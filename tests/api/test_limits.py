"""API.md Conventions, Limits and Read your writes: body sizes (413 before parsing), the maxima of
every list and string in a body, rate limits per key and per client address, and waiting requests
that never hold the threads other requests need."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import assert_problem, error_locs, role_headers
from tests.conftest import ADMIN_KEY, http_client, open_container, sqlite_store


@pytest.fixture
def limited(tmp_path: Path, sqlite_template: Path) -> Callable[..., AbstractContextManager[Any]]:
    """Opens an admin client over a fresh SQLite store with these settings."""

    @contextmanager
    def client_with(**settings: Any) -> Iterator[Any]:
        container = open_container(sqlite_store(sqlite_template, tmp_path).model_copy(update=settings))
        try:
            with http_client(container) as client:
                yield client
        finally:
            container.close()

    return client_with


# -- body sizes ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_before_it_is_parsed(limited: Callable[..., Any]) -> None:
    with limited(max_body_bytes=1000) as client:
        stated = client.post("/v1/partners", json={"name": "Big", "notes_public": "x" * 2000})
        body = assert_problem(stated, 413, "payload_too_large")
        assert body["detail"] == "the request body is larger than 1000 bytes"
        # Sent in chunks, without a Content-Length: counted as it arrives.
        chunks = iter([b'{"name": "Chunked", "notes_public": "', b"x" * 600, b"x" * 600, b'"}'])
        chunked = client.post("/v1/partners", content=chunks, headers={"Content-Type": "application/json"})
        assert_problem(chunked, 413, "payload_too_large")
        assert client.post("/v1/partners", json={"name": "Small", "code": "S"}).status_code == 201
        # An attachment keeps its own limit.
        upload = client.post("/v1/partners/S/attachments", files={"file": ("a.txt", b"y" * 5000, "text/plain")})
        assert upload.status_code == 201, upload.text
        assert [p["name"] for p in client.get("/v1/partners").json()["items"]] == ["Small"]


def test_lists_and_strings_beyond_their_maxima_are_422_at_the_field(sqlite_client: Any) -> None:
    client = sqlite_client
    too_many = client.post("/v1/partners", json={"name": "Tagged", "tags": [f"t{i}" for i in range(101)]})
    assert error_locs(assert_problem(too_many, 422, "validation_error")) == [["body", "tags"]]
    too_long = client.post("/v1/partners", json={"name": "N" * 201})
    assert error_locs(assert_problem(too_long, 422, "validation_error")) == [["body", "name"]]
    client.post("/v1/partners", json={"name": "Noted", "code": "N"})
    note = client.post("/v1/partners/N/notes", json={"text": "n" * 20001})
    assert error_locs(assert_problem(note, 422, "validation_error")) == [["body", "text"]]
    hold = client.post("/v1/partners/N/credit-hold", json={"reason": "r" * 501})
    assert error_locs(assert_problem(hold, 422, "validation_error")) == [["body", "reason"]]
    assert [p["name"] for p in client.get("/v1/partners").json()["items"]] == ["Noted"]
    assert (
        client.post("/v1/partners", json={"name": "Tagged", "tags": [f"t{i}" for i in range(100)]}).status_code == 201
    )


def _unbounded(schema: dict[str, Any], components: dict[str, Any], where: str, seen: set[str]) -> Iterator[str]:
    """Every string without maxLength, list without maxItems and map without maxProperties."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _unbounded(components[name], components, name, seen)
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, ()):
            yield from _unbounded(part, components, where, seen)
    kind = schema.get("type")
    # Closed sets and formats have their own length; a file (contentMediaType) has the attachment limit.
    closed = "enum" in schema or "const" in schema or "contentMediaType" in schema
    closed = closed or schema.get("format") in ("date", "date-time", "uuid", "binary")
    if kind == "string" and "maxLength" not in schema and not closed:
        yield where
    if kind == "array":
        if "maxItems" not in schema:
            yield where
        yield from _unbounded(schema.get("items", {}), components, f"{where}[]", seen)
    for name, field in schema.get("properties", {}).items():
        yield from _unbounded(field, components, f"{where}.{name}", seen)
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) or extra is True:
        if "maxProperties" not in schema:
            yield where
        if isinstance(extra, dict):
            yield from _unbounded(extra, components, f"{where}{{}}", seen)


def test_every_list_and_string_of_a_request_body_states_its_maximum(sqlite_client: Any) -> None:
    spec = sqlite_client.get("/openapi.json").json()
    components = spec["components"]["schemas"]
    seen: set[str] = set()
    found = [
        where
        for operations in spec["paths"].values()
        for operation in operations.values()
        for media in operation.get("requestBody", {}).get("content", {}).values()
        for where in _unbounded(media["schema"], components, operation["operationId"], seen)
    ]
    assert found == [], found


# -- rate limits ---------------------------------------------------------------------------------


def test_a_flood_is_rate_limited_with_429_and_ratelimit_headers(limited: Callable[..., Any]) -> None:
    with limited(rate_limit="3/day") as client:
        answers = [client.get("/v1/clock") for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["RateLimit-Limit"] for a in answers} == {"3"}
        assert all(0 < int(a.headers["RateLimit-Reset"]) <= 86400 for a in answers)
        limited_answer = answers[-1]
        assert_problem(limited_answer, 429, "rate_limited")
        assert int(limited_answer.headers["Retry-After"]) == int(limited_answer.headers["RateLimit-Reset"])
        # Operational routes are not limited.
        assert client.get("/healthz").status_code == 200
        assert "RateLimit-Limit" not in client.get("/healthz").headers


def test_wrong_keys_are_limited_per_client_address(limited: Callable[..., Any]) -> None:
    with limited(rate_limit_anonymous="5/day") as client:
        statuses = [
            client.get("/v1/clock", headers={"Authorization": f"Bearer wrong-{i}"}).status_code for i in range(50)
        ]
        assert statuses == [401] * 5 + [429] * 45
        # No key at all, or not a bearer, counts against the same address.
        assert_problem(client.get("/v1/clock", headers={"Authorization": ""}), 429, "rate_limited")
        assert_problem(client.get("/v1/clock", headers={"Authorization": "Basic eA=="}), 429, "rate_limited")
        # One counter for the address, not one per key tried.
        storage = client.app.state.rate_limits.storage.storage
        assert {key.split("/")[1] for key in storage} == {"address:testclient"}
        # A valid key has its own counter.
        assert client.get("/v1/clock").status_code == 200


def test_spellings_of_one_key_share_its_limit_and_other_keys_have_their_own(limited: Callable[..., Any]) -> None:
    with limited(rate_limit="10/day") as client:
        clerk = role_headers(client, "clerk")  # the admin's first request
        spellings = [f"Bearer {ADMIN_KEY}", f"bearer {ADMIN_KEY}", f"BEARER  {ADMIN_KEY} ", f"Bearer {ADMIN_KEY} "]
        statuses = [
            client.get("/v1/clock", headers={"Authorization": spellings[i % len(spellings)]}).status_code
            for i in range(31)
        ]
        assert statuses == [200] * 9 + [429] * 22
        assert client.get("/v1/clock", headers=clerk).status_code == 200


# -- waiting for a position ----------------------------------------------------------------------


@pytest.fixture
def lagging(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """Opens an admin client whose partner directory cannot apply a registration (until
    ``monkeypatch.undo()``) and whose runner works in its background thread, as in a server."""
    from aggregates.partner_details import PartnerRegistered

    def broken(*_: Any) -> None:
        raise RuntimeError("the directory cannot apply this event")

    @contextmanager
    def client_with(timeout: float) -> Iterator[Any]:
        settings = sqlite_store(sqlite_template, tmp_path).model_copy(update={"consistency_timeout": timeout})
        container = open_container(settings)
        monkeypatch.setitem(container.catalog.projections["partner_directory"].handlers, PartnerRegistered, [broken])
        try:
            with http_client(container) as client:
                container.runner.start()
                yield client
        finally:
            container.close()

    return client_with


def test_waiting_reads_leave_the_threads_to_other_requests(
    lagging: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """60 reads wait for a position that a broken read model has not reached (more of them than
    the server has worker threads): the clock still answers while every one of them waits, and
    all of them answer as soon as the read model gets there."""
    with lagging(timeout=10.0) as client:
        created = client.post("/v1/partners", json={"name": "Lagging"}, headers={"Prefer": "respond-async"})
        position = created.headers["X-Position"]
        finished: list[int] = []

        def read() -> None:
            response = client.get("/v1/partners", headers={"X-Min-Position": position})
            finished.append(response.status_code)

        readers = [threading.Thread(target=read) for _ in range(60)]
        for reader in readers:
            reader.start()
        waits = client.app.state.waits
        deadline = time.monotonic() + 5
        while waits.waiting < 60 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waits.waiting == 60
        assert client.get("/v1/clock").status_code == 200
        assert finished == []  # the clock answered while all 60 were waiting
        monkeypatch.undo()  # the directory applies the registration at its next round
        for reader in readers:
            reader.join(timeout=30)
        assert finished == [200] * 60
        assert waits.waiting == 0


def test_a_read_waiting_past_the_timeout_is_503(lagging: Callable[..., Any]) -> None:
    with lagging(timeout=0.3) as client:
        created = client.post("/v1/partners", json={"name": "Lagging"}, headers={"Prefer": "respond-async"})
        position = created.headers["X-Position"]
        response = client.get("/v1/partners", headers={"X-Min-Position": position})
        body = assert_problem(response, 503, "read_model_lagging")
        assert body["detail"] == f"the read models have not reached {position} yet"
        assert response.headers["Retry-After"] == "1"
        assert client.app.state.waits.waiting == 0
