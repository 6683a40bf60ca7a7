"""FinalizeBlock's transaction results in protobuf wire form, written directly.

Building a `pb.ExecTxResult` with its events and attributes makes about ten protobuf objects per
transaction, only for the server to serialize them straight away: that was about a quarter of a
node's work on a block. These functions write the same bytes (fields in number order, as the
protobuf runtime writes them; the tests compare the two), which `ResponseFinalizeBlock`
then takes in with one parse in C.

    ExecTxResult: code 1 (varint), log 3, gas_wanted 5, gas_used 6, events 7, codespace 8
    Event:        type 1, attributes 2
    EventAttribute: key 1, value 2, index 3 (bool)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from cornerstone.encoding import encode_uvarint
from cornerstone.execution import TxResult
from cornerstone.module import Event

_INDEXED: Final = b"\x18\x01"
"""EventAttribute.index = true."""
_TX_RESULTS_TAG: Final = b"\x12"
"""ResponseFinalizeBlock.tx_results (field 2, length-delimited)."""

_attributes: dict[tuple[str, str], bytes] = {}
_ATTRIBUTES_CAPACITY: Final = 4096


def _field(tag: bytes, payload: bytes) -> bytes:
    return tag + encode_uvarint(len(payload)) + payload


def _attribute(key: str, value: str) -> bytes:
    encoded = _field(b"\x0a", key.encode()) if key else b""
    if value:
        encoded += _field(b"\x12", value.encode())
    return _field(b"\x12", encoded + _INDEXED)


def encode_event(event: Event) -> bytes:
    """An `abci.Event` (every attribute indexed), as a length-delimited field payload."""
    cache = _attributes
    parts = [_field(b"\x0a", event.type.encode())] if event.type else []
    for pair in event.attributes:
        encoded = cache.get(pair)
        if encoded is None:
            encoded = _attribute(*pair)
            # Names and small values repeat (module, operation, organization); digests do not.
            if len(pair[1]) <= 16 and len(cache) < _ATTRIBUTES_CAPACITY:
                cache[pair] = encoded
        parts.append(encoded)
    return b"".join(parts)


def encode_tx_result(result: TxResult) -> bytes:
    """An `abci.ExecTxResult`."""
    parts: list[bytes] = []
    if result.code:
        parts.append(b"\x08" + encode_uvarint(result.code))
    if result.log:
        parts.append(_field(b"\x1a", result.log.encode()))
    if result.gas_wanted:
        parts.append(b"\x28" + _int64(result.gas_wanted))
    if result.gas_used:
        parts.append(b"\x30" + _int64(result.gas_used))
    for event in result.events:
        parts.append(_field(b"\x3a", encode_event(event)))
    if result.codespace:
        parts.append(_field(b"\x42", result.codespace.encode()))
    return b"".join(parts)


def encode_tx_results(results: Iterable[TxResult]) -> bytes:
    """The `tx_results` fields of a `ResponseFinalizeBlock`."""
    return b"".join(_field(_TX_RESULTS_TAG, encode_tx_result(r)) for r in results)


def _int64(value: int) -> bytes:
    # Protobuf writes a negative int64 as its two's complement in ten bytes.
    return encode_uvarint(value if value >= 0 else value + (1 << 64))
