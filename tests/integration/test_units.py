"""Streams held by the commands of one process: wait-die, so opposite load orders never deadlock."""

from __future__ import annotations

import threading
import time
from uuid import uuid4

import pytest

from commands.context import ConcurrencyConflict
from services.adapters.units import Units


def test_a_younger_command_gives_up_at_once_on_an_older_ones_stream() -> None:
    units = Units()
    a, b = uuid4(), uuid4()
    older, younger = units.ticket(), units.ticket()
    held = threading.Event()
    done = threading.Event()

    def old_command() -> None:
        with units.unit(older) as unit:
            units.hold(unit, a)
            held.set()
            done.wait(5)

    thread = threading.Thread(target=old_command)
    thread.start()
    assert held.wait(5)
    started = time.monotonic()
    with units.unit(younger) as unit:
        units.hold(unit, b)
        with pytest.raises(ConcurrencyConflict):
            units.hold(unit, a)
    assert time.monotonic() - started < 1  # no wait for a timeout
    done.set()
    thread.join(5)


def test_an_older_command_waits_for_a_younger_one_and_then_goes_on() -> None:
    units = Units()
    stream = uuid4()
    older, younger = units.ticket(), units.ticket()
    held = threading.Event()
    order: list[str] = []

    def young_command() -> None:
        with units.unit(younger) as unit:
            units.hold(unit, stream)
            held.set()
            time.sleep(0.2)
            order.append("younger done")

    thread = threading.Thread(target=young_command)
    thread.start()
    assert held.wait(5)
    with units.unit(older) as unit:
        units.hold(unit, stream)
        order.append("older holds")
    thread.join(5)
    assert order == ["younger done", "older holds"]


def test_a_command_holds_again_what_it_holds_and_releases_it_all_at_the_end() -> None:
    units = Units()
    stream = uuid4()
    with units.unit() as unit:
        units.hold(unit, stream)
        units.hold(unit, stream)
        with units.unit() as nested:  # a command run inside another in the same thread
            units.hold(nested, stream)
    failures: list[BaseException] = []

    def younger_command() -> None:
        try:
            with units.unit(units.ticket()) as later:
                units.hold(later, stream)  # free again; still held, it would be a conflict
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=younger_command)
    thread.start()
    thread.join(5)
    assert failures == []
