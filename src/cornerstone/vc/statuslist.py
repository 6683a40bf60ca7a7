"""Bitstring Status List v1.0: a credential's status is one bit of a long, compressed
bitstring its issuer publishes, at the index the credential names.

The first index is the left-most bit: index i is bit 7 - i % 8 of byte i // 8. The bitstring is
GZIP-compressed and multibase-base64url encoded (`encodedList`), and is at least 16 KiB (131,072
entries) so that one credential's index reveals little about which credential is being checked.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterable
from typing import Final

from cornerstone.vc.multibase import decode_base64url, encode_base64url

LIST_SIZE: Final = 131_072
"""Entries of each list: the specification's minimum, for herd privacy."""
MAX_LIST_BYTES: Final = 16 * 1024 * 1024
"""Largest bitstring accepted when decoding, so a hostile list cannot exhaust memory."""
PURPOSES: Final = ("revocation", "suspension")


def encode_list(set_bits: Iterable[int], size: int = LIST_SIZE) -> str:
    """The `encodedList` of a bitstring of `size` bits with `set_bits` set to 1."""
    if size % 8:
        raise ValueError("a status list holds a whole number of bytes")
    bits = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise ValueError(f"index {index} is outside a list of {size} entries")
        bits[index // 8] |= 0x80 >> (index % 8)
    # mtime=0: the same bits always give the same bytes, whichever node answers.
    return encode_base64url(gzip.compress(bytes(bits), mtime=0))


def decode_list(encoded: str) -> bytes:
    """The bitstring of an `encodedList`; ValueError when it is not one."""
    try:
        compressed = decode_base64url(encoded)
        decompressor = gzip.GzipFile(fileobj=io.BytesIO(compressed))
        bits = decompressor.read(MAX_LIST_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise ValueError(f"the encodedList is not GZIP data ({exc})") from None
    if len(bits) > MAX_LIST_BYTES:
        raise ValueError("the status list is larger than this verifier accepts")
    return bits


def bit(bits: bytes, index: int) -> bool:
    """The status at `index`; ValueError when the list is shorter."""
    if not 0 <= index < len(bits) * 8:
        raise ValueError(f"index {index} is outside a list of {len(bits) * 8} entries")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))
