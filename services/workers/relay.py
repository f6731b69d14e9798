"""The Kafka relay: publishes every event of the log, in position order, to ``CPTY_KAFKA_TOPIC``.

Each message is the event exactly as ``GET /v1/audit/events`` shows it (the same ``describe``),
keyed by its stream, with the headers ``type``, ``position``, ``stream_type`` and ``version``.

At least once, never a gap: the relay's position (``kafka_relay`` in ``cpty_tracking``) moves past
a page of the log only after the broker has acknowledged every message of it (``acks=all``), and
only if it still stands where the page started. A crash or a broker failure in between publishes
the page again; consumers deduplicate by ``(stream, version)``.

A broker that is down stops only the relay: it is no reader the commands wait for (the runner
does not know it), so commands, read models and process managers go on, while the relay logs the
outage once, tries again every few seconds with fresh clients (a restarted broker may have lost
the topic) and catches up from its position. ``run_once`` is one step any scheduler can drive: a
worker holding a leader lock runs the same loop as ``serve`` does."""

from __future__ import annotations

import logging
import threading

from pydantic_core import to_json
from sqlalchemy import select, update

from projections.catalog import tracking
from projections.log import LoggedEvent
from projections.runner import Progress
from queries.audit import describe
from services.adapters.kafka import BrokerUnavailable, Kafka, Outgoing, Publisher
from services.workers.ports import Ports

log = logging.getLogger("counterparty.relay")

# Its key in cpty_tracking, and its name in /v1/admin/projections and /metrics.
RELAY = "kafka_relay"
PAGE = 1000


def message(logged: LoggedEvent) -> Outgoing:
    described = describe(logged.event, logged.position)
    return Outgoing(
        key=described["stream"].encode(),
        value=to_json(described),
        headers=[
            ("type", described["type"].encode()),
            ("position", str(logged.position).encode()),
            ("stream_type", described["stream_type"].encode()),
            ("version", str(described["version"]).encode()),
        ],
    )


class KafkaRelay:
    name = RELAY

    def __init__(
        self,
        ports: Ports,
        page: int = PAGE,
        poll_interval: float = 1.0,
        retry_interval: float = 3.0,
    ) -> None:
        settings = ports.settings
        assert settings.kafka_bootstrap, "the relay needs CPTY_KAFKA_BOOTSTRAP"
        self.ports = ports
        self.kafka = Kafka(settings.kafka_bootstrap, settings.kafka_timeout)
        self.topic = settings.kafka_topic
        self.page = page
        self.poll_interval = poll_interval
        self.retry_interval = retry_interval
        # Why the last round failed, until a round succeeds (shown as status ``failed``).
        self.error: str | None = None
        self._publisher: Publisher | None = None
        self._tracked = False
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one step ------------------------------------------------------------------------------

    def position(self) -> int:
        """The last position the broker has acknowledged."""
        return self.ports.catalog.position(RELAY)

    def run_once(self) -> int:
        """Publishes the page of the log after the relay's position; answers how many events.
        Raises ``BrokerUnavailable`` (the position unmoved) when the broker did not acknowledge."""
        if not self._tracked:
            self.ensure_tracking()
        start = self.position()
        batch = self.ports.store.read(start, self.page)
        if not batch:
            return 0
        messages = [message(logged) for logged in batch]
        try:
            self._connected().publish(self.topic, messages)
        except BrokerUnavailable:
            self._disconnect()
            raise
        self._advance(start, batch[-1].position)
        return len(batch)

    def catch_up(self) -> int:
        """Publishes up to the head of the log; answers how many events."""
        total = 0
        while (n := self.run_once()) > 0:
            total += n
            if n < self.page:
                break
        return total

    def _connected(self) -> Publisher:
        if self._publisher is None:
            settings = self.ports.settings
            self.kafka.ensure_topic(self.topic, settings.kafka_partitions, settings.kafka_replication)
            self._publisher = self.kafka.publisher()
        return self._publisher

    def _disconnect(self) -> None:
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def ensure_tracking(self) -> None:
        with self.ports.catalog.engine.begin() as conn:
            if conn.execute(select(tracking.c.key).where(tracking.c.key == RELAY)).first() is None:
                conn.execute(tracking.insert().values(key=RELAY, position=0))
        self._tracked = True

    def _advance(self, start: int, end: int) -> None:
        with self.ports.catalog.engine.begin() as conn:
            moved = conn.execute(
                update(tracking).where(tracking.c.key == RELAY, tracking.c.position == start).values(position=end)
            ).rowcount
        if moved != 1:
            # Another relay published the same page meanwhile: consumers see it twice and
            # deduplicate; the next round starts from the position that relay recorded.
            log.warning("kafka relay position moved by another process", extra={"start": start, "end": end})

    def status(self) -> Progress:
        head = self.ports.store.head()
        position = self.position()
        state = "failed" if self.error else "live" if position >= head else "catching_up"
        return Progress(RELAY, position, head, state, "relay", error=self.error)

    # -- the background thread -----------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="kafka-relay", daemon=True)
        self._thread.start()

    def wake(self, _position: int | None = None) -> None:
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                n = self.run_once()
            except BrokerUnavailable as error:
                self._failed(str(error))
                self._stop.wait(self.retry_interval)
                continue
            except Exception as error:  # the database: log, back off, go on
                log.exception("kafka relay round failed; retrying")
                self.error = f"{type(error).__name__}: {error}"
                self._stop.wait(self.retry_interval)
                continue
            self._resumed()
            if n < self.page:
                self._wake.wait(self.poll_interval)

    def _failed(self, error: str) -> None:
        if self.error is None:
            log.warning(
                "kafka relay paused: the broker did not acknowledge; the events wait in the log and the relay "
                "retries, the rest of the service goes on",
                extra={"error": error, "position": self.position(), "retry_seconds": self.retry_interval},
            )
        else:
            log.debug("kafka relay still waiting for the broker", extra={"error": error})
        self.error = error

    def _resumed(self) -> None:
        if self.error is not None:
            log.info("kafka relay resumed", extra={"position": self.position(), "topic": self.topic})
            self.error = None

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=30)
            self._thread = None
        self._disconnect()
