"""Limits on what one client may ask of a gateway: the size of a request body, and how many
requests it sends (a token bucket per client).

A client is named by its IP address, or, when the gateway is told to trust it, by the identity
header (`X-Cornerstone-Identity`) that whatever authenticates members in front of the gateway
sets. Trusting it is off by default: a header any client can write would let one client take a
fresh bucket per request. Each client's bucket
holds up to `burst` tokens and refills at `rate` per second; a request takes one, and a client
with none left gets 429 with `Retry-After`. Health and metrics are not limited: a monitor
polling them must never be told to go away.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

IDENTITY_HEADER = "x-cornerstone-identity"
UNLIMITED_PATHS = ("/healthz", "/metrics")
MAX_CLIENTS = 10_000
"""Buckets kept at most; full (idle) ones are dropped first when there are more."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """How many requests a client may send."""

    rate: float
    """Tokens added per second: the sustained request rate."""
    burst: int
    """The bucket's size: how many requests may come at once."""


class TokenBuckets:
    """One token bucket per client, safe to use from many threads."""

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}
        """client -> (tokens, when they were counted)."""

    def take(self, client: str) -> float:
        """Take a token for `client`: 0.0 if it had one, else the seconds until it will."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.get(client, (float(self.limit.burst), now))
            tokens = min(float(self.limit.burst), tokens + (now - then) * self.limit.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                if len(self._buckets) > MAX_CLIENTS:
                    self._forget_idle(now)
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.limit.rate if self.limit.rate > 0 else math.inf

    def _forget_idle(self, now: float) -> None:
        full = [
            client
            for client, (tokens, then) in self._buckets.items()
            if tokens + (now - then) * self.limit.rate >= self.limit.burst
        ]
        for client in full:
            del self._buckets[client]


def client_name(headers: dict[str, str], peer: str | None, *, trust_identity: bool) -> str:
    """Who a request is from, for its rate limit: the trusted identity header, else the
    address."""
    identity = headers.get(IDENTITY_HEADER, "").strip() if trust_identity else ""
    if identity:
        return f"identity:{identity[:200]}"
    return f"ip:{peer or 'unknown'}"
