"""Configuration from the environment (``CPTY_*``) and an optional ``.env`` file."""

from __future__ import annotations

from datetime import datetime, time
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ClockMode = Literal["system", "manual"]
ProcessRole = Literal["all", "api"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CPTY_", env_file=".env", extra="ignore")

    data_dir: Path = Path("./counterparty-data")
    database_url: str | None = None
    clock: ClockMode = "system"
    clock_start: datetime | None = None
    admin_key: str | None = None
    currency: str = "EUR"
    timezone: str = "UTC"
    day_start: time = time(6, 0)
    consistency_timeout: float = 10.0
    # What ``counterparty serve`` runs besides the API: ``all`` the workers' jobs too (one process,
    # as on SQLite); ``api`` none of them, leaving them to ``counterparty worker``s (PostgreSQL).
    role: ProcessRole = "all"
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
    # The port `serve` and `demo` listen on (their --port overrides it).
    port: int = Field(default=8000, ge=1, le=65535)
    # Where the service is reached from outside: the base of the unsubscribe and tracking links
    # that mailings put into their e-mails; unset, http://127.0.0.1:<port>.
    public_url: str = ""
    max_attachment_bytes: int = Field(default=25 * 1024 * 1024)
    # A request body (other than an attachment upload) larger than this answers 413 unread.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    log_level: str = "INFO"
    # PostgreSQL connections per process and pool (the log's and the read models'): this many
    # kept open (half of it for the log) and up to this many more under load; docs/operations.md
    # counts what a deployment needs against the server's max_connections.
    db_pool_size: int = Field(default=8, ge=1)
    # Personal data (docs/operations.md, "Personal data and erasure"): the master key that wraps
    # the data subjects' keys, base64 of 32 bytes (unset: ``master.key`` in the data directory,
    # created at the first start); and how many years an issued invoice keeps its partner from
    # being erased.
    master_key: str | None = Field(default=None, repr=False)
    retention_years: int = Field(default=10, ge=0)
    # Requests allowed per API key, and per client address for those without a valid key, in
    # the ``limits`` notation (``1000/second``, ``100 per minute``); counted in each process's
    # memory (docs/operations.md).
    rate_limit: str = "1000/second"
    rate_limit_anonymous: str = "20/second"

    @field_validator("rate_limit", "rate_limit_anonymous")
    @classmethod
    def _rate(cls, value: str) -> str:
        from limits import parse

        parse(value)  # a ValueError names what it could not read
        return value

    @model_validator(mode="after")
    def _public_url_follows_port(self) -> Settings:
        if not self.public_url:
            self.public_url = f"http://127.0.0.1:{self.port}"
        return self

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
