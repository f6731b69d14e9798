"""Keep-alive HTTP clients that drive a server: N threads, each with its own ``httpx.Client`` on
one connection kept alive, run one operation after the other until a deadline or a count, and time
each one. The ``http`` group uses them against ``counterparty serve``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

KEPT_ERRORS = 5  # unexpected answers kept verbatim per load; the rest are only counted


class Unexpected(Exception):
    """The server answered an operation with a status it should not have."""


def expect(response: httpx.Response, status: int) -> Any:
    """The answer's JSON body (None if it has none), if the status is ``status``."""
    if response.status_code != status:
        request = response.request
        raise Unexpected(f"{request.method} {request.url.path} answered {response.status_code}: {response.text[:300]}")
    return response.json() if response.content else None


# The ``i``-th operation of a load, on a client of its own; it raises on an unexpected answer.
Operation = Callable[[httpx.Client, int], None]


@dataclass
class Load:
    """What one load achieved: operations answered as expected, in how long, at which latencies."""

    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, of the operations that succeeded, sorted
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    client_cpu_s: float = 0.0  # CPU seconds of this process (the clients) during the load

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        """The ``q``-th percentile (0–100, nearest rank) of the latencies, in milliseconds."""
        if not self.latencies:
            return 0.0
        rank = max(1, -(-len(self.latencies) * q // 100))  # ceil without floats' rounding
        return 1000 * self.latencies[min(len(self.latencies), int(rank)) - 1]

    def summary(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "p50_ms": round(self.percentile_ms(50), 2),
            "p95_ms": round(self.percentile_ms(95), 2),
            "p99_ms": round(self.percentile_ms(99), 2),
            "max_ms": round(1000 * self.latencies[-1], 2) if self.latencies else 0.0,
            "failed": self.failed,
            "errors": self.errors,
            "client_cpu_s": round(self.client_cpu_s, 2),
        }


def drive(
    base_url: str,
    operation: Operation,
    clients: int,
    seconds: float,
    limit: int,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Load:
    """``clients`` threads run ``operation`` for ``seconds`` or until ``limit`` operations have
    started, whichever comes first. The clock starts once every client has its client object, so
    thread start-up is not timed; connections open on the first request, as a real client's do."""
    lock = threading.Lock()
    issued = 0
    deadline = 0.0
    started = 0.0
    cpu_started = 0.0

    def start() -> None:
        nonlocal started, deadline, cpu_started
        cpu_started = time.process_time()
        started = time.perf_counter()
        deadline = started + seconds

    gate = threading.Barrier(clients, action=start)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    failed = 0

    def next_index() -> int | None:
        nonlocal issued
        with lock:
            if issued >= limit or time.perf_counter() >= deadline:
                return None
            issued += 1
            return issued - 1

    def client_loop(k: int) -> None:
        nonlocal failed
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(base_url=base_url, headers=dict(headers or {}), timeout=timeout, limits=limits) as client:
            gate.wait()
            while (i := next_index()) is not None:
                t0 = time.perf_counter()
                try:
                    operation(client, i)
                except (Unexpected, httpx.HTTPError) as error:
                    with lock:
                        failed += 1
                        if len(failures) < KEPT_ERRORS:
                            failures.append(str(error) or type(error).__name__)
                    continue
                latencies[k].append(time.perf_counter() - t0)

    threads = [threading.Thread(target=client_loop, args=(k,), name=f"bench-client-{k}") for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return Load(
        clients=clients,
        seconds=elapsed,
        latencies=sorted(x for own in latencies for x in own),
        failed=failed,
        errors=failures,
        client_cpu_s=time.process_time() - cpu_started,
    )
