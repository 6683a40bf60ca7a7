"""Limits on what one client may ask of a gateway: the size of a request body, and how many
requests it sends (a token bucket per client).

A client is named by who it is: an authenticated member by its identity id (`auth.py`), the
operator's console by its token; anyone else by its IP address, or, when the gateway is told to
trust it, by the identity header (`X-Cornerstone-Identity`) that an authenticating proxy in
front sets. Trusting that header is off by default: a header any client can write would let one
client take a fresh bucket per request. Members (and trusted identities) get the `rate_limit`
setting; anonymous addresses the smaller `anonymous_rate_limit`, since one address may hide
many clients but also one client may take many addresses. Each bucket holds up to `burst`
tokens and refills at `rate` per second; a request takes one, and a client with none left gets
429 with `Retry-After`. Health and metrics are not limited: a monitor polling them must never be
told to go away.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

IDENTITY_HEADER = "x-cornerstone-identity"
UNLIMITED_PATHS = ("/healthz", "/metrics")
ANONYMOUS_SHARE = 5
"""An anonymous address gets this fraction (1/n) of a member's limit unless told otherwise."""
NEVER = 86_400.0
"""The wait a bucket that never refills (rate 0) answers with: a day, a finite Retry-After."""
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
        self._buckets: dict[str, tuple[float, float, RateLimit]] = {}
        """client -> (tokens, when they were counted, the bucket's limit)."""

    def take(self, client: str, limit: RateLimit | None = None) -> float:
        """Take a token for `client`, whose bucket has `limit` (default: the one given at
        start): 0.0 if it had one, else the seconds until it will."""
        limit = limit or self.limit
        now = self._clock()
        with self._lock:
            tokens, then, _ = self._buckets.get(client, (float(limit.burst), now, limit))
            tokens = min(float(limit.burst), tokens + (now - then) * limit.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now, limit)
                if len(self._buckets) > MAX_CLIENTS:
                    self._forget_idle(now)
                return 0.0
            self._buckets[client] = (tokens, now, limit)
            return (1.0 - tokens) / limit.rate if limit.rate > 0 else NEVER

    def _forget_idle(self, now: float) -> None:
        full = [
            client
            for client, (tokens, then, limit) in self._buckets.items()
            if tokens + (now - then) * limit.rate >= limit.burst
        ]
        for client in full:
            del self._buckets[client]


def client_name(headers: dict[str, str], peer: str | None, *, trust_identity: bool) -> str:
    """Who an unauthenticated request is from, for its rate limit: the trusted identity header,
    else the address."""
    identity = headers.get(IDENTITY_HEADER, "").strip() if trust_identity else ""
    if identity:
        return f"identity:{identity[:200]}"
    return f"ip:{peer or 'unknown'}"


def anonymous_default(member: RateLimit) -> RateLimit:
    """An address's limit when none is set: a fifth of a member's (20/s, 40 at once by default)."""
    return RateLimit(
        rate=member.rate / ANONYMOUS_SHARE, burst=max(1, member.burst // ANONYMOUS_SHARE)
    )


def bucket_of(
    caller_name: str | None,
    headers: dict[str, str],
    peer: str | None,
    *,
    trust_identity: bool,
    member: RateLimit,
    anonymous: RateLimit,
) -> tuple[str, RateLimit]:
    """The bucket a request takes its token from, and that bucket's limit: the authenticated
    caller's (`caller_name`), a trusted identity header's, else its address's."""
    if caller_name is not None:
        return caller_name, member
    name = client_name(headers, peer, trust_identity=trust_identity)
    return name, member if name.startswith("identity:") else anonymous
