"""The canonical value encoding: round trips, and refusal of every other byte form."""

from __future__ import annotations

import pytest

from cornerstone import encoding
from cornerstone.encoding import DecodeError, decode, decode_uvarint, encode, encode_uvarint

VALUES: list[encoding.Value] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    127,
    128,
    2**64,
    -(2**200),
    b"",
    b"\x00\xff",
    "",
    "héllo ✓",
    [],
    [1, "a", b"b", None, [True]],
    {},
    {"b": 1, "a": {"nested": [1, 2]}, "": None},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_round_trip(value: encoding.Value) -> None:
    assert decode(encode(value)) == value
    assert encode(decode(encode(value))) == encode(value)


def test_map_order_does_not_change_the_bytes() -> None:
    assert encode({"a": 1, "b": 2}) == encode({"b": 2, "a": 1})


def test_tuples_encode_as_lists() -> None:
    assert encode((1, 2)) == encode([1, 2])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "ends where a value should start"),
        (b"\x08", "unknown value tag"),
        (b"\x00\x00", "follow the value"),
        (b"\x03\x01\x00", "negative zero"),
        (b"\x03\x02\x01", "sign byte"),
        (b"\x03\x00\x81\x00", "shortest form"),
        (b"\x04\x05ab", "ends inside a byte string"),
        (b"\x05\x01\xff", "not valid UTF-8"),
        (b"\x07\x02\x01b\x00\x01a\x00", "strictly increasing"),
        (b"\x07\x02\x01a\x00\x01a\x00", "strictly increasing"),
        (b"\x06\xff\xff\x03", "more items than there are bytes"),
        (b"\x06\x01" * 40 + b"\x00", "nest deeper"),
    ],
)
def test_non_canonical_bytes_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(DecodeError, match=reason):
        decode(data)


def test_unencodable_values_are_refused() -> None:
    with pytest.raises(TypeError):
        encode(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        encode({1: 2})  # type: ignore[dict-item]


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 2**63])
def test_uvarint_round_trip(n: int) -> None:
    raw = encode_uvarint(n)
    assert decode_uvarint(raw, 0) == (n, len(raw))


@pytest.mark.parametrize("n", [0, 1, 127, 128, 300, 2**63, -1, -128, -(2**70)])
def test_int_fast_path_is_the_general_encoding(n: int) -> None:
    assert encoding.encode_int(n) == encode(n)
    assert encoding.decode_int(encode(n)) == n


@pytest.mark.parametrize("data", [encode("7"), encode(True), b"\x03\x00\x80\x00", b"\x03\x01\x00"])
def test_int_fast_path_refuses_what_decode_refuses(data: bytes) -> None:
    with pytest.raises(DecodeError):
        encoding.decode_int(data)
