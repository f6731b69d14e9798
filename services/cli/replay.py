"""Rebuilding every read model from the log, and checking that a fresh build equals the live one."""

from __future__ import annotations

from typing import Any

from rich.progress import Progress
from sqlalchemy import select

from services.bootstrap.container import Container

SCRATCH = 100000


def rebuild_all(container: Container, bar: Progress) -> None:
    """One pass over the log for every read model (``Runner.rebuild_all``)."""
    head = container.store.head()
    names = list(container.catalog.projections)
    task = bar.add_task(f"rebuilding {len(names)} read models", total=head)
    container.runner.rebuild_all(names, lambda n: bar.advance(task, n))
    bar.update(task, completed=head)


def table_rows(container: Container, name: str, version: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of a version of a read model, table by table, as sorted text (to compare)."""
    tables = container.catalog.table_set(name, version)
    result = {}
    with container.engine.connect() as conn:
        for key, table in tables.items():
            rows = conn.execute(select(table)).all()
            result[key] = sorted(tuple(str(v) for v in row) for row in rows)
    return result


def verify_all(container: Container, bar: Progress) -> list[str]:
    """Builds every read model into scratch tables, in one pass over the log, and compares them
    with the live tables."""
    problems: list[str] = []
    catalog = container.catalog
    container.runner.drain()
    head = container.store.head()
    scratch = {name: SCRATCH + catalog.version(name) for name in catalog.projections}
    task = bar.add_task(f"verifying {len(scratch)} read models", total=head)
    try:
        container.runner.build_copies(scratch, lambda n: bar.advance(task, n))
        container.runner.drain()
        for name, version in scratch.items():
            live = table_rows(container, name, catalog.version(name))
            fresh = table_rows(container, name, version)
            for table in live:
                if live[table] != fresh[table]:
                    missing = set(fresh[table]) - set(live[table])
                    extra = set(live[table]) - set(fresh[table])
                    problems.append(f"{name}.{table}: {len(missing)} rows missing, {len(extra)} rows extra")
    finally:
        for name, version in scratch.items():
            catalog.drop(name, version)
    bar.update(task, completed=head)
    return problems
