"""Messages of the datashare module. Each checks its own shape; the handlers check it against
state. Only sealed boxes of data keys travel in them (`WRAPPED_KEY_SIZE` bytes), never a key."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final

from cornerstone import encoding
from cornerstone.modules.datashare import pre
from cornerstone.modules.datashare.keys import DATASET_ID_SIZE, IDENTITY_SIZE
from cornerstone.modules.did.verify import MAX_PRESENTATION_BYTES
from cornerstone.modules.membership.messages import check_org_id
from cornerstone.vc.didurl import parse_did

X25519_KEY_SIZE: Final = 32
DATA_KEY_SIZE: Final = 32
"""AES-256: the client's data keys."""
SEALED_BOX_OVERHEAD: Final = 48
"""libsodium's crypto_box_SEALBYTES: an ephemeral X25519 key (32) and a Poly1305 tag (16)."""
WRAPPED_KEY_SIZE: Final = DATA_KEY_SIZE + SEALED_BOX_OVERHEAD
"""A sealed box of a data key. The chain refuses anything else, so a raw 32-byte key sent by a
broken client is refused rather than recorded."""
DIGEST_SIZE: Final = 32
MAX_TITLE: Final = 128
MAX_DESCRIPTION: Final = 1024
MAX_SCHEMA: Final = 4096
MAX_LOCATION: Final = 512
MAX_PURPOSE: Final = 128
MAX_SIZE: Final = 1 << 48
"""Largest dataset version accepted, in bytes (256 TiB): a sanity bound, not a policy."""

ORG: Final = "org"
MEMBER: Final = "member"
CREDENTIAL: Final = "credential"
GRANTEE_KINDS: Final = (ORG, MEMBER, CREDENTIAL)
"""Who a grant covers: every member of an organization, one identity, or any holder of a
verifiable credential of a type (from a trusted issuer, or from one named issuer)."""
CHALLENGE_DOMAIN: Final = b"cornerstone/datashare/request/v1"
"""Separates the challenge of a request's presentation from every other hash."""

_PRINTABLE = re.compile(r"[^\x00-\x1f\x7f]*")
_LOCATION = re.compile(r"[a-z][a-z0-9+.-]*:[!-~]+")
_HEX_IDENTITY = re.compile(r"[0-9a-f]{64}")
_CREDENTIAL_TYPE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""The credential types the did module's trust lists take."""


def check_dataset(dataset: bytes) -> None:
    if len(dataset) != DATASET_ID_SIZE:
        raise ValueError(f"a dataset id is {DATASET_ID_SIZE} bytes")


def check_version(version: int) -> None:
    if not 1 <= version < 1 << 32:
        raise ValueError("a version is a positive 32-bit number")


def check_purpose(purpose: str) -> None:
    if not 0 < len(purpose) <= MAX_PURPOSE or not _PRINTABLE.fullmatch(purpose):
        raise ValueError(f"a purpose is 1 to {MAX_PURPOSE} printable characters")


def _check_text(name: str, text: str, limit: int, *, required: bool = False) -> None:
    if len(text) > limit or (required and not text) or not _PRINTABLE.fullmatch(text):
        least = 1 if required else 0
        raise ValueError(f"{name} is {least} to {limit} printable characters")


def _check_digest(name: str, digest: bytes) -> None:
    if len(digest) != DIGEST_SIZE:
        raise ValueError(f"{name} must be a {DIGEST_SIZE}-byte SHA-256 digest")


def _check_wrapped(wrapped: bytes) -> None:
    if len(wrapped) != WRAPPED_KEY_SIZE:
        raise ValueError(
            f"a wrapped data key is a {WRAPPED_KEY_SIZE}-byte sealed box, not {len(wrapped)} bytes"
        )


def check_x25519(public_key: bytes) -> None:
    if len(public_key) != X25519_KEY_SIZE or not any(public_key):
        raise ValueError(f"an encryption key is a {X25519_KEY_SIZE}-byte X25519 public key")


@dataclass(frozen=True, slots=True)
class RegisterKey:
    """Register (or rotate) the sender's X25519 public key, to which data keys are sealed, and
    optionally its Umbral keys, for delivery by the nodes' proxies (all three or none)."""

    public_key: bytes
    """32 bytes; never all zeros (libsodium refuses to seal to it)."""
    receiving_key: bytes = b""
    """Umbral public key that proxies re-encrypt data keys to (as a recipient)."""
    delegating_key: bytes = b""
    """Umbral public key the sender's capsules are made under (as an owner)."""
    verifying_key: bytes = b""
    """Umbral public key that checks the sender's signatures on its key fragments."""

    def __post_init__(self) -> None:
        check_x25519(self.public_key)
        umbral = (self.receiving_key, self.delegating_key, self.verifying_key)
        if any(umbral):
            for raw in umbral:
                pre.public_key(raw)


