"""The transaction envelope: a canonical, versioned binary form with exactly one encoding.

Layout of version 1 (all integers are shortest-form unsigned varints, see `encoding`):

    version      1 byte, = 1
    chain_id     varint length + ASCII, 1..50 characters of [a-z0-9._-]
    sender       1 byte kind, then
                   1 = a key registered on chain: 1 byte suite id (1 Ed25519, 2 ECDSA P-256)
                       + the public key (32 or 33 bytes)
                   2 = a member certificate: varint length + DER (at most 4 KiB); the
                       signing key is the certificate's
    nonce        varint
    module       varint length + ASCII name, [a-z][a-z0-9_]{0,31}
    operation    varint length + ASCII name, [a-z][a-z0-9_]{0,63}
    args         varint length + the canonical encoding of a map (see `encoding`)
    gas_limit    varint
    signature    64 bytes, by the sender's key over sha256(SIGNING_DOMAIN || all of the above)
                 (P-256: r || s with low s, so a signature has one form)

The transaction hash is sha256 of the whole encoding, the same hash CometBFT shows. The domain
tag keeps a transaction signature from ever being valid as a signature of anything else.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from cornerstone import encoding
from cornerstone.crypto import SIGNATURE_SIZE, PrivateKey, PublicKey, Suite
from cornerstone.errors import (
    MalformedTransactionError,
    NonCanonicalError,
    OversizedTransactionError,
    UnsupportedVersionError,
)
from cornerstone.types import Gas, Nonce

VERSION: Final = 1
SIGNING_DOMAIN: Final = b"cornerstone/tx/v1\x00"
MAX_TX_BYTES: Final = 64 * 1024
"""Default largest transaction accepted; a chain parameter may lower it."""

CHAIN_ID_RE: Final = re.compile(r"[a-z0-9._-]{1,50}")
MODULE_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,31}")
OPERATION_RE: Final = re.compile(r"[a-z][a-z0-9_]{0,63}")

MAX_CERTIFICATE_BYTES: Final = 4096
SENDER_KEY: Final = 1
SENDER_CERTIFICATE: Final = 2

Args = Mapping[str, encoding.Value]


@dataclass(frozen=True, slots=True)
class Sender:
    """Who signed a transaction: a public key, and the certificate that vouches for it when
    the key is not registered on chain."""

    public_key: PublicKey
    """The key that signed."""
    certificate: bytes | None = None
    """DER of a member certificate for `public_key`, or None for a registered key."""

    id: bytes = field(init=False, repr=False, compare=False)
    """The sender's identity on chain (its key's fingerprint): nonces and ownership."""

    def __post_init__(self) -> None:
        # Computed once: every check of the transaction on every phase reads it.
        object.__setattr__(self, "id", self.public_key.fingerprint)

    def encode(self) -> bytes:
        if self.certificate is None:
            return bytes((SENDER_KEY, self.public_key.suite.wire_id)) + self.public_key.raw
        return (
            bytes((SENDER_CERTIFICATE,))
            + encoding.encode_uvarint(len(self.certificate))
            + self.certificate
        )


@dataclass(frozen=True, slots=True)
class Transaction:
    """A decoded, well-formed transaction (its signature is checked by execution, not here)."""

    chain_id: str
    """The chain this transaction is for; another chain refuses it."""
    sender: Sender
    """Who signed it."""
    nonce: Nonce
    """The sender's counter: exactly one more than the sender's previous transaction."""
    module: str
    """The module that handles it, e.g. "notary"."""
    operation: str
    """The module's operation, e.g. "anchor"."""
    args: Args
    """The operation's arguments, a map of canonical values."""
    gas_limit: Gas
    """The most gas the sender allows this transaction to use."""
    signature: bytes
    """The sender key's signature of `signing_hash`."""
    raw: bytes = field(default=b"", compare=False, repr=False)
    """The exact bytes, once encoded or decoded."""

    @property
    def hash(self) -> bytes:
        return hashlib.sha256(self.raw or self.encode()).digest()

    @property
    def signing_hash(self) -> bytes:
        # The canonical bytes minus the signature are the body: no need to encode it again.
        body = self.raw[:-SIGNATURE_SIZE] if self.raw else _body(self)
        return signing_hash(body)

    def encode(self) -> bytes:
        return self.raw or _body(self) + self.signature


