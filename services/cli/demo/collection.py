"""Collection (dunning): credit control defines the templates of its messages and the default
scheme (data/collection.toml) when the sales year starts; the daily runs do the rest on their own,
opening a case for an overdue invoice and closing it once it is paid."""

from __future__ import annotations

from string import Template
from typing import Any

from commands.collection import DefineScheme, define_scheme
from commands.messages import CreateTemplate, create_template
from queries.collection import CollectionQueries
from queries.pages import PageRequest
from services.cli.demo.context import FINANCE, Demo
from services.cli.demo.reference import load

COLLECTION = load("collection")


def _fragments() -> dict[str, str]:
    """The shared fragments, each with the ones before it filled in."""
    fragments: dict[str, str] = {}
    for name, text in COLLECTION["fragments"].items():
        fragments[name] = Template(text).substitute(fragments)
    return fragments


def templates() -> list[dict[str, Any]]:
    """The collection templates, their bodies with the fragments filled in."""
    fragments = _fragments()
    return [{**t, "body": Template(t["body"]).substitute(fragments)} for t in COLLECTION["template"]]


def define_collection(demo: Demo) -> None:
    for template in templates():
        command = CreateTemplate.model_validate({"purpose": "collection", "language": "en", **template})
        demo.run(create_template, command, FINANCE)
    demo.run(define_scheme, DefineScheme.model_validate(COLLECTION["scheme"]), FINANCE)


def collection_summary(demo: Demo) -> str:
    rows = _all_cases(CollectionQueries(demo.container.catalog))
    open_cases = [r for r in rows if r["status"] == "open"]
    levels = ", ".join(
        f"L{level} {sum(1 for r in rows if r['level'] == level)}" for level in sorted({r["level"] for r in rows})
    )
    promised = sum(1 for r in rows if any(h["kind"].startswith("promise") for h in r["history"]))
    disputed = sum(1 for r in rows if any(h["kind"] == "dispute_raised" for h in r["history"]))
    return (
        f"collection: {len(rows)} cases ({len(open_cases)} open, {len(rows) - len(open_cases)} closed; "
        f"by level {levels or 'none'}; {disputed} disputed, {promised} with promises)"
    )


def _all_cases(queries: CollectionQueries) -> list[dict[str, Any]]:
    """Every collection case, page by page."""
    cases: list[dict[str, Any]] = []
    request = PageRequest(limit=500)
    while True:
        result = queries.cases(request, None, None, None)
        cases += result["items"]
        if not result["next_cursor"]:
            return cases
        request = PageRequest(limit=500, cursor=result["next_cursor"])
