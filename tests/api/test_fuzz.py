"""Random input never makes the partner routes answer 500, and every refusal is problem+json."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.partners import RegisterPartner
from tests.api.helpers import PROBLEM_KEYS

FIELDS = sorted(RegisterPartner.model_fields)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
    st.sampled_from(["", " ", "0", "-1", "1e400", "NaN", "2026-02-30", "customer", "EUR", "a@b.c", "{0000}"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.one_of(text, st.sampled_from(FIELDS)), children, max_size=4)
    ),
    max_leaves=12,
)
# Bodies shaped like a PartnerCreate, with any value (often of the wrong type) in its known fields.
partner_like = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=8)
with_a_name = st.builds(lambda d, name: {**d, "name": name}, partner_like, st.one_of(text, json_values))
bodies = st.one_of(json_values, partner_like, with_a_name)

QUERY_KEYS = ["q", "role", "group", "tag", "sales_rep", "credit_status", "cf.segment", "cf.", "sort", "limit"]
QUERY_KEYS += ["cursor", "kind", "parent", "as_of", "x"]
queries = st.lists(
    st.tuples(
        st.one_of(st.sampled_from(QUERY_KEYS), text),
        st.one_of(text, st.integers().map(str), st.sampled_from(["-1", "0", "501", "name", "-created_on", "stop"])),
    ),
    max_size=5,
)


def assert_sane(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), response.headers
        body = response.json()
        assert set(body) >= PROBLEM_KEYS, body
        assert body["status"] == response.status_code
        if response.status_code == 422:
            assert all(set(e) == {"loc", "msg"} for e in body["errors"]), body


def post_raw(client: Any, method: str, path: str, body: Any) -> Any:
    # json.dumps keeps huge integers and non-ASCII text exactly as generated.
    return client.request(method, path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def test_random_bodies_to_post_partners(sqlite_client: Any) -> None:
    @FUZZ
    @given(body=bodies)
    def check(body: Any) -> None:
        response = post_raw(sqlite_client, "POST", "/v1/partners", body)
        assert_sane(response)
        if response.status_code == 201:
            assert response.json()["name"] == body["name"].strip()

    check()


def test_random_bodies_to_patch_a_partner(sqlite_client: Any) -> None:
    created = sqlite_client.post("/v1/partners", json={"name": "Target", "code": "TARGET"})
    assert created.status_code == 201
    sqlite_client.post("/v1/partners", json={"name": "Other", "code": "OTHER"})

    @FUZZ
    @given(body=bodies, ref=st.sampled_from(["TARGET", created.json()["id"], "target", "NOPE"]))
    def check(body: Any, ref: str) -> None:
        response = post_raw(sqlite_client, "PATCH", f"/v1/partners/{ref}", body)
        assert_sane(response)
        if ref == "NOPE":
            assert response.status_code in (400, 404, 422)

    check()
    assert sqlite_client.get("/v1/partners/TARGET").json()["id"] == created.json()["id"]


def test_random_query_strings_to_list_partners(sqlite_client: Any) -> None:
    sqlite_client.post(
        "/v1/custom-fields", json={"entity": "partner", "code": "segment", "label": "Segment", "type": "string"}
    )
    sqlite_client.post("/v1/partners", json={"name": "Listed", "custom_fields": {"segment": "smb"}})

    @FUZZ
    @given(params=queries, export=st.booleans())
    def check(params: list[tuple[str, str]], export: bool) -> None:
        path = "/v1/partners/export.csv" if export else "/v1/partners"
        response = sqlite_client.get(path, params=params)
        assert_sane(response)
        if response.status_code == 200 and not export:
            assert set(response.json()) == {"items", "next_cursor"}

    check()


def test_malformed_bytes_are_never_500(sqlite_client: Any) -> None:
    @FUZZ
    @given(raw=st.binary(max_size=60))
    def check(raw: bytes) -> None:
        response = sqlite_client.post("/v1/partners", content=raw, headers={"Content-Type": "application/json"})
        assert_sane(response)

    check()
