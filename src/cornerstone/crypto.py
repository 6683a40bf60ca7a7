"""Signing keys of every suite: generation, signing, verification, and key files on disk.

A suite is a signature scheme with its key and signature encodings. Each has a small
implementation object in `_IMPLS`; adding one (SM2 with SM3 is next) is one `Suite` member, one
class and one registry line. Callers see only `Suite`, `PublicKey` and `PrivateKey`.

Key files are JSON, written with mode 0600 before any secret byte reaches them; the private key
is never put in a log, an error message or a `repr`.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TypeGuard

import nacl.bindings
import nacl.exceptions
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from cornerstone.errors import KeyFileError

# The Ed25519 sizes, which the version-1 transaction encoding is built on.
PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
KEY_FILE_PREFIX = "cornerstone/"
KEY_FILE_TYPE = KEY_FILE_PREFIX + "ed25519"

CryptoPrivateKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey
"""The `cryptography` private key objects of the suites we support."""
CryptoPublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey
"""The `cryptography` public key objects of the suites we support."""

# The order n of the P-256 group (FIPS 186-4, D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_P256_HALF_ORDER = P256_ORDER // 2
_P256_SCALAR_SIZE = 32


class Suite(enum.StrEnum):
    """A signature suite, named as it is in key files and certificates.

    Each has a one-byte wire id in transactions, never reused for another suite:
    1 ed25519, 2 ecdsa-p256, 3 reserved for SM2 with SM3 (GB/T 32918, GB/T 32905).
    """

    ED25519 = "ed25519"
    P256 = "ecdsa-p256"
    """ECDSA over NIST P-256 with SHA-256."""

    @property
    def wire_id(self) -> int:
        return _IMPLS[self].wire_id

    @property
    def public_key_size(self) -> int:
        return _IMPLS[self].public_key_size

    @property
    def signature_size(self) -> int:
        return _IMPLS[self].signature_size

    @classmethod
    def from_wire_id(cls, wire_id: int) -> Suite:
        try:
            return _BY_WIRE_ID[wire_id]
        except KeyError:
            raise ValueError(f"{wire_id} is not the wire id of a signature suite") from None


# ---------------------------------------------------------------------------- suites
class _SuiteImpl(ABC):
    """What Cornerstone needs of a signature suite. Methods raise ValueError for bad input."""

    wire_id: ClassVar[int]
    public_key_size: ClassVar[int]
    signature_size: ClassVar[int]

    @abstractmethod
    def owns(self, key: object) -> TypeGuard[CryptoPublicKey]:
        """True when `key` is a `cryptography` public key of this suite."""

    @abstractmethod
    def public_raw(self, key: CryptoPublicKey) -> bytes:
        """The encoding of `key` that goes on the wire."""

    @abstractmethod
    def public_object(self, raw: bytes) -> CryptoPublicKey:
        """The `cryptography` key of a wire encoding; ValueError if it is not a valid key."""

    @abstractmethod
    def verify(self, raw: bytes, signature: bytes, message: bytes) -> bool:
        """True when `signature` of `message` verifies; never raises."""

    @abstractmethod
    def generate(self) -> CryptoPrivateKey: ...

    @abstractmethod
    def sign(self, key: CryptoPrivateKey, message: bytes) -> bytes: ...

    @abstractmethod
    def private_bytes(self, key: CryptoPrivateKey) -> bytes:
        """The secret as stored in a key file."""

    @abstractmethod
    def private_key(self, data: bytes) -> CryptoPrivateKey:
        """The key of the bytes `private_bytes` gave."""


class _Ed25519(_SuiteImpl):
    wire_id = 1
    public_key_size = PUBLIC_KEY_SIZE
    signature_size = SIGNATURE_SIZE

    def owns(self, key: object) -> TypeGuard[CryptoPublicKey]:
        return isinstance(key, Ed25519PublicKey)

    def public_raw(self, key: CryptoPublicKey) -> bytes:
        return key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    def public_object(self, raw: bytes) -> CryptoPublicKey:
        return Ed25519PublicKey.from_public_bytes(raw)

    def verify(self, raw: bytes, signature: bytes, message: bytes) -> bool:
        """libsodium does the check: it is about twice as fast as OpenSSL's here, and this runs
        for every transaction on every node. It also refuses small-order keys and
        non-canonical signatures, which every node, running the same pinned version, agrees on.
        """
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            nacl.bindings.crypto_sign_open(signature + message, raw)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            return False
        return True

    def generate(self) -> CryptoPrivateKey:
        return Ed25519PrivateKey.generate()

    def sign(self, key: CryptoPrivateKey, message: bytes) -> bytes:
        return _ed25519(key).sign(message)

    def private_bytes(self, key: CryptoPrivateKey) -> bytes:
        return _ed25519(key).private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def private_key(self, data: bytes) -> CryptoPrivateKey:
        return Ed25519PrivateKey.from_private_bytes(data)


class _P256(_SuiteImpl):
    """ECDSA P-256 with SHA-256: compressed SEC1 public keys, 64-byte r||s low-s signatures."""

    wire_id = 2
    public_key_size = 33
    signature_size = 2 * _P256_SCALAR_SIZE

    def owns(self, key: object) -> TypeGuard[CryptoPublicKey]:
        return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)

    def public_raw(self, key: CryptoPublicKey) -> bytes:
        return key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)

    def public_object(self, raw: bytes) -> CryptoPublicKey:
        if len(raw) != self.public_key_size:
            raise ValueError(f"a P-256 public key is {self.public_key_size} bytes")
        return _p256_point(raw)

    def verify(self, raw: bytes, signature: bytes, message: bytes) -> bool:
        # Only the low-s form verifies, so a message has exactly one valid signature and a
        # transaction one hash: (r, n - s) would otherwise verify too.
        if len(signature) != self.signature_size:
            return False
        r = int.from_bytes(signature[:_P256_SCALAR_SIZE], "big")
        s = int.from_bytes(signature[_P256_SCALAR_SIZE:], "big")
        if not (0 < r < P256_ORDER and 0 < s <= _P256_HALF_ORDER):
            return False
        try:
            key = _p256_point(raw)
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True

    def generate(self) -> CryptoPrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    def sign(self, key: CryptoPrivateKey, message: bytes) -> bytes:
        r, s = decode_dss_signature(_p256(key).sign(message, ec.ECDSA(hashes.SHA256())))
        if s > _P256_HALF_ORDER:
            s = P256_ORDER - s
        return r.to_bytes(_P256_SCALAR_SIZE, "big") + s.to_bytes(_P256_SCALAR_SIZE, "big")

    def private_bytes(self, key: CryptoPrivateKey) -> bytes:
        return _p256(key).private_numbers().private_value.to_bytes(_P256_SCALAR_SIZE, "big")

    def private_key(self, data: bytes) -> CryptoPrivateKey:
        value = int.from_bytes(data, "big")
        if len(data) != _P256_SCALAR_SIZE or not 0 < value < P256_ORDER:
            raise ValueError("a P-256 private key is a 32-byte scalar between 1 and n - 1")
        return ec.derive_private_key(value, ec.SECP256R1())


_IMPLS: dict[Suite, _SuiteImpl] = {
    Suite.ED25519: _Ed25519(),
    Suite.P256: _P256(),
}
_BY_WIRE_ID: dict[int, Suite] = {impl.wire_id: suite for suite, impl in _IMPLS.items()}


@functools.lru_cache(maxsize=4096)
def _p256_point(raw: bytes) -> ec.EllipticCurvePublicKey:
    # Decompressing and checking a point costs more than a dict lookup; senders repeat.
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


def _ed25519(key: CryptoPrivateKey) -> Ed25519PrivateKey:
    if not isinstance(key, Ed25519PrivateKey):
        raise TypeError("not an Ed25519 private key")
    return key


def _p256(key: CryptoPrivateKey) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("not an elliptic curve private key")
    return key


# ---------------------------------------------------------------------------- keys
@dataclass(frozen=True, slots=True)
class PublicKey:
    """A public key of one suite."""

    raw: bytes
    """The wire encoding: 32 bytes for Ed25519, a 33-byte compressed SEC1 point for P-256."""
    suite: Suite = Suite.ED25519
    """The signature suite the key belongs to."""

    def __post_init__(self) -> None:
        if type(self.suite) is not Suite:
            object.__setattr__(self, "suite", Suite(self.suite))  # "ed25519" -> Suite.ED25519
        impl = _IMPLS[self.suite]
        if len(self.raw) != impl.public_key_size:
            raise ValueError(f"a {self.suite} public key is {impl.public_key_size} bytes")
        if self.suite is not Suite.ED25519:
            # Ed25519 keys are checked by libsodium when they verify (the hot path stays lean).
            impl.public_object(self.raw)

    @classmethod
    def from_cryptography(cls, key: object) -> PublicKey:
        """The key of a `cryptography` public key object of a supported suite."""
        for suite, impl in _IMPLS.items():
            if impl.owns(key):
                return cls(impl.public_raw(key), suite)
        raise ValueError(
            f"a {type(key).__name__} is not a key of a supported suite "
            f"({', '.join(s.value for s in Suite)})"
        )

    def to_cryptography(self) -> CryptoPublicKey:
        return _IMPLS[self.suite].public_object(self.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this key's signature of `message`; never raises."""
        return _IMPLS[self.suite].verify(self.raw, signature, message)

    @property
    def fingerprint(self) -> bytes:
        """sha256(wire id || raw): the identity on chain, distinct across suites."""
        return hashlib.sha256(bytes((self.suite.wire_id,)) + self.raw).digest()

    def hex(self) -> str:
        return self.raw.hex()


