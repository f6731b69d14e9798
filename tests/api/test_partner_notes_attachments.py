"""/v1/partners/{partner}/notes and /attachments."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import assert_problem, create_partner, error_locs, get_partner
from tests.conftest import http_client, make_settings, open_container


def test_notes_append_to_public_or_private_notes(client: Any) -> None:
    p = create_partner(client, name="Noted", code="NOTE", notes_public="Existing")
    response = client.post("/v1/partners/note/notes", json={"text": "Call on Mondays", "visibility": "public"})
    assert response.status_code == 201
    assert "X-Position" in response.headers
    assert response.json() == {
        "partner": p["id"],
        "text": "Call on Mondays",
        "visibility": "public",
        "date": "2026-01-15",
    }
    private = client.post("/v1/partners/NOTE/notes", json={"text": "Disputes everything"})
    assert private.json()["visibility"] == "private"
    client.post("/v1/partners/NOTE/notes", json={"text": "Second", "visibility": "private"})
    partner = get_partner(client, "NOTE")
    assert partner["notes_public"] == "Existing\nCall on Mondays"
    assert partner["notes_private"] == "Disputes everything\nSecond"
    assert partner["version"] == 4
    notes = client.get("/v1/partners/NOTE/timeline?kind=note").json()["items"]
    assert [n["summary"] for n in notes] == [
        "Public note: Call on Mondays",
        "Private note: Disputes everything",
        "Private note: Second",
    ]


def test_note_validation(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="Noted", code="NOTE")
    for body, loc in (
        ({"text": "x", "visibility": "secret"}, ["body", "visibility"]),
        ({"text": "   "}, ["body", "text"]),
        ({}, ["body", "text"]),
        ({"text": 5}, ["body", "text"]),
    ):
        problem = assert_problem(sqlite_client.post("/v1/partners/NOTE/notes", json=body), 422, "validation_error")
        assert loc in error_locs(problem), (body, problem)
    assert_problem(sqlite_client.post("/v1/partners/NOPE/notes", json={"text": "x"}), 404, "not_found")
    assert get_partner(sqlite_client, "NOTE")["notes_private"] == ""


@pytest.mark.postgres
def test_attachment_upload_and_download(client: Any) -> None:
    create_partner(client, name="Files", code="FILES")
    data = b"%PDF-1.4\n" + bytes(range(256)) * 40
    response = client.post("/v1/partners/files/attachments", files={"file": ("contract.pdf", data, "application/pdf")})
    assert response.status_code == 201
    assert "X-Position" in response.headers
    attachment = response.json()
    aid = attachment.pop("id")
    assert attachment == {
        "filename": "contract.pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_type": "application/pdf",
    }
    assert get_partner(client, "FILES")["attachments"] == [{"id": aid, **attachment}]
    download = client.get(f"/v1/partners/FILES/attachments/{aid}")
    assert download.status_code == 200
    assert download.content == data
    assert download.headers["content-type"] == "application/pdf"
    assert 'filename="contract.pdf"' in download.headers["content-disposition"]
    timeline = client.get("/v1/partners/FILES/timeline?kind=attachment").json()["items"]
    assert [t["summary"] for t in timeline] == [f"Attachment contract.pdf ({len(data)} bytes)"]


def test_the_same_content_twice_is_two_attachments_with_one_hash(client: Any) -> None:
    create_partner(client, name="Files", code="FILES")
    first = client.post("/v1/partners/FILES/attachments", files={"file": ("a.txt", b"hello", "text/plain")}).json()
    second = client.post("/v1/partners/FILES/attachments", files={"file": ("b.txt", b"hello", "text/plain")}).json()
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"] == hashlib.sha256(b"hello").hexdigest()
    assert client.get(f"/v1/partners/FILES/attachments/{second['id']}").content == b"hello"
    assert len(get_partner(client, "FILES")["attachments"]) == 2


def test_content_type_parameters_are_dropped_and_names_sanitised(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="Files", code="FILES")
    response = sqlite_client.post(
        "/v1/partners/FILES/attachments",
        files={"file": ("../../etc/notes.txt", b"plain", "Text/Plain; charset=utf-8")},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["content_type"] == "text/plain"
    assert "/" not in body["filename"]
    assert body["filename"] == ".._.._etc_notes.txt"


def test_a_disallowed_type_is_415_and_nothing_is_recorded(client: Any) -> None:
    create_partner(client, name="Files", code="FILES")
    response = client.post(
        "/v1/partners/FILES/attachments", files={"file": ("setup.exe", b"MZ\x90\x00", "application/x-msdownload")}
    )
    assert assert_problem(response, 415, "unsupported_media_type")["detail"] == (
        "files of type application/x-msdownload are not accepted"
    )
    partner = get_partner(client, "FILES")
    assert partner["attachments"] == []
    assert partner["version"] == 1


def test_attachment_errors(sqlite_client: Any) -> None:
    create_partner(sqlite_client, name="Files", code="FILES")
    unknown_partner = sqlite_client.post("/v1/partners/NOPE/attachments", files={"file": ("a.txt", b"x", "text/plain")})
    assert_problem(unknown_partner, 404, "not_found")
    missing = sqlite_client.get("/v1/partners/FILES/attachments/3f1b7c4e-0000-4000-8000-000000000000")
    assert_problem(missing, 404, "not_found")
    no_file = sqlite_client.post("/v1/partners/FILES/attachments", data={"other": "x"})
    assert error_locs(assert_problem(no_file, 422, "validation_error")) == [["body", "file"]]


def test_an_attachment_over_the_limit_is_413(tmp_path: Path) -> None:
    container = open_container(make_settings(tmp_path, max_attachment_bytes=1000))
    try:
        with http_client(container) as client:
            create_partner(client, name="Files", code="FILES")
            at_limit = client.post(
                "/v1/partners/FILES/attachments", files={"file": ("ok.bin", b"a" * 1000, "application/octet-stream")}
            )
            assert at_limit.status_code == 201
            assert at_limit.json()["size"] == 1000
            over = client.post(
                "/v1/partners/FILES/attachments",
                files={"file": ("big.bin", b"a" * 1001, "application/octet-stream")},
            )
            body = assert_problem(over, 413, "payload_too_large")
            assert body["detail"] == "attachments are at most 1000 bytes"
            assert [a["filename"] for a in get_partner(client, "FILES")["attachments"]] == ["ok.bin"]
            # Nothing of the refused file is left behind in the blob store.
            blobs = [p for p in (tmp_path / "data" / "blobs").rglob("*") if p.is_file()]
            assert [b.name for b in blobs] == [hashlib.sha256(b"a" * 1000).hexdigest()]
    finally:
        container.close()
