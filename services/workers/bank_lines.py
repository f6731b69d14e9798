"""Bank payments in: reads bank statement lines from ``CPTY_KAFKA_PAYMENTS_TOPIC`` and books each as
a payment (``commands.bank_lines``), with the line's ``id`` as the idempotency key.

A line that names no partner is recorded as unmatched (``GET /v1/payments/unmatched``) and, like a
malformed one, sent to ``<topic>.dead`` with the reason in the header ``reason``: nothing is lost
and nothing blocks the partition.

Offsets are committed only after every line of a poll is in the log (and its dead letter
acknowledged). A crash, a lost broker or a rebalance in between reads lines again; the idempotency
key makes that harmless, and a line recorded as unmatched is sent to the dead letters again (at
least once there too). A failure of the database stops the round before the line that failed and
reads it again on the next one."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from aggregates.bank_line import BankLine
from aggregates.errors import DomainError
from aggregates.idempotency import IdempotencyRecord
from commands.bank_lines import (
    BankLineIn,
    ReceiveBankLine,
    RecordUnmatchedBankLine,
    receive_bank_line,
    record_unmatched_bank_line,
)
from commands.context import CommandContext, Idempotency, IdempotencyReplay, Result
from services.adapters.kafka import BrokerUnavailable, Incoming, Kafka, Outgoing, Publisher, Subscription
from services.workers.ports import Ports, Request

log = logging.getLogger("counterparty.bank_lines")
ACTOR = "process:bank-lines"
# A line whose handling raised this often while the database answered is a dead letter.
POISON_AFTER = 3


@dataclass(frozen=True)
class Outcome:
    """What became of a line: ``booked`` (or booked before), ``unmatched``, ``malformed``,
    ``refused`` (its id was used before for another line) or ``failed`` (handling it raised again
    and again). All but ``booked`` are dead letters."""

    kind: str
    reason: str | None = None

    @property
    def dead(self) -> bool:
        return self.kind != "booked"


def malformed_reason(error: ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in error.errors()[:5]]
    return "; ".join(problems)


class BankLineConsumer:
    def __init__(
        self,
        ports: Ports,
        poll_timeout: float = 1.0,
        retry_interval: float = 3.0,
    ) -> None:
        settings = ports.settings
        assert settings.kafka_bootstrap and settings.kafka_payments_topic, "needs the bootstrap and the topic"
        self.ports = ports
        self.kafka = Kafka(settings.kafka_bootstrap, settings.kafka_timeout)
        self.topic = settings.kafka_payments_topic
        self.dead_topic = f"{self.topic}.dead"
        self.group = settings.kafka_payments_group
        self.poll_timeout = poll_timeout
        self.retry_interval = retry_interval
        self.error: str | None = None
        self._subscription: Subscription | None = None
        self._publisher: Publisher | None = None
        # Failed attempts per (topic, partition, offset) of lines not handled yet.
        self._failures: dict[tuple[str, int, int], int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one line ------------------------------------------------------------------------------

    def handle(self, value: bytes) -> Outcome:
        """Books one line, or records it as unmatched; the dead letter is the caller's."""
        try:
            line = BankLineIn.model_validate_json(value)
        except ValidationError as error:
            return Outcome("malformed", malformed_reason(error))
        key = Idempotency(line.id, hashlib.sha256(line.model_dump_json().encode()).hexdigest())
        known = self._known(key)
        if known is not None:
            return known
        try:
            self._execute(receive_bank_line, ReceiveBankLine(line=line), key)
            return Outcome("booked")
        except IdempotencyReplay:
            return self._known(key) or Outcome("booked")
        except DomainError as refusal:
            reason = refusal.detail
        try:
            self._execute(record_unmatched_bank_line, RecordUnmatchedBankLine(line=line, reason=reason), key)
        except IdempotencyReplay:
            return self._known(key) or Outcome("booked")
        except DomainError as refusal:
            return Outcome("refused", refusal.detail)
        log.info("bank line unmatched", extra={"line": line.id, "reason": reason})
        return Outcome("unmatched", reason)

    def _known(self, key: Idempotency) -> Outcome | None:
        """What a line whose id was handled before became (None if it was not)."""
        store = self.ports.store
        record = IdempotencyRecord.id_for(ACTOR, key.key)
        if not store.stream_version(record):
            return None
        if getattr(store.get(record), "request_hash", None) != key.request_hash:
            return Outcome("refused", f"bank line id {key.key} was received before with other content")
        if store.stream_version(BankLine.id_for(key.key)):
            unmatched = store.get(BankLine.id_for(key.key))
            assert isinstance(unmatched, BankLine)
            return Outcome("unmatched", unmatched.reason)
        return Outcome("booked")

    def _execute(self, handler: Callable[[Any, CommandContext], Result], command: Any, key: Idempotency) -> Result:
        return self.ports.execute(handler, command, Request(actor=ACTOR, idempotency=key))

    # -- one poll ------------------------------------------------------------------------------

    def connect(self) -> None:
        """Creates the topics when missing and joins the consumer group."""
        if self._subscription is None:
            settings = self.ports.settings
            for topic in (self.topic, self.dead_topic):
                self.kafka.ensure_topic(topic, settings.kafka_partitions, settings.kafka_replication)
            self._publisher = self.kafka.publisher()
            self._subscription = self.kafka.subscription(self.topic, self.group)

    def disconnect(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def run_once(self) -> int:
        """Handles one poll of lines and commits their offsets; answers how many lines."""
        self.connect()
        assert self._subscription is not None and self._publisher is not None
        records = self._subscription.poll(self.poll_timeout)
        dead: list[Outgoing] = []
        handled: dict[tuple[str, int], int] = {}
        try:
            for record in records:
                outcome = self._handle(record)
                if outcome.dead:
                    dead.append(self._dead_letter(record, outcome))
                handled[(record.topic, record.partition)] = record.offset + 1
        except Exception:
            # Not in the log: read it (and what follows it) again next round.
            self._subscription.rewind(self._first_unhandled(records, handled))
            raise
        finally:
            # What was handled is done, also when a later line failed. A failure here leaves the
            # offsets uncommitted: a new subscription reads those lines again.
            if dead:
                self._publisher.publish(self.dead_topic, dead)
            if handled:
                self._subscription.commit(handled)
        return len(records)

    def _handle(self, record: Incoming) -> Outcome:
        """``handle``; a line that fails again and again while the database answers is a dead
        letter: a poison line must not block its partition, an outage must not empty it."""
        at = (record.topic, record.partition, record.offset)
        try:
            outcome = self.handle(record.value)
        except Exception as error:
            self._failures[at] = self._failures.get(at, 0) + 1
            if self._failures[at] < POISON_AFTER:
                raise
            self.ports.store.head()  # raises while the database does not answer: read it again later
            log.exception("bank line failed repeatedly", extra={"offset": record.offset})
            outcome = Outcome("failed", f"{type(error).__name__}: {error}")
        self._failures.pop(at, None)
        return outcome

    @staticmethod
    def _first_unhandled(records: list[Incoming], handled: dict[tuple[str, int], int]) -> dict[tuple[str, int], int]:
        first: dict[tuple[str, int], int] = {}
        for r in records:
            partition = (r.topic, r.partition)
            if r.offset >= handled.get(partition, -1):
                first[partition] = min(first.get(partition, r.offset), r.offset)
        return first

    def _dead_letter(self, record: Incoming, outcome: Outcome) -> Outgoing:
        reason = f"{outcome.kind}: {outcome.reason}"
        log.warning("bank line to the dead letters", extra={"offset": record.offset, "reason": reason})
        source = f"{record.topic}/{record.partition}/{record.offset}"
        return Outgoing(
            key=record.key,
            value=record.value,
            headers=[*record.headers, ("reason", reason.encode()), ("source", source.encode())],
        )

    def drain(self, timeout: float = 60.0) -> int:
        """Handles lines until the group has read the topic to its end; answers how many."""
        deadline = time.monotonic() + timeout
        total = 0
        while time.monotonic() < deadline:
            n = self.run_once()
            total += n
            assert self._subscription is not None
            if not n and self._subscription.caught_up():
                return total
        raise TimeoutError(f"the payments topic was not read to its end within {timeout} s")

    # -- the background thread -----------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="bank-lines", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except BrokerUnavailable as error:
                if self.error is None:
                    log.warning(
                        "bank lines paused: the broker is unavailable; retrying",
                        extra={"error": str(error), "topic": self.topic},
                    )
                self.error = str(error)
                self.disconnect()
                self._stop.wait(self.retry_interval)
                continue
            except Exception as error:  # the database: the lines are read again
                log.exception("bank lines round failed; retrying")
                self.error = f"{type(error).__name__}: {error}"
                self._stop.wait(self.retry_interval)
                continue
            if self.error is not None:
                log.warning("bank lines resumed", extra={"topic": self.topic})
                self.error = None

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=30)
            self._thread = None
        self.disconnect()
