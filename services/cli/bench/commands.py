"""(a) Partner commands through the command layer and through HTTP (in process), in rounds
interleaved with their baselines."""

from __future__ import annotations

import statistics
import time
from uuid import UUID

from rich.progress import Progress

from commands.partners import ChangePartner, RegisterPartner, change_partner, register_partner
from services.bootstrap.container import Container
from services.cli.bench.baselines import bench_bare_save, bench_raw_driver
from services.cli.bench.common import (
    ADMIN_KEY,
    COMMAND_AIM,
    ROUNDS,
    Advance,
    Figure,
    Sizes,
    combined,
    made,
    open_container,
    rate,
    task,
    timed_commands,
)
from services.cli.bench.targets import Target


def bench_register(backend: str, c: Container, n: int, advance: Advance) -> tuple[Figure, list[UUID]]:
    commands = [
        RegisterPartner(name=f"Command Partner {i} AG", email=f"cmd{i}@example.com", tags=["bench", f"t{i % 10}"])
        for i in range(n)
    ]
    head = c.store.head()
    seconds, results = timed_commands(c, register_partner, commands, advance)
    events = c.store.head() - head
    return rate(backend, "register_partner (execute)", n, seconds, "commands/s", events=events), made(results)


def bench_change(backend: str, c: Container, ids: list[UUID], advance: Advance) -> Figure:
    commands = [
        ChangePartner(partner=str(pid), phone=f"+49 89 {i:07d}", tags=["bench", f"t{i % 10}", "changed"])
        for i, pid in enumerate(ids)
    ]
    seconds, _ = timed_commands(c, change_partner, commands, advance)
    return rate(backend, "change_partner (execute)", len(ids), seconds, "commands/s")


def bench_http(backend: str, c: Container, n: int, advance: Advance) -> Figure:
    """POST /v1/partners through the FastAPI app (in-process TestClient), admin key, synchronous
    answer: the handler waits until every read model has the new partner (read-your-writes)."""
    from fastapi.testclient import TestClient

    from services.api.app import create_app

    c.runner.drain()  # the read models start at the head: earlier groups' events are not timed
    latencies: list[float] = []
    with TestClient(create_app(c), raise_server_exceptions=True) as client:
        client.headers["Authorization"] = f"Bearer {ADMIN_KEY}"
        for i in range(3):  # warm-up: imports, first queries, prepared statements
            client.post("/v1/partners", json={"name": f"Warm-up {i}"}).raise_for_status()
        bodies = [
            {"name": f"HTTP Partner {i} SE", "email": f"http{i}@example.com", "tags": ["bench", f"t{i % 10}"]}
            for i in range(n)
        ]
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            response = client.post("/v1/partners", json=body)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 201:
                raise RuntimeError(f"POST /v1/partners answered {response.status_code}: {response.text[:300]}")
            advance(1)
        seconds = time.perf_counter() - started
    latencies.sort()
    return rate(
        backend,
        "POST /v1/partners (HTTP, RYW wait)",
        n,
        seconds,
        "requests/s",
        p50_ms=round(1000 * statistics.median(latencies), 2),
        p95_ms=round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2),
        max_ms=round(1000 * latencies[-1], 2),
    )


def bench_commands(target: Target, sizes: Sizes, bar: Progress) -> list[Figure]:
    """The commands and their baselines in interleaved rounds (raw, bare, commands; raw, bare,
    commands; ...), so that a change in the machine's load during the run hits all of them."""
    name = target.name
    n = sizes.commands
    chunk = max(1, n // ROUNDS)
    raws: list[Figure] = []
    bares: list[Figure] = []
    registers: list[Figure] = []
    changes: list[Figure] = []
    with open_container(target.settings("commands")) as c:
        bare_task = task(bar, f"{name}: bare save", 2 * chunk * ROUNDS)
        register_task = task(bar, f"{name}: register_partner", chunk * ROUNDS)
        change_task = task(bar, f"{name}: change_partner", chunk * ROUNDS)

        def baselines() -> None:
            raws.append(bench_raw_driver(target, c, chunk))
            bares.append(bench_bare_save(name, c, chunk, bare_task))

        ids: list[UUID] = []
        for _ in range(ROUNDS):
            baselines()
            figure, made = bench_register(name, c, chunk, register_task)
            registers.append(figure)
            ids += made
        for k in range(ROUNDS):
            baselines()
            changes.append(bench_change(name, c, ids[k * chunk : (k + 1) * chunk], change_task))
        http = bench_http(name, c, sizes.http, task(bar, f"{name}: POST /v1/partners", sizes.http))
    raw, bare = combined(raws), combined(bares)
    register, change = combined(registers), combined(changes)
    register.extra["events_per_command"] = round(sum(f.extra["events"] for f in registers) / register.count, 2)
    for figure in (register, change):
        figure.extra["ratio_to_raw_driver"] = round(figure.value / raw.value, 3)
    http.extra["ratio_to_bare_save"] = round(http.value / bare.value, 3)
    http.extra["ratio_to_command_layer"] = round(http.value / register.value, 3)
    return [
        raw,
        bare.against(raw),
        register.against(bare, COMMAND_AIM),
        change.against(bare, COMMAND_AIM),
        http.against(raw),
    ]
