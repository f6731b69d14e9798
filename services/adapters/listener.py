"""Wakes the runner when another process appends to the log: LISTEN/NOTIFY on PostgreSQL. The
runner also polls, so a lost connection loses latency, never events."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg

from services.adapters.store import postgres_conninfo

log = logging.getLogger("counterparty.listener")


class NotifyListener:
    def __init__(self, database_url: str, channel: str, wake: Callable[[], None]) -> None:
        self.conninfo = postgres_conninfo(database_url, application_name="counterparty-listen")
        self.channel = channel
        self.wake = wake
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notify-listener", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f'LISTEN "{self.channel}"')
                    self.wake()  # anything written while we were not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.wake()
            except Exception:
                log.warning("LISTEN connection lost; reconnecting", exc_info=True)
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
