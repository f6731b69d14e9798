"""The what-if simulation's copy of the books, kept in memory: its event store, which holds every
aggregate of the copy decoded, and the collection read model as the copy's daily run asks it,
answered from those aggregates (``simulation`` walks the copy)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from copy import deepcopy
from datetime import date, timedelta
from uuid import UUID

from eventsourcing.persistence import Notification

from aggregates.account import Account
from aggregates.base import Aggregate, DomainEvent
from aggregates.collection_case import CaseStatus, CollectionCase
from aggregates.collection_run import CollectionRun
from aggregates.errors import NotFound
from commands.collection.run import CollectPartner, active_from
from commands.context import CommandContext, ConcurrencyConflict
from projections.log import LoggedEvent
from services.adapters.store import EventStore
from services.bootstrap.container import Container

ACTOR = "simulation"
# How many of the latest saved events the copy keeps for its readers (at least; up to twice that).
LOGGED_KEPT = 20_000


class CopyStore(EventStore):
    """The copy's log, which keeps every aggregate of the copy decoded in memory and hands each
    saved event to the copy's readers as saved. The copy has one writer, this process, and every
    stream of it was written through ``save`` (the copied books, then the walk's saves): so the
    aggregates are built from the events as they are saved and are never read back from the
    database, nor are the events decoded again for the read models and process managers that
    read them right after. Each command gets a copy of its own to change."""

    def __init__(self, database_url: str, key: bytes) -> None:
        super().__init__(database_url, key)
        self._kept: dict[UUID, Aggregate] = {}
        # Streams whose kept state is in doubt (a save that failed may have written some of its
        # batches): read from the database the next time they are asked for.
        self._unsure: set[UUID] = set()
        self._changed: set[UUID] = set()
        self._logged: dict[int, LoggedEvent] = {}
        self._positions: list[int] = []  # of ``_logged``, in order

    def _record(self, events: Sequence[DomainEvent]) -> list[int]:
        """The events as the transaction recorded them, kept for the reactors (the latest
        ``LOGGED_KEPT``) once it committed: they read the same day's events right after."""
        positions = super()._record(events)
        for position, e in zip(positions, events, strict=True):
            self._logged[position] = LoggedEvent(position=position, event=e)
        self._positions += positions
        if len(self._positions) > 2 * LOGGED_KEPT:
            for position in self._positions[:-LOGGED_KEPT]:
                del self._logged[position]
            del self._positions[:-LOGGED_KEPT]
        return positions

    def read(
        self, after: int, limit: int = 1000, upto: int | None = None, topics: Sequence[str] = ()
    ) -> list[LoggedEvent]:
        """From the kept events when they reach back to ``after`` (every event of the log since
        the first kept one was saved here, so none is missing between them); of some ``topics``,
        from the database, which selects them without decoding the others."""
        kept = self._positions
        if topics or not kept or after + 1 < kept[0]:
            return super().read(after, limit, upto, topics)
        start = bisect_right(kept, after)
        end = min(start + limit, bisect_right(kept, upto) if upto is not None else len(kept))
        return [self._logged[position] for position in kept[start:end]]

    def to_logged(self, n: Notification) -> LoggedEvent:
        return self._logged.get(n.id) or super().to_logged(n)

    def decoded(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """The aggregates as kept, shared: for reading only."""
        if self._unsure:
            ids = list(ids)
            unsure = [i for i in ids if i in self._unsure]
            if unsure:
                self._kept.update(super().get_many(unsure))
                self._unsure.difference_update(unsure)
        kept = self._kept
        return {i: found for i in ids if (found := kept.get(i)) is not None}

    def get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate:
        if version is not None:
            return super().get(aggregate_id, version)
        found = self.decoded([aggregate_id]).get(aggregate_id)
        if found is None:
            raise NotFound(f"{aggregate_id} not found")
        return deepcopy(found)

    def get_many(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        return {i: deepcopy(a) for i, a in self.decoded(ids).items()}

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        return set(self.decoded(ids))

    def save(self, events: Sequence[DomainEvent]) -> int:
        try:
            position = super().save(events)
        except ConcurrencyConflict:
            raise  # refused whole: nothing of it was written
        except BaseException:
            self._doubt(events)
            raise
        self._follow(events)
        return position

    def save_apart(self, batches: Sequence[Sequence[DomainEvent]]) -> list[int | ConcurrencyConflict]:
        try:
            outcomes = super().save_apart(batches)
        except BaseException:
            for events in batches:
                self._doubt(events)
            raise
        for events, outcome in zip(batches, outcomes, strict=True):
            if not isinstance(outcome, ConcurrencyConflict):
                self._follow(events)
        return outcomes

    def changed(self) -> set[UUID]:
        """The streams saved to since the last call."""
        changed, self._changed = self._changed, set()
        return changed

    def _follow(self, events: Sequence[DomainEvent]) -> None:
        """Brings the kept aggregates up to the saved events, a new stream from its first."""
        for e in events:
            self._changed.add(e.originator_id)
            if e.originator_id in self._unsure:
                continue
            kept = self._kept.get(e.originator_id)
            if e.originator_version == 1 and kept is None:
                self._kept[e.originator_id] = e.mutate(None)
            elif kept is not None and kept.version == e.originator_version - 1:
                e.mutate(kept)
            else:
                self._doubt([e])

    def _doubt(self, events: Sequence[DomainEvent]) -> None:
        for e in events:
            self._kept.pop(e.originator_id, None)
            self._unsure.add(e.originator_id)
            self._changed.add(e.originator_id)


class Reading:
    """The copy's aggregates as a command context loads them, for decisions that save nothing."""

    def __init__(self, store: CopyStore) -> None:
        self.store = store

    def get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate:
        found = self.store.decoded([aggregate_id]).get(aggregate_id)
        if found is None:
            raise NotFound(f"{aggregate_id} not found")
        return found

    def get_many(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        return self.store.decoded(ids)

    def existing(self, ids: Sequence[UUID]) -> set[UUID]:
        return set(self.store.decoded(ids))

    def save(self, events: list[DomainEvent]) -> int:
        raise AssertionError("a reading context saves nothing")

    def save_apart(self, batches: Sequence[Sequence[DomainEvent]]) -> list[int | ConcurrencyConflict]:
        raise AssertionError("a reading context saves nothing")

    def snapshot(self, aggregate: Aggregate) -> None:
        pass


class ActivePartners:
    """The collection read model as the copy's process managers ask it, answered from the copy's
    aggregates (so the copy keeps no collection read model up to date): of the partners to
    collect (each with an open invoice or an open case, in id order), only those the day's run
    can act on (``active_from``); the open cases of partners; whether a day's run completed.

    Most partners are quiet on most days, and a walk of many days would otherwise read every
    partner's books every day: so each partner's first active day is found once, looking ahead on
    its books as they are, and found again only when a save changes its books (a level reached,
    a payment, a new invoice) or its day passed with nothing recorded (its day, unchanged, stays
    its day). A partner with neither open invoices nor open cases has no active day."""

    def __init__(self, copy: Container, store: CopyStore, until: date, partners: dict[UUID, list[UUID]]) -> None:
        self.clock = copy.clock
        self.store = store
        self.until = until
        # Every partner of the copy not looked at yet.
        self.unseen: set[UUID] = set(partners)
        self.active_on: dict[UUID, date] = {}
        # The cases each partner may have in the copy: its open cases when copied, and the case
        # of every invoice a look-ahead found open (a case is only opened for an open invoice).
        self.cases: dict[UUID, set[UUID]] = {p: set(cases) for p, cases in partners.items()}
        # Whose books each stream is in (a partner, its account, open invoices and cases).
        self.owner: dict[UUID, UUID] = {}

    def partners_to_collect(self) -> dict[UUID, list[UUID]]:
        now = self.clock.now()
        day = self.clock.today(now)
        stale = {self.owner[s] for s in self.store.changed() if s in self.owner} | self.unseen
        stale.update(p for p, on in self.active_on.items() if on < day)
        self.unseen = set()
        ctx = CommandContext(store=Reading(self.store), today=day, now=now, actor=ACTOR)
        for partner in stale:
            self._look_ahead(ctx, partner, day)
        active = sorted((p for p, on in self.active_on.items() if on <= day), key=str)
        return {p: self._open_cases(p) for p in active}

    def open_cases(self, partners: list[UUID]) -> dict[UUID, list[UUID]]:
        return {p: cases for p in partners if (cases := self._open_cases(p))}

    def run_completed(self, day: date) -> bool:
        run = self.store.decoded([CollectionRun.id_for(day)]).get(CollectionRun.id_for(day))
        return isinstance(run, CollectionRun) and run.completed

    def _open_cases(self, partner: UUID) -> list[UUID]:
        """The partner's open cases in id order, as the read model lists them."""
        kept = self.store.decoded(self.cases.get(partner, ()))
        return sorted(
            i
            for i, case in kept.items()
            if isinstance(case, CollectionCase) and case.partner == partner and case.status is CaseStatus.OPEN
        )

    def _look_ahead(self, ctx: CommandContext, partner: UUID, day: date) -> None:
        account = ctx.find(Account, Account.id_for(partner))
        invoices = list(account.open) if account is not None else []
        cases = self.cases.setdefault(partner, set())
        cases.update(CollectionCase.id_for(i) for i in invoices)
        for stream in [partner, Account.id_for(partner), *invoices, *cases]:
            self.owner[stream] = partner
        wanted = CollectPartner(partner=partner, day=day, open_cases=self._open_cases(partner))
        self.active_on[partner] = active_from(ctx, wanted, self.until) or self.until + timedelta(days=1)