@dataclass(frozen=True, slots=True)
class Publish:
    """Register a new dataset (version 1) or a new version of the sender's dataset."""

    dataset: bytes
    """The id the client chose (16 random bytes): it is bound into the ciphertext before the
    chain sees it, so it is chosen first and refused if taken."""
    version: int
    """The version the ciphertext was encrypted for: exactly the next one."""
    content_hash: bytes
    """sha256 of the plaintext: what a recipient checks after decrypting."""
    cipher_hash: bytes
    """sha256 of the ciphertext: its address in a content-addressed store."""
    size: int
    """Bytes of plaintext."""
    location: str
    """URI where the ciphertext can be fetched (file://, http://, https://, s3://...)."""
    owner_key: bytes
    """The data key sealed to the owner's own registered encryption key."""
    title: str = ""
    """Required for version 1; empty keeps the title for a new version."""
    description: str = ""
    schema: str = ""
    """The schema of this version's content (a JSON Schema, a URI, a column list...)."""
    capsule: bytes = b""
    """For delivery by the nodes: the Umbral capsule of the data key under the owner's
    registered delegating key (empty: the owner delivers)."""
    key_ciphertext: bytes = b""
    """With `capsule`: the data key encrypted under the capsule's key (never the key)."""

    def __post_init__(self) -> None:
        check_dataset(self.dataset)
        if self.capsule or self.key_ciphertext:
            pre.capsule(self.capsule)
            if len(self.key_ciphertext) != pre.KEY_CIPHERTEXT_SIZE:
                raise ValueError(
                    f"a key ciphertext is {pre.KEY_CIPHERTEXT_SIZE} bytes, "
                    f"not {len(self.key_ciphertext)}"
                )
        check_version(self.version)
        _check_digest("content_hash", self.content_hash)
        _check_digest("cipher_hash", self.cipher_hash)
        if not 0 <= self.size <= MAX_SIZE:
            raise ValueError(f"size is 0 to {MAX_SIZE} bytes")
        if len(self.location) > MAX_LOCATION or not _LOCATION.fullmatch(self.location):
            raise ValueError(f"location is a URI of at most {MAX_LOCATION} characters")
        _check_wrapped(self.owner_key)
        _check_text("title", self.title, MAX_TITLE, required=self.version == 1)
        _check_text("description", self.description, MAX_DESCRIPTION)
        _check_text("schema", self.schema, MAX_SCHEMA)


def check_grantee(kind: str, grantee: str) -> None:
    if kind == ORG:
        check_org_id(grantee)
    elif kind == MEMBER:
        if not _HEX_IDENTITY.fullmatch(grantee):
            raise ValueError("a member grantee is an identity id: 64 lowercase hex characters")
    elif kind == CREDENTIAL:
        if not _CREDENTIAL_TYPE.fullmatch(grantee):
            raise ValueError(
                f"a credential grantee is a credential type ({_CREDENTIAL_TYPE.pattern})"
            )
    else:
        raise ValueError(f"a grantee kind is one of {', '.join(GRANTEE_KINDS)}, not {kind!r}")


@dataclass(frozen=True, slots=True)
class Grant:
    """Allow a grantee to receive the keys of the dataset's versions for a purpose."""

    dataset: bytes
    kind: str
    """ORG, MEMBER or CREDENTIAL."""
    grantee: str
    """An organization id, an identity id in hex, or a credential type."""
    purpose: str
    """What the data may be used for; a release names the same purpose."""
    expires_height: int = 0
    """Last height at which the grant is valid; 0: no height limit."""
    expires_time: int = 0
    """Block time (ns) from which the grant is no longer valid; 0: no time limit."""
    issuer: str = ""
    """CREDENTIAL only: accept credentials of this issuer DID only (it must also be on the
    trust list of the type); empty: of any issuer on that trust list."""

    def __post_init__(self) -> None:
        check_dataset(self.dataset)
        check_grantee(self.kind, self.grantee)
        check_purpose(self.purpose)
        if self.expires_height < 0 or self.expires_time < 0:
            raise ValueError("expiries are 0 (none) or positive")
        if self.issuer:
            if self.kind != CREDENTIAL:
                raise ValueError("only a grant to credential holders names an issuer")
            parse_did(self.issuer)


@dataclass(frozen=True, slots=True)
class Revoke:
    """End a grant: it covers no release from this height on."""

    dataset: bytes
    grant: int

    def __post_init__(self) -> None:
        check_dataset(self.dataset)
        if self.grant < 1:
            raise ValueError("grants are numbered from 1")


@dataclass(frozen=True, slots=True)
class Request:
    """Ask the owner for the key of a version, saying why; with a presentation, as the holder
    of a credential a credential grant accepts."""

    dataset: bytes
    version: int
    purpose: str
    presentation: str = ""
    """A W3C verifiable presentation (JSON), signed by the holder's DID with the challenge
    `request_challenge(...)` of this request and the chain id as domain; empty: none."""

    def __post_init__(self) -> None:
        check_dataset(self.dataset)
        check_version(self.version)
        check_purpose(self.purpose)
        if len(self.presentation.encode("utf-8")) > MAX_PRESENTATION_BYTES:
            raise ValueError(f"a presentation is at most {MAX_PRESENTATION_BYTES} bytes of JSON")


