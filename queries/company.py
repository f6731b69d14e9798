"""The company's details as GET /v1/settings/company shows them and documents print them.

One small aggregate, read from the log itself (its snapshot keeps the read short): every PDF and
letter needs the details as they are now, and no read model would answer that faster."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from aggregates.company_profile import PROFILE_ID, CompanyDetails, CompanyProfile


class AggregateReader(Protocol):
    def stream_version(self, aggregate_id: UUID) -> int: ...

    def get(self, aggregate_id: UUID, version: int | None = None) -> Any: ...


def company_profile(store: AggregateReader) -> dict[str, Any]:
    """The details, the logo as its attachment (or None) and the version (0 before any setting)."""
    if not store.stream_version(PROFILE_ID):
        details, logo, version = CompanyDetails(), None, 0
    else:
        profile = store.get(PROFILE_ID)
        assert isinstance(profile, CompanyProfile)
        details, logo, version = profile.details, profile.logo, profile.version
    return {
        **details.model_dump(mode="json"),
        "logo": logo.model_dump(mode="json") if logo else None,
        "version": version,
    }
