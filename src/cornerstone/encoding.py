"""Canonical binary encoding: one byte form for every value, and strict decoding that refuses
any other form.

Varints are unsigned LEB128 in their shortest form. A value is a tag byte and a payload:

    0x00 None       0x01 False      0x02 True
    0x03 int        sign byte (0x00 non-negative, 0x01 negative) + varint magnitude;
                    negative zero is not canonical
    0x04 bytes      varint length + raw bytes
    0x05 str        varint length + UTF-8
    0x06 list       varint count + values         (tuples encode as lists)
    0x07 map        varint count + (str key, value) pairs, keys strictly increasing by their
                    UTF-8 bytes, so a map has one order and no duplicate key

This is the encoding of transaction arguments, state records and events alike, so a record's
bytes (and therefore the app hash) never depend on insertion order or on a library's choices.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeAlias, cast

Value: TypeAlias = "bool | int | bytes | str | Sequence[Value] | Mapping[str, Value] | None"

MAX_DEPTH = 32
"""Deepest nesting of lists and maps accepted, so hostile input cannot exhaust the stack."""

_NONE, _FALSE, _TRUE, _INT, _BYTES, _STR, _LIST, _MAP = range(8)
_SMALL = tuple(bytes((n,)) for n in range(0x80))
"""The one-byte varints, made once."""


class DecodeError(ValueError):
    """The bytes are not the canonical encoding of a value."""


# ---------------------------------------------------------------------------- varints
def encode_uvarint(n: int) -> bytes:
    if 0 <= n < 0x80:
        return _SMALL[n]
    if n < 0:
        raise ValueError("a varint is never negative")
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_uvarint(data: bytes, pos: int, *, max_bytes: int = 10) -> tuple[int, int]:
    """Read a shortest-form varint at `pos`; return (value, next position)."""
    end = len(data)
    if pos < end:
        first = data[pos]
        if first < 0x80:  # one byte: most lengths and counts
            return first, pos + 1
        if pos + 1 < end and max_bytes >= 2:
            second = data[pos + 1]
            if 0 < second < 0x80:  # two bytes: frame lengths, nonces of a busy sender
                return (first & 0x7F) | (second << 7), pos + 2
    result = 0
    shift = 0
    for i in range(max_bytes):
        if pos + i >= len(data):
            raise DecodeError("the data ends inside a varint")
        byte = data[pos + i]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            if byte == 0 and i > 0:
                raise DecodeError("a varint is not in its shortest form")
            return result, pos + i + 1
        shift += 7
    raise DecodeError(f"a varint is longer than {max_bytes} bytes")


# ---------------------------------------------------------------------------- values
def encode(value: Value) -> bytes:
    """The canonical bytes of `value`."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


def _encode(value: Value, out: bytearray, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"values nest deeper than {MAX_DEPTH} levels")
    # Exact types first: this runs for every record a block writes.
    kind = type(value)
    if kind is bytes:
        blob = cast(bytes, value)
        out.append(_BYTES)
        out += encode_uvarint(len(blob))
        out += blob
        return
    if kind is str:
        raw = cast(str, value).encode("utf-8")
        out.append(_STR)
        out += encode_uvarint(len(raw))
        out += raw
        return
    if kind is int:
        number = cast(int, value)
        out.append(_INT)
        out.append(1 if number < 0 else 0)
        out += encode_uvarint(abs(number))
        return
    if kind is dict:  # records: not through the slow isinstance(value, Mapping)
        record = cast(dict[str, Value], value)
        out.append(_MAP)
        out += encode_uvarint(len(record))
        for key, item in sorted(record.items()):
            if type(key) is not str:
                raise TypeError("map keys must be strings")
            out += _map_key(key)
            # The scalar fields of a record inline, without a call each.
            item_kind = type(item)
            if item_kind is bytes:
                blob = cast(bytes, item)
                out.append(_BYTES)
                out += encode_uvarint(len(blob))
                out += blob
            elif item_kind is int and 0 <= cast(int, item) < 0x80:
                out += _INT_SMALL[cast(int, item)]
            else:
                _encode(item, out, depth + 1)
        return
    if value is None:
        out.append(_NONE)
    elif value is True:
        out.append(_TRUE)
    elif value is False:
        out.append(_FALSE)
    elif isinstance(value, int):
        out.append(_INT)
        out.append(1 if value < 0 else 0)
        out += encode_uvarint(abs(value))
    elif isinstance(value, bytes):
        out.append(_BYTES)
        out += encode_uvarint(len(value))
        out += value
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        out.append(_STR)
        out += encode_uvarint(len(raw))
        out += raw
    elif isinstance(value, Mapping):
        # Python orders str by code point, which is the order of their UTF-8 bytes.
        out.append(_MAP)
        out += encode_uvarint(len(value))
        for key, item in sorted(value.items()):
            if type(key) is not str:
                raise TypeError("map keys must be strings")
            out += _map_key(key)
            _encode(item, out, depth + 1)
    elif isinstance(value, (list, tuple)):
        out.append(_LIST)
        out += encode_uvarint(len(value))
        for item in value:
            _encode(item, out, depth + 1)
    else:
        raise TypeError(f"cannot encode a value of type {type(value).__name__}")


