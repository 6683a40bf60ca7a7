"""Multibase and Multikey encodings the W3C specifications use: base58btc ("z..."), base64url
without padding ("u..."), and Multikey public keys (a multicodec header, then the key).

base58btc is a few lines, so it is written here rather than pinned as a dependency.
"""

from __future__ import annotations

import base64
from typing import Final

from cornerstone.crypto import PublicKey, Suite

BASE58_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX: Final = {char: index for index, char in enumerate(BASE58_ALPHABET)}
BASE58BTC: Final = "z"
BASE64URL: Final = "u"

MULTICODEC_HEADERS: Final = {
    Suite.ED25519: b"\xed\x01",  # ed25519-pub, varint 0xed
    Suite.P256: b"\x80\x24",  # p256-pub, varint 0x1200 (compressed point)
}
"""The multicodec prefix of each suite's public key in a Multikey."""


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\x00"))
    number = int.from_bytes(data, "big")
    chars: list[str] = []
    while number:
        number, rest = divmod(number, 58)
        chars.append(BASE58_ALPHABET[rest])
    return "1" * zeros + "".join(reversed(chars))


def b58decode(text: str) -> bytes:
    """The bytes of base58btc `text`; ValueError for a character outside the alphabet."""
    number = 0
    for char in text:
        digit = _BASE58_INDEX.get(char)
        if digit is None:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * zeros + body


def encode_base58btc(data: bytes) -> str:
    """Multibase base58btc: "z" and the base58 text."""
    return BASE58BTC + b58encode(data)


def decode_base58btc(text: str) -> bytes:
    if not text.startswith(BASE58BTC):
        raise ValueError("a base58btc multibase value starts with 'z'")
    return b58decode(text[1:])


def encode_base64url(data: bytes) -> str:
    """Multibase base64url without padding: "u" and the text."""
    return BASE64URL + base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def decode_base64url(text: str) -> bytes:
    if not text.startswith(BASE64URL):
        raise ValueError("a base64url multibase value starts with 'u'")
    body = text[1:]
    if "=" in body:
        raise ValueError("multibase base64url has no padding")
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError as exc:
        raise ValueError(f"it is not base64url ({exc})") from None


def encode_multikey(key: PublicKey) -> str:
    """publicKeyMultibase of a Multikey verification method."""
    return encode_base58btc(MULTICODEC_HEADERS[key.suite] + key.raw)


def decode_multikey(text: str) -> PublicKey:
    """The public key of a publicKeyMultibase value; ValueError when it is none we know."""
    raw = decode_base58btc(text)
    for suite, header in MULTICODEC_HEADERS.items():
        if raw.startswith(header):
            return PublicKey(raw[len(header) :], suite)
    raise ValueError("the Multikey is neither an Ed25519 nor a P-256 public key")
