"""Rebuilding every read model from the log, and checking that a fresh build equals the live one."""

from __future__ import annotations

from typing import Any

from rich.progress import Progress
from sqlalchemy import select

from services.bootstrap.container import Container

SCRATCH = 100000


def rebuild_all(container: Container, bar: Progress) -> None:
    head = container.store.head()
    for name in container.catalog.projections:
        task = bar.add_task(f"rebuilding {name}", total=head)
        container.runner.rebuild(name, lambda n, t=task: bar.advance(t, n))  # type: ignore[misc]
        bar.update(task, completed=head)


def _rows(container: Container, name: str, version: int) -> dict[str, list[tuple[Any, ...]]]:
    tables = container.catalog.table_set(name, version)
    result = {}
    with container.engine.connect() as conn:
        for key, table in tables.items():
            rows = conn.execute(select(table)).all()
            result[key] = sorted(tuple(str(v) for v in row) for row in rows)
    return result


def verify_all(container: Container, bar: Progress) -> list[str]:
    """Builds each read model into scratch tables and compares them with the live tables."""
    problems: list[str] = []
    container.runner.drain()
    head = container.store.head()
    for name in container.catalog.projections:
        task = bar.add_task(f"verifying {name}", total=head)
        scratch = SCRATCH + container.catalog.version(name)
        try:
            container.runner.build_copy(name, scratch, lambda n, t=task: bar.advance(t, n))  # type: ignore[misc]
            container.runner.drain()
            live = _rows(container, name, container.catalog.version(name))
            fresh = _rows(container, name, scratch)
            for table in live:
                if live[table] != fresh[table]:
                    missing = set(fresh[table]) - set(live[table])
                    extra = set(live[table]) - set(fresh[table])
                    problems.append(f"{name}.{table}: {len(missing)} rows missing, {len(extra)} rows extra")
        finally:
            container.catalog.drop(name, scratch)
        bar.update(task, completed=head)
    return problems