_KEYS: dict[str, bytes] = {}
_KEYS_CAPACITY = 4096


def _map_key(key: str) -> bytes:
    """A map key's length-prefixed UTF-8, kept for the field names every record repeats."""
    encoded = _KEYS.get(key)
    if encoded is None:
        raw = key.encode("utf-8")
        encoded = encode_uvarint(len(raw)) + raw
        if len(_KEYS) < _KEYS_CAPACITY:
            _KEYS[key] = encoded
    return encoded


def encode_int(number: int) -> bytes:
    """`encode(number)` for an int, without the dispatch: counters are written for every
    transaction."""
    if 0 <= number < 0x80:
        return _INT_SMALL[number]
    return (_INT_NEGATIVE if number < 0 else _INT_POSITIVE) + encode_uvarint(abs(number))


def decode_int(data: bytes) -> int:
    """`decode(data)` where the value must be an int; DecodeError otherwise."""
    if len(data) >= 3 and data[0] == _INT and data[1] == 0:
        # A non-negative integer (nonces, times): read the varint straight; any other form
        # falls through to `decode` and its error.
        if data[2] < 0x80:
            if len(data) == 3:
                return data[2]
        else:
            magnitude, end = decode_uvarint(data, 2, max_bytes=40)
            if end == len(data):
                return magnitude
    value = decode(data)
    if type(value) is not int:
        raise DecodeError("the value is not an integer")
    return value


_INT_POSITIVE = bytes((_INT, 0))
_INT_NEGATIVE = bytes((_INT, 1))
_INT_SMALL = tuple(_INT_POSITIVE + _SMALL[n] for n in range(0x80))


def decode(data: bytes) -> Value:
    """The value whose canonical encoding is exactly `data`; DecodeError otherwise."""
    value, pos = _decode(data, 0, 0)
    if pos != len(data):
        raise DecodeError(f"{len(data) - pos} bytes follow the value")
    return value


def _decode(data: bytes, pos: int, depth: int) -> tuple[Value, int]:
    if depth > MAX_DEPTH:
        raise DecodeError(f"values nest deeper than {MAX_DEPTH} levels")
    if pos >= len(data):
        raise DecodeError("the data ends where a value should start")
    tag = data[pos]
    pos += 1
    if tag == _NONE:
        return None, pos
    if tag == _FALSE:
        return False, pos
    if tag == _TRUE:
        return True, pos
    if tag == _INT:
        if pos >= len(data):
            raise DecodeError("the data ends inside an integer")
        sign = data[pos]
        if sign > 1:
            raise DecodeError("an integer's sign byte is neither 0 nor 1")
        magnitude, pos = decode_uvarint(data, pos + 1, max_bytes=40)
        if sign and magnitude == 0:
            raise DecodeError("negative zero is not canonical")
        return (-magnitude if sign else magnitude), pos
    if tag in (_BYTES, _STR):
        raw, pos = _read_bytes(data, pos)
        if tag == _BYTES:
            return raw, pos
        try:
            return raw.decode("utf-8"), pos
        except UnicodeDecodeError:
            raise DecodeError("a string is not valid UTF-8") from None
    if tag == _LIST:
        count, pos = decode_uvarint(data, pos)
        if count > len(data) - pos:
            raise DecodeError("a list claims more items than there are bytes")
        items: list[Value] = []
        for _ in range(count):
            item, pos = _decode(data, pos, depth + 1)
            items.append(item)
        return items, pos
    if tag == _MAP:
        count, pos = decode_uvarint(data, pos)
        if count > len(data) - pos:
            raise DecodeError("a map claims more entries than there are bytes")
        result: dict[str, Value] = {}
        previous: bytes | None = None
        for _ in range(count):
            key, pos = _read_bytes(data, pos)
            if previous is not None and key <= previous:
                raise DecodeError("map keys are not in strictly increasing order")
            previous = key
            try:
                name = key.decode("utf-8")
            except UnicodeDecodeError:
                raise DecodeError("a map key is not valid UTF-8") from None
            result[name], pos = _decode(data, pos, depth + 1)
        return result, pos
    raise DecodeError(f"unknown value tag {tag}")


def _read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    length, pos = decode_uvarint(data, pos)
    end = pos + length
    if end > len(data):
        raise DecodeError("the data ends inside a byte string")
    return data[pos:end], end
