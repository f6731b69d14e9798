"""The layers point inward: import-linter's contracts (pyproject.toml) hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_every_event_class_declares_its_own_versioned_topic() -> None:
    import services.bootstrap.container  # noqa: F401 - imports every aggregate module
    from aggregates.base import DomainEvent

    def subclasses(cls: type) -> list[type]:
        found = []
        for sub in cls.__subclasses__():
            found.append(sub)
            found.extend(subclasses(sub))
        return found

    concrete = [c for c in subclasses(DomainEvent) if c.__module__.startswith("aggregates.")]
    concrete = [c for c in concrete if c.__name__ not in ("CreatedEvent",)]
    assert concrete, "no event classes found"
    for cls in concrete:
        topic = cls.__dict__.get("TOPIC", "")
        assert topic.startswith("counterparty.") and topic.rsplit(".", 1)[-1].startswith("v"), cls
