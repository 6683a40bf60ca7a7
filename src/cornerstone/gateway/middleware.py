"""The gateway's ASGI middleware: who the caller is, rate limits and body size, request counts."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Final

from cornerstone.gateway import auth, blobs
from cornerstone.gateway.errors import (
    AuthenticationError,
    BodyTooLargeError,
    GatewayError,
    RateLimitedError,
)
from cornerstone.gateway.limits import (
    IDENTITY_HEADER,
    UNLIMITED_PATHS,
    anonymous_default,
    bucket_of,
)
from cornerstone.gateway.problems import error_problem

if TYPE_CHECKING:
    from cornerstone.gateway.core import Gateway


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class LimitsMiddleware:
    """Rate limit and body size, before any route runs; and the request count by route.
    Blob uploads (/v1/blobs/...) have their own, larger, body limit.

    A pure ASGI middleware rather than `BaseHTTPMiddleware`, so the event stream passes through
    unbuffered. A body with a Content-Length over the limit is refused at once; a chunked body
    is counted as it arrives and refused when it crosses the limit.
    """

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway
        settings = gateway.settings
        self._anonymous = settings.rate_limit  # without authentication, no one is anonymous
        if settings.auth.mode != "none":
            self._anonymous = settings.auth.anonymous_rate_limit or anonymous_default(
                settings.rate_limit
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        status_seen = 500

        async def counting_send(message: Message) -> None:
            nonlocal status_seen
            if message["type"] == "http.response.start":
                status_seen = int(message["status"])
            await send(message)

        try:
            refusal = await self._admission(scope)
            if refusal is not None:
                status_seen = refusal.status
                await error_problem(refusal, status=refusal.status, instance=path)(
                    scope, receive, send
                )
                return
            checked = self.gateway.auth.checked(scope, receive)  # a signed body's digest
            await self.app(scope, self._limited(checked, self._limit(scope)), counting_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or "unmatched"
            self.gateway.metrics.count_request(
                route=template, method=str(scope["method"]), status=status_seen
            )

    async def _admission(self, scope: Scope) -> GatewayError | None:
        """Who the request is from (auth.py), then its rate limit and body size. A request
        whose credentials fail spends a token of its address, so failing is limited too."""
        try:
            caller = await self.gateway.auth.authenticate(scope)
        except AuthenticationError as error:
            limited = self._refusal(scope, None)
            return limited if isinstance(limited, RateLimitedError) else error
        except GatewayError as error:  # the node could not be asked who the caller is (503)
            return error
        return self._refusal(scope, caller)

    def _refusal(self, scope: Scope, caller: auth.Caller | None) -> GatewayError | None:
        if scope["path"] not in UNLIMITED_PATHS:
            peer = scope.get("client")
            settings = self.gateway.settings
            # Only the header the bucket may be named by is looked up, and only when trusted.
            identity = _header(scope, IDENTITY) if settings.trust_identity_header else None
            client, rate = bucket_of(
                None if caller is None else caller.name,
                {} if identity is None else {IDENTITY_HEADER: identity},
                peer[0] if peer else None,
                trust_identity=settings.trust_identity_header,
                member=settings.rate_limit,
                anonymous=self._anonymous,
            )
            wait = self.gateway.buckets.take(client, rate)
            if wait > 0:
                return RateLimitedError(client=client, retry_after=max(1, math.ceil(wait)))
        length = _header(scope, b"content-length")
        limit = self._limit(scope)
        if length is not None and length.isdigit() and int(length) > limit:
            return BodyTooLargeError(limit=limit)
        return None

    def _limit(self, scope: Scope) -> int:
        """The body limit of this request: a blob upload's, or that of the rest."""
        settings = self.gateway.settings
        if str(scope["path"]).startswith(blobs.BLOBS_ROUTE):
            return settings.max_blob_bytes
        return settings.max_body_bytes

    def _limited(self, receive: Receive, limit: int) -> Receive:
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit=limit)
            return message

        return limited_receive


IDENTITY: Final = IDENTITY_HEADER.encode()


def _header(scope: Scope, name: bytes) -> str | None:
    """A request header's value (its last, if repeated), without building them all."""
    found = None
    for key, value in scope["headers"]:
        if key == name:
            found = value
    return None if found is None else bytes(found).decode("latin-1")
