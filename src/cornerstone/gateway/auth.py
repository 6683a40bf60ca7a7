"""Who a request is from: a member that signed it, or that presented its certificate over TLS.

    --auth none        nothing is checked; clients are named by address (or a trusted header)
    --auth optional    credentials are checked when sent (a bad one is 401); none: anonymous
    --auth required    every route but the public ones needs an authenticated member (401)

Two ways to authenticate, both ending at the chain's own membership records:

- **Signed requests** (HTTP Message Signatures, RFC 9421, see `sdk/httpsig.py`). `keyid` is
  the member's identity id (the fingerprint of a key registered on chain, hex). The gateway
  refuses a signature that does not cover `@method`, the path and query (`@path` and `@query`,
  or `@target-uri`) and, with a body, `content-digest`; whose `created` is outside
  ±`window_s` of its clock; whose nonce it has seen within the window; or whose key is not a
  registered member of an active organization. The body is hashed as it streams to the route,
  and a body that does not match its Content-Digest fails the request at its last byte, before
  the route can act on it (400, code 27).
- **Mutual TLS** (`tls.py`): the client's member certificate, issued by its organization's root
  CA. The TLS handshake checks the chain to a root; this module then asks the chain, as a
  transaction's sender would be judged: the organization is active, the certificate verifies
  against its root on chain, it is valid now, and its serial is not revoked.

Chain answers are read from the gateway's own node, at one height per look-up, and kept for
`member_cache_s` seconds (refusals too): a member removed or a certificate revoked on chain is
refused by this gateway at most that long after its node committed the change.

A request with the console token (`Authorization: Bearer`) is the organization's operator, as
trusted as the machine the token file is on; the routes that check their own tokens (managed
signing, blob uploads) and the read-only public routes (health, metrics, the OpenAPI document,
the console's files, reads of blobs, light-client headers, DID documents, status and trust
lists) need no member even under `required`.
"""

from __future__ import annotations

import hashlib
import heapq
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from starlette.concurrency import run_in_threadpool

from cornerstone.crypto import PublicKey
from cornerstone.errors import CornerstoneError, UnknownSenderError
from cornerstone.gateway.errors import (
    AuthenticationRequiredError,
    ContentDigestMismatchError,
    MalformedSignatureError,
    MemberRefusedError,
    ReplayedRequestError,
    SignatureMismatchError,
    StaleRequestError,
    UnknownKeyIdError,
)
from cornerstone.gateway.limits import RateLimit
from cornerstone.gateway.node import Node
from cornerstone.identity.certs import NS_PER_S
from cornerstone.module import Identity
from cornerstone.modules.membership.identity import resolve_sender
from cornerstone.modules.membership.state import get_member
from cornerstone.sdk.httpsig import (
    ALGORITHMS,
    RequestParts,
    SignatureParams,
    parse_byte_dictionary,
    parse_signature_input,
    signature_base,
)
from cornerstone.tx import Sender

Mode = Literal["none", "optional", "required"]
MODES: Final = ("none", "optional", "required")
DEFAULT_WINDOW_S: Final = 300
DEFAULT_MEMBER_CACHE_S: Final = 5.0
DEFAULT_REPLAY_CAPACITY: Final = 100_000
MAX_NONCE: Final = 128
MIN_NONCE: Final = 8
CHALLENGE: Final = 'Signature realm="cornerstone", alg="ed25519"'
"""`WWW-Authenticate` of a 401: sign the request (RFC 9421) with the member's key."""
ACCEPT_SIGNATURE: Final = 'sig1=("@method" "@authority" "@path" "@query");created;keyid;nonce'
"""RFC 9421 §5.1: what the gateway asks a signature to cover (and content-digest with a body)."""

