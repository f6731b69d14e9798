"""Users as a table."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from aggregates.user import UserProfileChanged, UserRegistered
from projections.catalog import Projection, Rows


def define(meta: MetaData, prefix: str) -> dict[str, Table]:
    return {
        "users": Table(
            f"{prefix}users",
            meta,
            Column("username", String(80), primary_key=True),
            Column("id", String(36), nullable=False),
            Column("name", Text, nullable=False),
            Column("email", Text),
            Column("mobile", Text),
            Column("supervisor", String(80)),
            Column("teams", Text, nullable=False),
            Column("version", Integer, nullable=False),
        )
    }


users = Projection("users", define)


def _columns(profile: object) -> dict[str, object]:
    values = profile.model_dump()  # type: ignore[attr-defined]
    values["teams"] = "\n".join(values["teams"])
    return values


@users.on(UserRegistered)
def registered(e: UserRegistered, rows: Rows) -> None:
    rows.insert(
        "users", username=e.username, id=str(e.originator_id), version=e.originator_version, **_columns(e.profile)
    )


@users.on(UserProfileChanged)
def changed(e: UserProfileChanged, rows: Rows) -> None:
    rows.update("users", {"id": str(e.originator_id)}, version=e.originator_version, **_columns(e.profile))
