"""LISTEN/NOTIFY wake-ups on PostgreSQL survive a killed connection."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from commands.partners import RegisterPartner, register_partner
from services.adapters.listener import NotifyListener
from tests.conftest import make_settings, open_container


def _wait(event: threading.Event, seconds: float) -> bool:
    return event.wait(seconds)


@pytest.mark.postgres
def test_listener_wakes_on_notify_and_reconnects_after_its_connection_is_killed(pg_database: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    container = open_container(make_settings(tmp_path, pg_database))
    woken = threading.Event()
    listener = NotifyListener(pg_database, "counterparty_events", woken.set)
    listener.start()
    try:
        assert _wait(woken, 5)  # the wake-up after connecting
        woken.clear()
        container.execute(register_partner, RegisterPartner(name="Before the kill"))
        assert _wait(woken, 5)

        with psycopg.connect(pg_database, autocommit=True) as admin:
            # Only this session's database: another worker's listener is none of this test's business.
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid() AND datname = current_database()"
            ).fetchall()
        assert killed, "the LISTEN connection was not found"
        time.sleep(0.2)
        woken.clear()
        deadline = time.monotonic() + 15
        while not woken.is_set() and time.monotonic() < deadline:
            container.execute(register_partner, RegisterPartner(name="After the kill"))
            woken.wait(1)
        assert woken.is_set()
    finally:
        listener.stop()
        container.close()
