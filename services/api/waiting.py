"""How a query waits for ``X-Min-Position`` without holding a thread: as a coroutine on the event
loop, woken by the runner's rounds. However many requests wait, the threads that run the other
requests stay free; each waiter costs an event, not a thread."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field

from anyio import to_thread

from projections.runner import Runner


@dataclass(eq=False)
class _Waiter:
    position: int
    loop: asyncio.AbstractEventLoop
    event: asyncio.Event = field(default_factory=asyncio.Event)


class PositionWaits:
    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self._lock = threading.Lock()
        self._waiters: set[_Waiter] = set()
        runner.round_listeners.append(self._round)

    @property
    def waiting(self) -> int:
        """How many requests wait at this moment."""
        return len(self._waiters)

    async def wait(self, position: int, timeout: float) -> bool:
        """Whether every read model and process manager has passed ``position`` within ``timeout``."""
        if not self.runner.running:
            # Without the background thread (tests, tools) the caller drives the rounds itself.
            return await to_thread.run_sync(self.runner.wait, position, timeout)
        waiter = _Waiter(position, asyncio.get_running_loop())
        with self._lock:
            self._waiters.add(waiter)
        try:
            # Read after registering: a round that ends in between has set the event already.
            if self.runner.passed < position:
                self.runner.wake()  # a position another process wrote: look now, not at the next poll
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.event.wait(), timeout)
            if self.runner.passed >= position:
                return True
        finally:
            with self._lock:
                self._waiters.discard(waiter)
        # The positions themselves, which other processes move too.
        return await to_thread.run_sync(self.runner.reached, position)

    def _round(self, passed: int) -> None:
        """Called by the runner's thread after each round."""
        with self._lock:
            ready = [w for w in self._waiters if w.position <= passed]
        for waiter in ready:
            with contextlib.suppress(RuntimeError):  # its event loop has closed
                waiter.loop.call_soon_threadsafe(waiter.event.set)
