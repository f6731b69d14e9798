"""Natural-key uniqueness under concurrency, within a process and across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from aggregates.errors import DomainError
from commands.partners import RegisterPartner, register_partner
from services.bootstrap.container import Container

# The store is this module's subject: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres

CHILD = textwrap.dedent(
    """
    import sys
    from services.bootstrap.container import Container
    from services.settings import Settings
    from commands.partners import RegisterPartner, register_partner
    from aggregates.errors import DomainError
    settings = Settings(data_dir=sys.argv[1], database_url=sys.argv[2] or None, clock="manual",
                        clock_start="2026-01-15T00:00:00Z")
    c = Container(settings)
    won = 0
    for i in range(int(sys.argv[3])):
        try:
            c.execute(register_partner, RegisterPartner(name=f"racer {i}", code=f"RACE-{i}"))
            won += 1
        except DomainError as error:
            assert error.code == "code_taken", error.code
    c.close()
    print(won)
    """
)


def test_a_typed_code_is_taken_once_across_processes(container: Container) -> None:
    n = 25
    url = container.settings.database_url or ""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(container.settings.data_dir), url, str(n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    wins = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        wins.append(int(out.strip()))
    assert sum(wins) == n
    container.runner.drain()
    codes = [e.event.code for e in container.store.iterate() if type(e.event).__name__ == "PartnerRegistered"]  # type: ignore[attr-defined]
    assert sorted(codes) == sorted(f"RACE-{i}" for i in range(n))


def test_drawn_codes_have_no_gaps_and_no_duplicates_under_concurrent_requests(container: Container) -> None:
    codes: list[str] = []
    errors: list[Exception] = []

    def register(i: int) -> None:
        try:
            result = container.execute(register_partner, RegisterPartner(name=f"thread {i}"))
            partner = container.store.get(result.id)
            codes.append(partner.code)  # type: ignore[attr-defined]
        except (DomainError, Exception) as error:
            errors.append(error)

    threads = [threading.Thread(target=register, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(codes) == [f"CU2601-{i:04d}" for i in range(1, 13)]