def signing_hash(body: bytes) -> bytes:
    return hashlib.sha256(SIGNING_DOMAIN + body).digest()


def sign_transaction(
    key: PrivateKey,
    *,
    chain_id: str,
    nonce: int,
    module: str,
    operation: str,
    args: Args,
    gas_limit: int,
    certificate: bytes | None = None,
) -> Transaction:
    """Build and sign a transaction; the result carries its canonical bytes.

    With `certificate` (the DER of a member certificate for `key`) the sender is known by its
    certificate; without, `key` must be registered on chain.
    """
    unsigned = Transaction(
        chain_id=chain_id,
        sender=Sender(key.public_key, certificate),
        nonce=Nonce(nonce),
        module=module,
        operation=operation,
        args=args,
        gas_limit=Gas(gas_limit),
        signature=b"\x00" * SIGNATURE_SIZE,
    )
    _check_names(unsigned)
    body = _body(unsigned)
    signature = key.sign(signing_hash(body))
    return replace(unsigned, signature=signature, raw=body + signature)


def _body(tx: Transaction) -> bytes:
    out = bytearray([VERSION])
    _put_text(out, tx.chain_id)
    out += tx.sender.encode()
    out += encoding.encode_uvarint(tx.nonce)
    _put_text(out, tx.module)
    _put_text(out, tx.operation)
    args = encoding.encode(tx.args)
    out += encoding.encode_uvarint(len(args))
    out += args
    out += encoding.encode_uvarint(tx.gas_limit)
    return bytes(out)


def _put_text(out: bytearray, text: str) -> None:
    raw = text.encode("ascii")
    out += encoding.encode_uvarint(len(raw))
    out += raw


def _check_names(tx: Transaction) -> None:
    for what, pattern, value in (
        ("chain id", CHAIN_ID_RE, tx.chain_id),
        ("module name", MODULE_RE, tx.module),
        ("operation name", OPERATION_RE, tx.operation),
    ):
        if not pattern.fullmatch(value):
            raise MalformedTransactionError(reason=f"the {what} {value!r} is not allowed")


def decode_transaction(data: bytes, *, max_bytes: int = MAX_TX_BYTES) -> Transaction:
    """Decode `data` strictly: any byte form other than the canonical one is refused."""
    if len(data) > max_bytes:
        raise OversizedTransactionError(size=len(data), limit=max_bytes)
    if not data:
        raise MalformedTransactionError(reason="the transaction is empty")
    if data[0] != VERSION:
        raise UnsupportedVersionError(version=data[0], supported=VERSION)
    try:
        chain_id, sender, pos = _read_head(data)
        nonce, pos = encoding.decode_uvarint(data, pos)
        module, pos = _read_name(data, pos, "module name", MODULE_RE, _MODULE_NAMES)
        operation, pos = _read_name(data, pos, "operation name", OPERATION_RE, _OPERATION_NAMES)
        args_len, pos = encoding.decode_uvarint(data, pos)
        args_raw = _take(data, pos, args_len, "arguments")
        pos += args_len
        gas_limit, pos = encoding.decode_uvarint(data, pos)
        signature = _take(data, pos, SIGNATURE_SIZE, "signature")
        pos += SIGNATURE_SIZE
    except encoding.DecodeError as exc:
        raise NonCanonicalError(reason=str(exc)) from None
    if pos != len(data):
        raise MalformedTransactionError(reason=f"{len(data) - pos} bytes follow the signature")
    try:
        args = encoding.decode(args_raw)
    except encoding.DecodeError as exc:
        raise NonCanonicalError(reason=f"the arguments: {exc}") from None
    if not isinstance(args, dict):
        raise MalformedTransactionError(reason="the arguments are not a map")
    return Transaction(
        chain_id=chain_id,
        sender=sender,
        nonce=Nonce(nonce),
        module=module,
        operation=operation,
        args=args,
        gas_limit=Gas(gas_limit),
        signature=signature,
        raw=data,
    )


