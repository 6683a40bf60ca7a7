"""Ed25519 keys: generation, signing, verification, and key files on disk.

Key files are JSON, written with mode 0600 before any secret byte reaches them; the private key
is never put in a log, an error message or a `repr`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import nacl.bindings
import nacl.exceptions
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from cornerstone.errors import KeyFileError

PUBLIC_KEY_SIZE = 32
SIGNATURE_SIZE = 64
KEY_FILE_TYPE = "cornerstone/ed25519"


@dataclass(frozen=True, slots=True)
class PublicKey:
    """An Ed25519 public key."""

    raw: bytes
    """The 32-byte encoding."""

    def __post_init__(self) -> None:
        if len(self.raw) != PUBLIC_KEY_SIZE:
            raise ValueError(f"an Ed25519 public key is {PUBLIC_KEY_SIZE} bytes")

    def verify(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` is this key's signature of `message`.

        libsodium does the check: it is about twice as fast as OpenSSL's here, and this runs
        for every transaction on every node. It also refuses small-order keys and
        non-canonical signatures, which every node, running the same pinned version, agrees on.
        """
        if len(signature) != SIGNATURE_SIZE:
            return False
        try:
            nacl.bindings.crypto_sign_open(signature + message, self.raw)
        except (nacl.exceptions.BadSignatureError, ValueError, TypeError):
            return False
        return True

    def hex(self) -> str:
        return self.raw.hex()


class PrivateKey:
    """An Ed25519 private key. Its repr shows only the public key."""

    __slots__ = ("_key", "public_key")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key = PublicKey(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> PrivateKey:
        """The key of a 32-byte seed (used for deterministic test keys)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    def seed(self) -> bytes:
        return self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def __repr__(self) -> str:
        return f"PrivateKey(public_key={self.public_key.hex()})"


def save_key(path: Path, key: PrivateKey, *, name: str) -> None:
    """Write `key` to `path` with mode 0600, refusing to overwrite an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "type": KEY_FILE_TYPE,
        "name": name,
        "public_key": key.public_key.hex(),
        "private_key": key.seed().hex(),
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
        if document.get("type") != KEY_FILE_TYPE:
            raise ValueError
        key = PrivateKey.from_seed(bytes.fromhex(document["private_key"]))
    except (ValueError, KeyError, TypeError):
        raise KeyFileError(path=str(path), reason="it is not a Cornerstone key file") from None
    if key.public_key.hex() != document.get("public_key"):
        raise KeyFileError(path=str(path), reason="its public key does not match its private key")
    return key
