"""Signed requests to a gateway: an `httpx.Auth` that signs every request with a member's key.

    signer = RequestSigner(load_key(Path("keys/org1-client.json")))
    with httpx.Client(base_url="http://127.0.0.1:26603", auth=signer) as http:
        http.post("/v1/transactions", content=tx.encode(), headers=OCTETS)

Each request gets a Content-Digest (sha-256 of its body, when it has one) and an HTTP Message
Signature (RFC 9421, see `httpsig.py`) over its method, authority, path, query and that digest,
with `created` (the signer's clock), a fresh random `nonce` and `keyid` = the member's identity
id on chain (the fingerprint of its key, hex). The gateway checks that the key belongs to an
active member of an active organization, and that the nonce was not used before. Covering the
authority keeps a request signed for one gateway from being replayed at another within the
freshness window.

The same object works with `httpx.Client` and `httpx.AsyncClient` (`Client(..., auth=signer)`
and `AsyncClient(..., auth=signer)` of this SDK pass it on). The body is read before signing, so
a streamed upload is held in memory once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Generator
from typing import Protocol, TypeVar

import httpx

from cornerstone.crypto import PrivateKey
from cornerstone.sdk.httpsig import (
    ALGORITHMS,
    LABEL,
    RequestParts,
    SignatureParams,
    byte_sequence,
    content_digest,
    signature_base,
)


class _Url(Protocol):
    @property
    def raw_path(self) -> bytes: ...
    @property
    def scheme(self) -> str: ...
    @property
    def netloc(self) -> bytes: ...


class _Headers(Protocol):
    def multi_items(self) -> list[tuple[str, str]]: ...
    def __setitem__(self, key: str, value: str) -> None: ...


class SignableRequest(Protocol):
    """An outgoing request as httpx (and httpx2, its successor) shape it."""

    @property
    def method(self) -> str: ...
    @property
    def url(self) -> _Url: ...
    @property
    def headers(self) -> _Headers: ...
    @property
    def content(self) -> bytes: ...


R = TypeVar("R", bound=SignableRequest)

COMPONENTS = ("@method", "@authority", "@path", "@query")
"""What every signature covers; "content-digest" joins them when there is a body."""
NONCE_BYTES = 16


class RequestSigner(httpx.Auth):
    """Signs each request as the member whose key this is. The key never leaves the object: its
    repr names the identity only."""

    requires_request_body = True

    def __init__(self, key: PrivateKey, *, clock: Callable[[], float] = time.time) -> None:
        self._key = key
        self._clock = clock
        self.keyid = key.public_key.fingerprint.hex()
        """The identity the gateway will know the requests by."""

    def __repr__(self) -> str:
        return f"RequestSigner(keyid={self.keyid})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request

    def __call__(self, request: R) -> R:
        """Sign and return `request`: the callable form of auth other clients take (Starlette's
        TestClient drives apps with httpx2, whose requests have the same shape)."""
        self.sign(request)
        return request

    def sign(self, request: SignableRequest) -> None:
        """Add Content-Digest (with a body), Signature-Input and Signature to `request`."""
        body = request.content
        components: tuple[str, ...] = COMPONENTS
        if body:
            request.headers["Content-Digest"] = content_digest(body)
            components = (*COMPONENTS, "content-digest")
        params = SignatureParams(
            components=components,
            params=(
                ("created", int(self._clock())),
                ("keyid", self.keyid),
                ("nonce", secrets.token_urlsafe(NONCE_BYTES)),
                ("alg", ALGORITHMS[self._key.suite]),
            ),
        )
        signature = self._key.sign(signature_base(parts_of(request), params))
        request.headers["Signature-Input"] = f"{LABEL}={params.serialize()}"
        request.headers["Signature"] = f"{LABEL}={byte_sequence(signature)}"


def parts_of(request: SignableRequest) -> RequestParts:
    """What a signature covers of an httpx request, as it will go over the wire."""
    path, _, query = request.url.raw_path.decode("ascii").partition("?")
    headers: dict[str, str] = {}
    for name, value in request.headers.multi_items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return RequestParts(
        method=request.method,
        scheme=request.url.scheme,
        authority=headers.get("host", request.url.netloc.decode("ascii")),
        path=path,
        query=query,
        headers=headers,
    )