# Every transaction of a sender starts with the same bytes (version, chain id, sender key) and
# names one of a few operations: those parts are decoded and checked once, then found by their
# exact bytes. Only well-formed parts are kept, so a hit decodes exactly as a miss would.
_CACHE_CAPACITY: Final = 4096
_HEADS: dict[bytes, tuple[str, Sender]] = {}
_MODULE_NAMES: dict[bytes, str] = {}
_OPERATION_NAMES: dict[bytes, str] = {}
_KEY_SIZES: Final = {suite.wire_id: suite.public_key_size for suite in Suite}


def _read_head(data: bytes) -> tuple[str, Sender, int]:
    """The chain id and sender after the version byte, and the position after them."""
    end = _key_head_end(data)
    if end:
        known = _HEADS.get(data[:end])
        if known is not None:
            return known[0], known[1], end
    chain_id, pos = _read_text(data, 1, "chain id", CHAIN_ID_RE)
    sender, pos = _read_sender(data, pos)
    if pos == end:
        if len(_HEADS) >= _CACHE_CAPACITY:
            _HEADS.clear()
        _HEADS[data[:end]] = (chain_id, sender)
    return chain_id, sender, pos


def _key_head_end(data: bytes) -> int:
    """Where the head ends if the sender is a registered key and the bytes are there, else 0."""
    size = len(data)
    if size < 2 or data[1] >= 0x80:
        return 0
    kind = 2 + data[1]
    if kind + 1 >= size or data[kind] != SENDER_KEY:
        return 0
    key_size = _KEY_SIZES.get(data[kind + 1], 0)
    end = kind + 2 + key_size
    return end if key_size and end <= size else 0


def _read_name(
    data: bytes, pos: int, what: str, pattern: re.Pattern[str], known: dict[bytes, str]
) -> tuple[str, int]:
    if pos < len(data) and data[pos] < 0x80:
        end = pos + 1 + data[pos]
        name = known.get(data[pos:end])
        if name is not None:
            return name, end
    text, end = _read_text(data, pos, what, pattern)
    if len(known) < _CACHE_CAPACITY:
        known[data[pos:end]] = text
    return text, end


def _read_sender(data: bytes, pos: int) -> tuple[Sender, int]:
    kind = _take(data, pos, 1, "sender")[0]
    pos += 1
    if kind == SENDER_KEY:
        try:
            suite = Suite.from_wire_id(_take(data, pos, 1, "sender")[0])
        except ValueError as exc:
            raise MalformedTransactionError(reason=f"the sender: {exc}") from None
        size = suite.public_key_size
        raw = _take(data, pos + 1, size, "sender key")
        return Sender(_public_key(raw, suite)), pos + 1 + size
    if kind == SENDER_CERTIFICATE:
        length, pos = encoding.decode_uvarint(data, pos)
        if not 0 < length <= MAX_CERTIFICATE_BYTES:
            raise MalformedTransactionError(
                reason=f"a sender certificate is 1 to {MAX_CERTIFICATE_BYTES} bytes"
            )
        der = _take(data, pos, length, "sender certificate")
        return Sender(_certificate_key(der), der), pos + length
    raise MalformedTransactionError(
        reason=f"the sender kind {kind} is not 1 (key) or 2 (certificate)"
    )


def _public_key(raw: bytes, suite: Suite) -> PublicKey:
    try:
        return PublicKey(raw, suite)
    except ValueError as exc:
        raise MalformedTransactionError(reason=f"the sender key: {exc}") from None


def _certificate_key(der: bytes) -> PublicKey:
    # Only the key is read here; whether the certificate chains to a member organization,
    # and is valid at the block's time, is for execution to judge against state.
    try:
        return PublicKey.from_cryptography(x509.load_der_x509_certificate(der).public_key())
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise MalformedTransactionError(
            reason=f"the sender certificate cannot be read ({exc})"
        ) from None


def _take(data: bytes, pos: int, size: int, what: str) -> bytes:
    if pos + size > len(data):
        raise MalformedTransactionError(reason=f"the data ends inside the {what}")
    return data[pos : pos + size]


def _read_text(data: bytes, pos: int, what: str, pattern: re.Pattern[str]) -> tuple[str, int]:
    length, pos = encoding.decode_uvarint(data, pos)
    raw = _take(data, pos, length, what)
    text = raw.decode("ascii", errors="replace")
    if not pattern.fullmatch(text):
        raise MalformedTransactionError(reason=f"the {what} {text!r} is not allowed")
    return text, pos + length
