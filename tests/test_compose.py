"""compose/ cannot be run here (no Docker): what can be checked is. The YAML parses; every command
it runs exists in the CLI with the options it passes; every CPTY_ variable is a setting and its
value is valid; the topology is the documented one (API processes with CPTY_ROLE=api, two workers,
Kafka and Mailpit pinned, Prometheus scraping every process); the image renders PDFs, runs as a
user and has a healthcheck."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from services.cli.main import app
from services.settings import Settings

COMPOSE = Path(__file__).resolve().parents[1] / "compose"


def load(name: str) -> Any:
    return yaml.safe_load((COMPOSE / name).read_text())


def services() -> dict[str, Any]:
    return load("docker-compose.yml")["services"]  # type: ignore[no-any-return]


def image_command() -> list[str]:
    """The Dockerfile's CMD: what a service without a command of its own runs."""
    (line,) = [line for line in (COMPOSE / "Dockerfile").read_text().splitlines() if line.startswith("CMD ")]
    return json.loads(line.removeprefix("CMD "))  # type: ignore[no-any-return]


def command_of(service: dict[str, Any]) -> list[str] | None:
    if "build" not in service:
        return None  # not our image
    return service.get("command") or image_command()


def resolved(value: Any) -> str:
    """``${VAR:-default}`` as compose resolves it when VAR is not set."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", str(value))


def test_every_command_exists_with_the_options_it_passes() -> None:
    cli: Any = typer.main.get_command(app)
    commands = {name: command_of(s) for name, s in services().items()}
    ours = {name: c for name, c in commands.items() if c is not None}
    assert len(ours) == 4, ours
    for name, (program, subcommand, *args) in ours.items():
        assert program == "counterparty", name
        help_text = CliRunner().invoke(app, [subcommand, "--help"])
        assert help_text.exit_code == 0, (name, help_text.output)
        options = {opt for param in cli.commands[subcommand].params for opt in param.opts}
        assert {a for a in args if a.startswith("--")} <= options, (name, args)


def test_every_variable_is_a_setting_with_a_valid_value() -> None:
    for name, service in services().items():
        environment = service.get("environment") or {}
        ours = {k: resolved(v) for k, v in environment.items() if k.startswith("CPTY_")}
        if "build" not in service:
            assert not ours, name
            continue
        unknown = {k for k in ours if k.removeprefix("CPTY_").lower() not in Settings.model_fields}
        assert not unknown, (name, unknown)
        settings = Settings.model_validate({k.removeprefix("CPTY_").lower(): v for k, v in ours.items()})
        assert settings.database_url and settings.database_url.startswith("postgresql://"), name
        assert settings.kafka_bootstrap == "kafka:9092" and settings.smtp_url == "smtp://mailpit:1025", name
        assert "CPTY_PUBLIC_URL" in ours, name


def test_the_topology_is_two_apis_and_two_workers_with_kafka_mailpit_and_prometheus() -> None:
    found = services()
    roles = {
        name: f"{(command_of(s) or [])[1]}/{s['environment'].get('CPTY_ROLE', 'all')}"
        for name, s in found.items()
        if "build" in s
    }
    assert roles == {"api-1": "serve/api", "api-2": "serve/api", "worker-1": "worker/all", "worker-2": "worker/all"}
    for image in ("kafka", "mailpit", "prometheus", "postgres"):
        tag = found[image]["image"].rpartition(":")[2]
        assert re.fullmatch(r"v?\d+(\.\d+)+", tag), (image, tag)  # pinned: a version, not "latest"
    assert found["kafka"]["image"].startswith("apache/kafka:")
    assert found["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in found["prometheus"]["volumes"]
    targets = {
        target
        for job in load("prometheus.yml")["scrape_configs"]
        for config in job["static_configs"]
        for target in config["targets"]
    }
    assert targets == {f"{name}:8000" for name in roles}


@pytest.mark.parametrize(
    "needed",
    [
        "libpango-1.0-0",  # WeasyPrint's layout
        "fonts-dejavu-core",  # the templates' font
        "USER counterparty",
        "HEALTHCHECK ",
        "/healthz",
    ],
)
def test_the_image_renders_pdfs_runs_as_a_user_and_checks_its_health(needed: str) -> None:
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    assert needed in dockerfile
    assert (COMPOSE.parent / ".dockerignore").is_file()
