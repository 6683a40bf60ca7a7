"""What the client does to data before it leaves the machine: AES-256-GCM under a fresh
random data key per version, the key sealed (libsodium sealed box: X25519 + XSalsa20-Poly1305)
to each recipient's X25519 key, and the X25519 key files.

Ciphertext layout (one byte form, so its sha256 is its address in the store):

    b"CSDS" | format 0x01 | nonce (12 random bytes) | AES-256-GCM ciphertext and 16-byte tag

The associated data binds the ciphertext to its dataset and version, so a ciphertext (or a key)
of one version cannot be passed off as another's: AAD = b"cornerstone/datashare/v1\\x00" |
dataset id (16) | version (4, big-endian).

Why a separate X25519 key rather than one derived from the Ed25519 signing key (libsodium's
crypto_sign_ed25519_pk_to_curve25519): keys of one purpose stay out of the other (a signing key
kept in an HSM or a certificate's P-256 key has no X25519 twin at all), an encryption key can be
rotated without changing the identity, and losing one does not expose the other. Its
registration is a transaction signed by the identity, which binds the two on chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import nacl.exceptions
import nacl.public
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cornerstone.datashare.errors import DecryptionError, EncryptionKeyFileError, UnwrapError
from cornerstone.modules.datashare.keys import DATASET_ID_SIZE
from cornerstone.modules.datashare.messages import DATA_KEY_SIZE, WRAPPED_KEY_SIZE

MAGIC: Final = b"CSDS"
FORMAT: Final = 1
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
HEADER_SIZE: Final = len(MAGIC) + 1 + NONCE_SIZE
AAD_PREFIX: Final = b"cornerstone/datashare/v1\x00"
KEY_FILE_TYPE: Final = "cornerstone/x25519"


def associated_data(dataset: bytes, version: int) -> bytes:
    """What the AEAD tag binds besides the content: which dataset version this is."""
    if len(dataset) != DATASET_ID_SIZE:
        raise ValueError(f"a dataset id is {DATASET_ID_SIZE} bytes")
    return AAD_PREFIX + dataset + version.to_bytes(4, "big")


def new_dataset_id() -> bytes:
    """A fresh dataset id: random, so the client knows it before the chain does."""
    return secrets.token_bytes(DATASET_ID_SIZE)


class DataKey:
    """A 256-bit data key. Its repr and str never show it; it leaves this object only sealed
    (`wrap_for`) or through `secret()`, which tests use to look for leaks."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if len(secret) != DATA_KEY_SIZE:
            raise ValueError(f"a data key is {DATA_KEY_SIZE} bytes")
        self._secret = secret

    @classmethod
    def generate(cls) -> DataKey:
        return cls(secrets.token_bytes(DATA_KEY_SIZE))

    def secret(self) -> bytes:
        """The raw key: keep it in memory, never write or log it."""
        return self._secret

    def wrap_for(self, public_key: bytes) -> bytes:
        """The key sealed to an X25519 public key: only its private key opens it."""
        try:
            sealed = nacl.public.SealedBox(nacl.public.PublicKey(public_key)).encrypt(self._secret)
        except (nacl.exceptions.CryptoError, ValueError, TypeError) as exc:
            raise ValueError(f"cannot seal to that encryption key ({type(exc).__name__})") from None
        assert len(sealed) == WRAPPED_KEY_SIZE
        return bytes(sealed)

    def __repr__(self) -> str:
        return "DataKey(<secret>)"

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class Sealed:
    """A version encrypted for publishing."""

    ciphertext: bytes
    """The bytes that go to the object store."""
    key: DataKey
    """The fresh data key (to wrap, never to store)."""
    content_hash: bytes
    """sha256 of the plaintext."""
    cipher_hash: bytes
    """sha256 of the ciphertext."""
    size: int
    """Bytes of plaintext."""


