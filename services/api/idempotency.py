"""The first response to each Idempotency-Key, so a replay answers it again byte for byte.

The key itself is recorded in the log in the same transaction as the command (so a duplicate is
refused by the store); the response, known only after the read models caught up, is kept here."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

meta = MetaData()
responses = Table(
    "cpty_idempotent_responses",
    meta,
    Column("record_id", String(36), primary_key=True),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("headers", Text, nullable=False),
)


class ResponseStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @staticmethod
    def create(engine: Engine) -> None:
        meta.create_all(engine)

    def put(self, record_id: UUID, status: int, body: Any, headers: dict[str, str]) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    responses.insert().values(
                        record_id=str(record_id), status=status, body=json.dumps(body), headers=json.dumps(headers)
                    )
                )
        except IntegrityError:
            pass  # the same answer was stored by a concurrent replay

    def get(self, record_id: UUID) -> tuple[int, Any, dict[str, str]] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(responses).where(responses.c.record_id == str(record_id))).mappings().first()
        if row is None:
            return None
        return row["status"], json.loads(row["body"]), json.loads(row["headers"])
