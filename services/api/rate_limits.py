"""Rate limits (docs/api.md, Limits): authenticated requests count against their key, all others
(no key, an unknown or malformed one) against the client's address, so that trying many wrong
keys earns a 429 as surely as flooding with one. The counters are the ``limits`` library's
sliding windows in this process's memory; a counter expires two windows after its last use, so
memory is bounded by the clients seen in that time, however many keys they make up. Each API
process counts on its own: behind N processes a client gets up to N times the limit."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from starlette.requests import Request

from services.api.errors import ApiError

# Monitoring must see a process that is drowning: these paths are never limited.
UNLIMITED = ("/healthz", "/readyz", "/metrics")


@dataclass(frozen=True)
class Verdict:
    """Where one request left its counter: what the ``RateLimit-*`` headers tell the client."""

    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window frees capacity again

    def headers(self) -> dict[str, str]:
        found = {"RateLimit-Limit": str(self.limit), "RateLimit-Remaining": str(self.remaining)}
        found["RateLimit-Reset"] = str(self.reset)
        if not self.allowed:
            found["Retry-After"] = str(max(1, self.reset))
        return found


class RateLimits:
    def __init__(self, per_key: str, per_address: str) -> None:
        self.per_key = parse(per_key)
        self.per_address = parse(per_address)
        self.storage = MemoryStorage()
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)

    def _hit(self, item: RateLimitItem, identity: str) -> Verdict:
        allowed = self.limiter.hit(item, identity)
        stats = self.limiter.get_window_stats(item, identity)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        return Verdict(allowed, item.amount, max(0, stats.remaining), reset)

    def key(self, request: Request, name: str) -> None:
        """Counts a request of an authenticated key (by its name: every spelling of one key is one key)."""
        self._count(request, self.per_key, f"key:{name}")

    def address(self, request: Request) -> None:
        """Counts a request without a valid key against its client's address, once per request."""
        if getattr(request.state, "rate_limit", None) is None:
            self._count(request, self.per_address, f"address:{client_address(request)}")

    def _count(self, request: Request, item: RateLimitItem, identity: str) -> None:
        verdict = self._hit(item, identity)
        request.state.rate_limit = verdict
        if not verdict.allowed:
            raise ApiError(429, "rate_limited", "too many requests; slow down", verdict.headers())

    @staticmethod
    def limited(request: Request) -> bool:
        return not request.url.path.startswith(UNLIMITED)

    @staticmethod
    def counted_later(request: Request) -> bool:
        """A request to the API with a key: the key's check counts it (``deps.principal``)."""
        return request.url.path.startswith("/v1") and "authorization" in request.headers


def client_address(request: Request) -> str:
    # Behind a proxy this is the client only if the server trusts the proxy's forwarding
    # headers (uvicorn --forwarded-allow-ips); otherwise every client shares the proxy's address.
    return request.client.host if request.client else "-"