def encrypt(plaintext: bytes, *, dataset: bytes, version: int) -> Sealed:
    """Encrypt one version under a fresh data key and a random nonce."""
    key = DataKey.generate()
    nonce = secrets.token_bytes(NONCE_SIZE)
    body = AESGCM(key.secret()).encrypt(nonce, plaintext, associated_data(dataset, version))
    ciphertext = MAGIC + bytes((FORMAT,)) + nonce + body
    return Sealed(
        ciphertext=ciphertext,
        key=key,
        content_hash=hashlib.sha256(plaintext).digest(),
        cipher_hash=hashlib.sha256(ciphertext).digest(),
        size=len(plaintext),
    )


def decrypt(ciphertext: bytes, key: DataKey, *, dataset: bytes, version: int) -> bytes:
    """The plaintext, or DecryptionError saying why (never what the content or key is)."""
    where = {"dataset": dataset.hex(), "version": version}
    if len(ciphertext) < HEADER_SIZE + TAG_SIZE or not ciphertext.startswith(MAGIC):
        raise DecryptionError(**where, reason="it is not a Cornerstone ciphertext")
    if ciphertext[len(MAGIC)] != FORMAT:
        raise DecryptionError(**where, reason=f"format {ciphertext[len(MAGIC)]} is unknown")
    nonce = ciphertext[len(MAGIC) + 1 : HEADER_SIZE]
    try:
        return AESGCM(key.secret()).decrypt(
            nonce, ciphertext[HEADER_SIZE:], associated_data(dataset, version)
        )
    except InvalidTag:
        raise DecryptionError(
            **where,
            reason="the tag does not match (altered ciphertext, another version's key or "
            "another version's ciphertext)",
        ) from None


class EncryptionKey:
    """An X25519 key pair for receiving data keys. Its repr shows only the public key."""

    __slots__ = ("_private", "public_key")

    def __init__(self, private: nacl.public.PrivateKey) -> None:
        self._private = private
        self.public_key: bytes = bytes(private.public_key)

    @classmethod
    def generate(cls) -> EncryptionKey:
        return cls(nacl.public.PrivateKey.generate())

    def unwrap(self, wrapped: bytes) -> DataKey:
        """Open a data key sealed to this key; UnwrapError if it was sealed to another."""
        try:
            opened = nacl.public.SealedBox(self._private).decrypt(wrapped)
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            raise UnwrapError(mine=self.public_key.hex()) from None
        try:
            return DataKey(bytes(opened))
        except ValueError:
            raise UnwrapError(mine=self.public_key.hex()) from None

    def __repr__(self) -> str:
        return f"EncryptionKey(public_key={self.public_key.hex()})"


def save_encryption_key(path: Path, key: EncryptionKey, *, name: str) -> None:
    """Write `key` to `path` with mode 0600 (set at creation, before any secret byte is
    written), refusing to overwrite a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "type": KEY_FILE_TYPE,
        "name": name,
        "public_key": key.public_key.hex(),
        "private_key": bytes(key._private).hex(),
    }
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise EncryptionKeyFileError(path=str(path), reason="a key file exists there") from None
    with os.fdopen(fd, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")


def load_encryption_key(path: Path) -> EncryptionKey:
    """Read a key file of `save_encryption_key`; refuse one others can read."""
    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text()
    except FileNotFoundError:
        raise EncryptionKeyFileError(
            path=str(path), reason="there is no such file (`cornerstone data keys register`)"
        ) from None
    if mode & 0o077:
        raise EncryptionKeyFileError(
            path=str(path), reason=f"its mode is {mode:o}; run `chmod 600 {path}` first"
        )
    try:
        document = json.loads(text)
        if document.get("type") != KEY_FILE_TYPE:
            raise ValueError
        key = EncryptionKey(nacl.public.PrivateKey(bytes.fromhex(document["private_key"])))
    except (ValueError, KeyError, TypeError, AttributeError, nacl.exceptions.CryptoError):
        raise EncryptionKeyFileError(
            path=str(path), reason="it is not a Cornerstone encryption key file"
        ) from None
    if key.public_key.hex() != document.get("public_key"):
        raise EncryptionKeyFileError(
            path=str(path), reason="its public key does not match its private key"
        )
    return key