def request_challenge(
    *, chain_id: str, dataset: bytes, version: int, requester: bytes, purpose: str
) -> str:
    """The challenge a request's presentation must be signed with: a hash of everything the
    request is about, so a presentation serves one requester, one dataset version, one
    purpose, on one chain, and nowhere else."""
    fields: list[encoding.Value] = [chain_id, dataset, version, requester, purpose]
    return hashlib.sha256(CHALLENGE_DOMAIN + encoding.encode(fields)).hexdigest()


@dataclass(frozen=True, slots=True)
class Release:
    """The owner hands a recipient a version's data key, sealed to the recipient's registered
    encryption key. Accepted only under a grant valid now; writes the access receipt."""

    dataset: bytes
    version: int
    recipient: bytes
    """The recipient's identity id."""
    purpose: str
    wrapped_key: bytes
    """The data key sealed to the recipient's registered key."""

    def __post_init__(self) -> None:
        check_dataset(self.dataset)
        check_version(self.version)
        if len(self.recipient) != IDENTITY_SIZE:
            raise ValueError(f"a recipient is a {IDENTITY_SIZE}-byte identity id")
        check_purpose(self.purpose)
        _check_wrapped(self.wrapped_key)


# ---------------------------------------------------------------------------- proxies
SEALED_KFRAG_SIZE: Final = pre.KFRAG_SIZE + SEALED_BOX_OVERHEAD
"""A key fragment sealed to a proxy's X25519 key; a bare fragment is refused."""
MAX_PROXIES: Final = 64


def min_threshold(proxies: int) -> int:
    """The fewest fragments a delegation to `proxies` proxies may require: more than two
    thirds, as for consensus, so proxies of fewer than a third of them (those that would
    release off chain what the chain refuses) cannot reach it alone, and up to a third may be
    down without stopping delivery."""
    return 2 * proxies // 3 + 1


@dataclass(frozen=True, slots=True)
class RegisterProxy:
    """An organization's node registers (or rotates) its re-encryption proxy: the X25519 key
    key fragments are sealed to. The sender (an admin) is the identity that signs its
    capsule fragments; one proxy per organization."""

    public_key: bytes

    def __post_init__(self) -> None:
        check_x25519(self.public_key)


@dataclass(frozen=True, slots=True)
class Delegate:
    """The owner lets the named proxies re-encrypt its versions' capsules for one recipient
    covered by a grant: one key fragment per proxy, sealed to it; any `threshold` of them
    deliver the data key."""

    dataset: bytes
    grant: int
    recipient: bytes
    """The identity the fragments re-encrypt to (its registered receiving key)."""
    threshold: int
    proxies: tuple[str, ...]
    """Organizations whose registered proxies hold a fragment, in ascending order."""
    kfrag_ids: tuple[bytes, ...]
    """The id of each proxy's fragment (public: it is in every capsule fragment), so the
    chain can tell that fragments from distinct proxies are distinct."""
    sealed_kfrags: tuple[bytes, ...]
    """Each proxy's key fragment, sealed to its registered X25519 key."""

    def __post_init__(self) -> None:
        check_dataset(self.dataset)
        if self.grant < 1:
            raise ValueError("grants are numbered from 1")
        if len(self.recipient) != IDENTITY_SIZE:
            raise ValueError(f"a recipient is a {IDENTITY_SIZE}-byte identity id")
        n = len(self.proxies)
        if not 1 <= n <= MAX_PROXIES:
            raise ValueError(f"a delegation names 1 to {MAX_PROXIES} proxies")
        if len(self.kfrag_ids) != n or len(self.sealed_kfrags) != n:
            raise ValueError("a delegation gives one fragment id and one sealed fragment a proxy")
        for org in self.proxies:
            check_org_id(org)
        if list(self.proxies) != sorted(self.proxies) or len(set(self.proxies)) != n:
            raise ValueError("the proxies are named once each, in ascending order")
        if any(len(i) != pre.KFRAG_ID_SIZE for i in self.kfrag_ids):
            raise ValueError(f"a fragment id is {pre.KFRAG_ID_SIZE} bytes")
        if len(set(self.kfrag_ids)) != n:
            raise ValueError("every proxy's fragment is a distinct one")
        if any(len(s) != SEALED_KFRAG_SIZE for s in self.sealed_kfrags):
            raise ValueError(f"a sealed key fragment is {SEALED_KFRAG_SIZE} bytes")
        if not min_threshold(n) <= self.threshold <= n:
            raise ValueError(
                f"the threshold for {n} proxies is {min_threshold(n)} to {n}, not {self.threshold}"
            )


@dataclass(frozen=True, slots=True)
class Reencrypt:
    """A proxy's capsule fragment of a version for a requester: the re-encryption of the
    version's capsule with the fragment the owner delegated to the proxy under `grant`."""

    dataset: bytes
    version: int
    recipient: bytes
    grant: int
    cfrag: bytes

    def __post_init__(self) -> None:
        check_dataset(self.dataset)
        check_version(self.version)
        if len(self.recipient) != IDENTITY_SIZE:
            raise ValueError(f"a recipient is a {IDENTITY_SIZE}-byte identity id")
        if self.grant < 1:
            raise ValueError("grants are numbered from 1")
        pre.cfrag_kfrag_id(self.cfrag)
