"""What block execution does with Umbral threshold proxy re-encryption (umbral-pre, pinned):
parse public keys and capsules, and verify a capsule fragment. Only deterministic checks live
here; generating keys, capsules, key fragments and capsule fragments (all random) is the
clients' and the proxies' work (`cornerstone.datashare.delegation`, `...proxy`).

Byte forms of umbral-pre 0.11 (fixed sizes; the node pins the library, so they do not move):

    public key        33 bytes, compressed secp256k1 point
    capsule          105 bytes
    key ciphertext    72 bytes: the 32-byte data key under the capsule's key (with nonce, tag)
    key fragment     310 bytes; its id is bytes 39..71
    capsule fragment 381 bytes; the id of the key fragment it came from is bytes 73..105
"""

from __future__ import annotations

from typing import Final

import umbral_pre

PUBLIC_KEY_SIZE: Final = 33
CAPSULE_SIZE: Final = 105
KEY_CIPHERTEXT_SIZE: Final = 72
KFRAG_SIZE: Final = 310
CFRAG_SIZE: Final = 381
KFRAG_ID_SIZE: Final = 32
_KFRAG_ID_AT: Final = 39
"""msgpack: array(5) | array(1) | bin8(33) params | bin8(32) id | ..."""
_CFRAG_ID_AT: Final = 73
"""msgpack: array(5) | bin8(33) e1 | bin8(33) v1 | bin8(32) kfrag id | ..."""
_BIN32: Final = b"\xc4\x20"
VERIFICATION_ERROR: Final[type[Exception]] = umbral_pre.VerificationError  # type: ignore[attr-defined]
"""Raised by a failed verification; the library's stubs leave it out."""
CFRAG_VERIFY_GAS: Final = 200_000
"""A capsule fragment's proof check is a handful of secp256k1 multiplications: about 0.9 ms
here, some ten Ed25519 signature checks (`did.verify.SIGNATURE_GAS` is 20 000)."""


def public_key(raw: bytes) -> umbral_pre.PublicKey:
    """The key, or ValueError when the bytes are not a point of the curve."""
    if len(raw) != PUBLIC_KEY_SIZE:
        raise ValueError(f"an Umbral public key is {PUBLIC_KEY_SIZE} bytes")
    try:
        return umbral_pre.PublicKey.from_compressed_bytes(raw)
    except (ValueError, TypeError):
        raise ValueError("not an Umbral public key (a compressed secp256k1 point)") from None


def capsule(raw: bytes) -> umbral_pre.Capsule:
    if len(raw) != CAPSULE_SIZE:
        raise ValueError(f"a capsule is {CAPSULE_SIZE} bytes")
    try:
        return umbral_pre.Capsule.from_bytes(raw)
    except (ValueError, TypeError):
        raise ValueError("not an Umbral capsule") from None


def kfrag_id(raw: bytes) -> bytes:
    """The id of a serialized key fragment (ValueError if it is not one)."""
    if len(raw) != KFRAG_SIZE or raw[_KFRAG_ID_AT - 2 : _KFRAG_ID_AT] != _BIN32:
        raise ValueError("not an Umbral key fragment")
    return raw[_KFRAG_ID_AT : _KFRAG_ID_AT + KFRAG_ID_SIZE]


def cfrag_kfrag_id(raw: bytes) -> bytes:
    """The id of the key fragment a serialized capsule fragment was made with."""
    if len(raw) != CFRAG_SIZE or raw[_CFRAG_ID_AT - 2 : _CFRAG_ID_AT] != _BIN32:
        raise ValueError("not an Umbral capsule fragment")
    return raw[_CFRAG_ID_AT : _CFRAG_ID_AT + KFRAG_ID_SIZE]


def cfrag_verifies(
    raw: bytes,
    *,
    capsule_bytes: bytes,
    verifying_key: bytes,
    delegating_key: bytes,
    receiving_key: bytes,
) -> bool:
    """Whether `raw` is a correct re-encryption of the capsule with a key fragment the owner
    (`verifying_key`) signed for this delegating and receiving key. Pure arithmetic on the
    inputs: the same answer on every node."""
    try:
        umbral_pre.CapsuleFrag.from_bytes(raw).verify(
            capsule(capsule_bytes),
            public_key(verifying_key),
            public_key(delegating_key),
            public_key(receiving_key),
        )
    except (ValueError, TypeError, VERIFICATION_ERROR):
        return False
    return True