class PrivateKey:
    """A private key of one suite. Its repr shows only the suite and the public key."""

    __slots__ = ("_impl", "_key", "public_key", "suite")

    def __init__(self, key: CryptoPrivateKey) -> None:
        self.public_key = PublicKey.from_cryptography(key.public_key())
        self.suite = self.public_key.suite
        self._impl = _IMPLS[self.suite]
        self._key = key

    @classmethod
    def generate(cls, suite: Suite = Suite.ED25519) -> PrivateKey:
        return cls(_IMPLS[suite].generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> PrivateKey:
        """The Ed25519 key of a 32-byte seed (used for deterministic test keys)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def _from_private_bytes(cls, suite: Suite, data: bytes) -> PrivateKey:
        return cls(_IMPLS[suite].private_key(data))

    def seed(self) -> bytes:
        """The 32-byte seed of an Ed25519 key."""
        if self.suite is not Suite.ED25519:
            raise ValueError(f"a {self.suite} key has no seed")
        return self._impl.private_bytes(self._key)

    def sign(self, message: bytes) -> bytes:
        """The signature of `message` (for P-256: 64-byte r||s, always low-s)."""
        return self._impl.sign(self._key, message)

    def to_cryptography(self) -> CryptoPrivateKey:
        """The `cryptography` key, for building certificates.

        The one way the secret leaves this class besides `save_key`: keep the object local.
        """
        return self._key

    def __repr__(self) -> str:
        return f"PrivateKey(suite={self.suite.value}, public_key={self.public_key.hex()})"


# ---------------------------------------------------------------------------- key files
def save_key(path: Path, key: PrivateKey, *, name: str) -> None:
    """Write `key` to `path` with mode 0600, refusing to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "type": KEY_FILE_PREFIX + key.suite.value,
        "name": name,
        "public_key": key.public_key.hex(),
        "private_key": _IMPLS[key.suite].private_bytes(key.to_cryptography()).hex(),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(path=str(path), reason="a key file already exists there") from None
    with os.fdopen(fd, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")


def load_key(path: Path) -> PrivateKey:
    """Read a key file written by `save_key`; refuse one that others can read."""
    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text()
    except FileNotFoundError:
        raise KeyFileError(path=str(path), reason="there is no such file") from None
    if mode & 0o077:
        raise KeyFileError(
            path=str(path), reason=f"its mode is {mode:o}; run `chmod 600 {path}` first"
        )
    try:
        document = json.loads(text)
        kind = document.get("type")
        if not isinstance(kind, str) or not kind.startswith(KEY_FILE_PREFIX):
            raise ValueError
        suite = Suite(kind.removeprefix(KEY_FILE_PREFIX))
        key = PrivateKey._from_private_bytes(suite, bytes.fromhex(document["private_key"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise KeyFileError(path=str(path), reason="it is not a Cornerstone key file") from None
    if key.public_key.hex() != document.get("public_key"):
        raise KeyFileError(path=str(path), reason="its public key does not match its private key")
    return key