CREDENTIAL_HEADERS: Final = (b"signature-input", b"signature", b"authorization")
"""The headers a signed request or the console's token come in."""
PUBLIC_PATHS: Final = frozenset({"/", "/healthz", "/metrics", "/openapi.json"})
PUBLIC_PREFIXES: Final = ("/console",)
PUBLIC_READ_PREFIXES: Final = (
    "/v1/blobs/",
    "/v1/light",
    "/v1/dids/",
    "/v1/status-lists/",
    "/v1/trust",
)
"""GET and HEAD only: the blob store's ciphertexts, what a light client verifies itself, and
what verifiers outside the consortium fetch (DID documents, status lists, trust lists)."""
OWN_TOKEN_PREFIXES: Final = ("/v1/managed", "/v1/blobs/")
"""Routes that check a token of their own (console, blob uploads), under `required` too."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]


@dataclass(frozen=True, slots=True)
class AuthSettings:
    """How a gateway decides who a request is from."""

    mode: Mode = "optional"
    """none, optional or required (see the module's docstring)."""
    window_s: int = DEFAULT_WINDOW_S
    """How far `created` may be from the gateway's clock, either way, in seconds."""
    member_cache_s: float = DEFAULT_MEMBER_CACHE_S
    """How long a chain answer about a member is reused: the staleness of a revocation."""
    replay_capacity: int = DEFAULT_REPLAY_CAPACITY
    """Nonces remembered at most (see `Nonces`)."""
    anonymous_rate_limit: RateLimit | None = None
    """Requests per address of clients that are not authenticated members; None: a fifth of
    a member's (`limits.anonymous_default`)."""
    clock: Callable[[], float] = field(default=time.time, compare=False)
    """Wall clock, seconds since the epoch (tests give their own)."""


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated client."""

    id: bytes
    """Its identity id on chain (the fingerprint of its key); empty for the operator."""
    org: str
    """Its organization ("" for the operator)."""
    role: str
    """Its role there ("operator" for a console token)."""
    via: Literal["signature", "certificate", "token"]
    """How it proved who it is."""

    @property
    def name(self) -> str:
        """Its rate limit bucket's name."""
        return "operator" if self.via == "token" else f"member:{self.id.hex()}"


# ---------------------------------------------------------------------------- nonces
class Nonces:
    """The (keyid, nonce) pairs seen within the window, bounded.

    Each is kept until its `created` leaves the window. When `capacity` are kept and none has
    expired, the one that expires first is dropped and its expiry becomes a floor: a request
    created before that floor is refused as stale rather than risk accepting a replay the
    gateway can no longer see. The window shrinks under a flood; it never leaks a replay.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []
        self.floor = 0.0
        """Expiries at or below it can no longer be checked."""

    def add(self, keyid: str, nonce: str, *, expires: float, now: float) -> bool:
        """Remember the pair; False when it was seen already or is too old to be checked."""
        key = (keyid, nonce)
        with self._lock:
            while self._heap and self._heap[0][0] < now:
                _, old = heapq.heappop(self._heap)
                self._expiry.pop(old, None)
            if key in self._expiry or expires <= self.floor:
                return False
            if len(self._expiry) >= self.capacity:
                dropped_at, dropped = heapq.heappop(self._heap)
                del self._expiry[dropped]
                self.floor = max(self.floor, dropped_at)
                if expires <= self.floor:
                    return False
            self._expiry[key] = expires
            heapq.heappush(self._heap, (expires, key))
            return True

    def __len__(self) -> int:
        return len(self._expiry)


# ---------------------------------------------------------------------------- the chain
class _StateAt:
    """The node's state at one height, read key by key (the `Reader` the membership module's
    functions take): the first read fixes the height, so one look-up sees one state."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.height = 0
        self._seen: dict[bytes, bytes | None] = {}

    def get(self, key: bytes) -> bytes | None:
        if key not in self._seen:
            value, height = self.node.read(key, height=self.height)
            self.height = self.height or height
            self._seen[key] = value
        return self._seen[key]

    def iterate(self, prefix: bytes, start: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        raise NotImplementedError("a member look-up reads single keys")


class Members:
    """Who the chain says a key or a certificate is, asked of the gateway's node and kept for
    `ttl` seconds (refusals too, so a stream of unknown keyids costs one read each per ttl)."""

    CAPACITY: Final = 10_000

    def __init__(
        self, node: Node, *, ttl: float, clock: Callable[[], float], monotonic: Callable[[], float]
    ) -> None:
        self.node = node
        self.ttl = ttl
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._cache: dict[bytes, tuple[float, Caller | CornerstoneError, PublicKey | None]] = {}

    def by_identity(self, identity: bytes) -> tuple[Caller, PublicKey]:
        """The registered member with this identity id and its key, or the refusal."""
        answer, key = self._cached(b"id:" + identity, lambda: self._member(identity))
        assert key is not None
        return answer, key

    def by_certificate(self, der: bytes) -> Caller:
        """The member this certificate makes its holder, or the refusal."""
        answer, _ = self._cached(b"cert:" + hashlib.sha256(der).digest(), lambda: self._cert(der))
        return answer

    def _cached(
        self, key: bytes, ask: Callable[[], tuple[Caller, PublicKey | None]]
    ) -> tuple[Caller, PublicKey | None]:
        now = self._monotonic()
        with self._lock:
            found = self._cache.get(key)
        if found is None or found[0] <= now:
            try:
                caller, public_key = ask()
                found = (now + self.ttl, caller, public_key)
            except (UnknownKeyIdError, MemberRefusedError) as refusal:
                found = (now + self.ttl, refusal, None)
            with self._lock:
                if len(self._cache) >= self.CAPACITY:
                    self._cache.clear()
                self._cache[key] = found
        _, answer, public_key = found
        if isinstance(answer, CornerstoneError):
            raise answer
        return answer, public_key

    def _member(self, identity: bytes) -> tuple[Caller, PublicKey]:
        state = _StateAt(self.node)
        member = get_member(state, identity)
        if member is None:
            raise UnknownKeyIdError(keyid=identity.hex())
        resolved = self._resolve(state, Sender(member.public_key), who=identity.hex())
        return (
            Caller(id=identity, org=resolved.org, role=resolved.role.value, via="signature"),
            member.public_key,
        )

    def _cert(self, der: bytes) -> tuple[Caller, None]:
        try:
            public_key = PublicKey.from_cryptography(
                x509.load_der_x509_certificate(der).public_key()
            )
        except ValueError as exc:
            raise MemberRefusedError(who="this client certificate", reason=str(exc)) from None
        who = f"the certificate holder {public_key.fingerprint.hex()}"
        resolved = self._resolve(_StateAt(self.node), Sender(public_key, der), who=who)
        return Caller(
            id=resolved.id, org=resolved.org, role=resolved.role.value, via="certificate"
        ), None

    def _resolve(self, state: _StateAt, sender: Sender, *, who: str) -> Identity:
        # The chain's own judgement of a sender: the gateway can never accept a member its
        # node would refuse (organization removed, certificate expired, revoked, forged).
        try:
            return resolve_sender(state, sender, int(self._clock() * NS_PER_S))
        except UnknownSenderError:
            raise UnknownKeyIdError(keyid=who) from None
        except CornerstoneError as error:
            if error.codespace == "gateway":
                raise  # the node did not answer: not the member's fault, not cached
            raise MemberRefusedError(who=who, reason=error.message) from None


# ---------------------------------------------------------------------------- requests
@dataclass(frozen=True, slots=True)
class _Digest:
    """The body's Content-Digest, to check as the body streams past."""

    expected: bytes


class Authenticator:
    """Checks the credentials of each request (called by the limits middleware, before any
    route runs), and the body against its signed digest while the route reads it."""

    def __init__(
        self,
        settings: AuthSettings,
        node: Node,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.nonces = Nonces(settings.replay_capacity)
        self.members = Members(
            node, ttl=settings.member_cache_s, clock=settings.clock, monotonic=monotonic
        )
        self._bearers: list[Callable[[str], bool]] = []

    def accept_bearer(self, check: Callable[[str], bool]) -> None:
        """A token that makes a request the operator's (the console's), checked by `check`."""
        self._bearers.append(check)

    async def authenticate(self, scope: Scope) -> Caller | None:
        """Who sent the request (None: anonymous); an AuthenticationError when its credentials
        do not hold, or when it has none and the policy wants them."""
        mode = self.settings.mode
        if mode == "none":
            return None
        # Most requests carry no credential header: no dictionary of their headers to build.
        headers = _headers(scope) if _has_credential_headers(scope) else {}
        caller: Caller | None = None
        if "signature-input" in headers or "signature" in headers:
            caller = await self._signed(scope, headers)
        else:
            certificate = peer_certificate(scope)
            if certificate is not None:
                caller = await run_in_threadpool(self.members.by_certificate, certificate)
            elif self._operator(headers):
                caller = Caller(id=b"", org="", role="operator", via="token")
        if caller is None and mode == "required" and not is_public(scope):
            raise AuthenticationRequiredError(what=f"{scope['method']} {scope['path']}")
        return caller

    def checked(self, scope: Scope, receive: Receive) -> Receive:
        """`receive`, checking the body against the Content-Digest a signature covered."""
        digest: _Digest | None = scope.get("cornerstone.digest")
        if digest is None:
            return receive
        hasher = hashlib.sha256()

        async def checked_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                hasher.update(message.get("body", b""))
                if not message.get("more_body", False) and hasher.digest() != digest.expected:
                    raise ContentDigestMismatchError(reason="sha-256 differs")
            return message

        return checked_receive

    def _operator(self, headers: dict[str, str]) -> bool:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and any(check(token.strip()) for check in self._bearers)

    async def _signed(self, scope: Scope, headers: dict[str, str]) -> Caller:
        label, params, signature = _signature(headers)
        parts = request_parts(scope, headers)
        keyid, nonce = _check_params(params, parts, has_body=_has_body(headers))
        now = self.settings.clock()
        created = params.get("created")
        assert isinstance(created, int)
        window = self.settings.window_s
        if abs(now - created) > window:
            raise StaleRequestError(
                reason=f"created {created} is {now - created:+.0f} s from the gateway's clock, "
                f"over the {window} s allowed"
            )
        expires = params.get("expires")
        if isinstance(expires, int) and now > expires:
            raise StaleRequestError(reason=f"it expired at {expires}")
        try:
            identity = bytes.fromhex(keyid)
        except ValueError:
            raise UnknownKeyIdError(keyid=keyid) from None
        if len(identity) != 32:
            raise UnknownKeyIdError(keyid=keyid)
        caller, public_key = await run_in_threadpool(self.members.by_identity, identity)
        alg = params.get("alg")
        if alg is not None and alg != ALGORITHMS[public_key.suite]:
            raise MalformedSignatureError(
                reason=f"alg {alg!r} is not that of the key of {keyid} "
                f"({ALGORITHMS[public_key.suite]})"
            )
        try:
            base = signature_base(parts, params)
        except (KeyError, ValueError) as exc:
            raise MalformedSignatureError(reason=f"{label}: cannot build its base: {exc}") from None
        if not public_key.verify(signature, base):
            raise SignatureMismatchError(keyid=keyid)
        if not self.nonces.add(keyid, nonce, expires=created + window, now=now):
            raise ReplayedRequestError(keyid=keyid, nonce=nonce)
        if "content-digest" in params.components:
            scope["cornerstone.digest"] = _Digest(_sha256_of(headers["content-digest"]))
        return caller


def is_public(scope: Scope) -> bool:
    """Whether a route is open to anyone under `required` (or checks its own token)."""
    path: str = scope["path"]
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return True
    if path.startswith(OWN_TOKEN_PREFIXES):
        return True
    return scope["method"] in ("GET", "HEAD") and path.startswith(PUBLIC_READ_PREFIXES)


def peer_certificate(scope: Scope) -> bytes | None:
    """The client's TLS certificate (DER), from the ASGI TLS extension (`tls.py` adds it)."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    return x509.load_pem_x509_certificate(str(chain[0]).encode()).public_bytes(Encoding.DER)


def request_parts(scope: Scope, headers: dict[str, str]) -> RequestParts:
    """What a signature covers of an ASGI request, as it came over the wire."""
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if raw_path else str(scope["path"])
    return RequestParts(
        method=str(scope["method"]),
        scheme=str(scope.get("scheme", "http")),
        authority=headers.get("host", ""),
        path=path.partition("?")[0],
        query=bytes(scope.get("query_string", b"")).decode("latin-1"),
        headers=headers,
    )


def _has_credential_headers(scope: Scope) -> bool:
    """Whether the request has a header that may carry credentials (a signature or a token)."""
    return any(name.lower() in CREDENTIAL_HEADERS for name, _value in scope["headers"])


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1").strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _has_body(headers: dict[str, str]) -> bool:
    length = headers.get("content-length", "0").strip()
    return "transfer-encoding" in headers or length not in ("0", "")


def _signature(headers: dict[str, str]) -> tuple[str, SignatureParams, bytes]:
    """The first signature both fields name (a proxy may add its own after ours)."""
    try:
        inputs = parse_signature_input(headers.get("signature-input", ""))
        signatures = parse_byte_dictionary(headers.get("signature", ""))
    except ValueError as exc:
        raise MalformedSignatureError(reason=str(exc)) from None
    for label, params in inputs.items():
        if label in signatures:
            return label, params, signatures[label]
    raise MalformedSignatureError(reason="Signature-Input and Signature name no common label")


def _check_params(
    params: SignatureParams, parts: RequestParts, *, has_body: bool
) -> tuple[str, str]:
    """keyid and nonce, once the signature covers what the gateway needs it to cover."""
    covered = set(params.components)

    def need(what: str) -> MalformedSignatureError:
        return MalformedSignatureError(reason=f"the signature must cover {what}")

    if "@method" not in covered:
        raise need('"@method"')
    if "@target-uri" not in covered:
        if "@path" not in covered:
            raise need('"@target-uri", or "@path" and "@query"')
        if parts.query and "@query" not in covered:
            raise need('"@query" (the request has a query)')
    if has_body and "content-digest" not in covered:
        raise need('"content-digest" (the request has a body)')
    for name in ("created", "keyid", "nonce"):
        if name not in {key for key, _ in params.params}:
            raise MalformedSignatureError(reason=f"the signature has no {name!r} parameter")
    created, keyid, nonce = params.get("created"), params.get("keyid"), params.get("nonce")
    if not isinstance(created, int):
        raise MalformedSignatureError(reason="'created' must be an integer")
    if not isinstance(keyid, str) or not isinstance(nonce, str):
        raise MalformedSignatureError(reason="'keyid' and 'nonce' must be strings")
    if not MIN_NONCE <= len(nonce) <= MAX_NONCE:
        raise MalformedSignatureError(
            reason=f"the nonce must be {MIN_NONCE}-{MAX_NONCE} characters"
        )
    alg = params.get("alg")
    if alg is not None and alg not in ALGORITHMS.values():
        raise MalformedSignatureError(
            reason=f"alg {alg!r} is not one of {', '.join(sorted(ALGORITHMS.values()))}"
        )
    return keyid, nonce


def _sha256_of(field_value: str) -> bytes:
    try:
        digests = parse_byte_dictionary(field_value)
    except ValueError as exc:
        raise MalformedSignatureError(reason=f"Content-Digest: {exc}") from None
    expected = digests.get("sha-256")
    if expected is None or len(expected) != hashlib.sha256().digest_size:
        raise MalformedSignatureError(reason="Content-Digest has no sha-256 digest")
    return expected


__all__ = [
    "ACCEPT_SIGNATURE",
    "CHALLENGE",
    "MODES",
    "AuthSettings",
    "Authenticator",
    "Caller",
    "Members",
    "Mode",
    "Nonces",
    "is_public",
    "peer_certificate",
]
