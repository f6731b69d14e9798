"""The timeline's tables, and how a handler writes an entry."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import BigInteger, Column, Date, DateTime, Index, MetaData, String, Table, Text

from aggregates.base import DomainEvent, erased_copy, personal_subjects
from projections.catalog import Projection, Rows

# What an entry is about; ``?kind=`` filters on it and the API declares it as an enum.
TimelineKind = Literal[
    "master_data", "note", "attachment", "credit", "merge", "document", "payment",
    "message", "collection", "request", "activity", "campaign", "subscription", "mailing",
]  # fmt: skip


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    entries = Table(
        f"{prefix}entries",
        meta,
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("partner_id", String(36), nullable=False),
        Column("at", DateTime(timezone=True)),
        Column("business_date", Date),
        Column("kind", String(40), nullable=False),
        Column("summary", Text, nullable=False),
        Column("ref", String(80)),
        # The summary once the data subjects of its personal values are erased (None: it has none).
        Column("erased_summary", Text),
    )
    Index(f"{prefix}ix_partner", entries.c.partner_id, entries.c.position)
    # Whose personal values an entry's summary shows, until they are erased.
    subjects = Table(
        f"{prefix}subjects",
        meta,
        Column("subject", String(36), primary_key=True),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
    )
    # Which partner a document belongs to, for the document events that do not say.
    documents = Table(
        f"{prefix}documents",
        meta,
        Column("id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("label", String(120), nullable=False),
    )
    # Which partner a message is for, and how to name it, for the delivery events that do not say.
    messages = Table(
        f"{prefix}messages",
        meta,
        Column("id", String(36), primary_key=True),
        Column("partner_id", String(36), nullable=False),
        Column("label", String(300), nullable=False),
    )
    return {"entries": entries, "subjects": subjects, "documents": documents, "messages": messages}


timeline = Projection("timeline", define)

E = TypeVar("E", bound=DomainEvent)


def record(
    rows: Rows,
    e: DomainEvent,
    partner_id: object,
    kind: TimelineKind,
    summary: str,
    ref: object = None,
    seq: int = 0,
    erased: str | None = None,
    subjects: Iterable[str] = (),
) -> None:
    """Adds one timeline entry; other projections' modules call this for their own events. An
    entry showing personal values names their ``subjects`` and how it reads once they are
    erased (``personal``)."""
    meta: Any = e.meta
    for subject in subjects:
        rows.insert("subjects", subject=subject, position=rows.position, seq=seq)
    rows.insert(
        "entries",
        position=rows.position,
        seq=seq,
        partner_id=str(partner_id),
        at=meta.business_time if meta and meta.business_time else e.timestamp,
        business_date=meta.business_date if meta else None,
        kind=kind,
        summary=summary[:500],
        ref=str(ref) if ref is not None else None,
        erased_summary=erased[:500] if erased is not None else None,
    )


def personal(e: E, summarise: Callable[[E], str], subjects: set[str] | None = None) -> dict[str, Any]:
    """``record``'s summary of ``e`` and, if it shows personal values (of ``subjects``, or of
    any subject of the event), how it reads once they are erased: the same words about the
    event as reading it gives after the erasure."""
    summary = summarise(e)
    found = personal_subjects(e) if subjects is None else subjects
    if not found:
        return {"summary": summary}
    erased = cast(E, erased_copy(e, found))
    return {"summary": summary, "erased": summarise(erased), "subjects": sorted(found)}


def document_fact(rows: Rows, e: DomainEvent, kind: TimelineKind, text: str) -> None:
    document = rows.get("documents", id=str(e.originator_id))
    if document is not None:
        record(rows, e, document["partner_id"], kind, f"{document['label']} {text}", e.originator_id)


def partner_entry(
    event_cls: type[E], kind: TimelineKind, summary: Callable[[E], str], ref: Callable[[E], object] | None = None
) -> None:
    """The entry of an event of a partner's own stream, where all it takes is the wording."""

    def write(e: E, rows: Rows) -> None:
        record(rows, e, e.originator_id, kind, ref=ref(e) if ref else None, **personal(e, summary))

    timeline.on(event_cls)(write)


def document_entry(event_cls: type[E], kind: TimelineKind, text: Callable[[E], str]) -> None:
    """The entry of an event of a stream with a row in ``documents`` (a document, case, request or
    activity), where all it takes is the wording after the label."""

    def write(e: E, rows: Rows) -> None:
        document_fact(rows, e, kind, text(e))

    timeline.on(event_cls)(write)
