"""Configuration from the environment (``CPTY_*``) and an optional ``.env`` file."""

from __future__ import annotations

from datetime import datetime, time
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPTY_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./counterparty-data")
    database_url: str | None = None
    clock: Literal["system", "manual"] = "system"
    clock_start: datetime | None = None
    admin_key: str | None = None
    currency: str = "EUR"
    timezone: str = "UTC"
    day_start: time = time(6, 0)
    consistency_timeout: float = 10.0
    # What ``counterparty serve`` runs besides the API: ``all`` the workers' jobs too (one process,
    # as on SQLite); ``api`` none of them, leaving them to ``counterparty worker``s (PostgreSQL).
    role: Literal["all", "api"] = "all"
    # Kafka (docs/kafka.md): the relay publishes the log to ``kafka_topic`` (created when missing
    # with these partitions and replicas); with ``kafka_payments_topic``, bank statement lines are
    # read from there, and what cannot be booked goes to ``<kafka_payments_topic>.dead``.
    kafka_bootstrap: str | None = None
    kafka_topic: str = "counterparty.events"
    kafka_partitions: int = Field(default=1, ge=1)
    kafka_replication: int = Field(default=1, ge=1)
    kafka_payments_topic: str | None = None
    kafka_payments_group: str = "counterparty-payments"
    # Seconds to wait for the broker before a round counts as failed (and is tried again).
    kafka_timeout: float = Field(default=10.0, gt=0)
    smtp_url: str | None = None
    # Seconds after which a delivery that is still under way counts as interrupted (its process
    # died) and is sent once more with the same Message-ID; far longer than a transport call.
    delivery_lease: float = Field(default=120.0, gt=0)
    sms_url: str | None = None
    # The From address of e-mails; its domain names their Message-IDs.
    mail_from: str = "counterparty@localhost"
    # Where the service is reached from outside: the base of the unsubscribe and tracking links
    # that mailings put into their e-mails.
    public_url: str = "http://127.0.0.1:8000"
    max_attachment_bytes: int = Field(default=25 * 1024 * 1024)
    log_level: str = "INFO"
    rate_limit_per_second: float = 500.0
    rate_limit_burst: int = 2000

    @property
    def event_store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'counterparty.db'}"

    @property
    def read_model_url(self) -> str:
        """Read models live beside the log: in the same PostgreSQL database, or in their own
        SQLite file (so the projection writer never waits for the event writer's lock)."""
        url = self.event_store_url
        if url.startswith("sqlite"):
            path = Path(url.split(":///", 1)[1])
            return f"sqlite:///{path.with_name(path.stem + '-read.db')}"
        return url

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"
