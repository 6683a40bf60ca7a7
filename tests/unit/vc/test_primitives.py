"""The building blocks of credentials, each against published values: JCS (RFC 8785's own
examples, and the independent `rfc8785` package on many values), base58btc and Multikey,
Bitstring Status List encoding, and dateTime text."""

from __future__ import annotations

import gzip
import random
from decimal import Decimal
from typing import Any

import pytest
import rfc8785

from cornerstone.crypto import PrivateKey, Suite
from cornerstone.vc import jcs
from cornerstone.vc.multibase import (
    b58decode,
    b58encode,
    decode_base64url,
    decode_multikey,
    encode_base64url,
    encode_multikey,
)
from cornerstone.vc.statuslist import LIST_SIZE, bit, decode_list, encode_list
from cornerstone.vc.times import from_text, to_text


# ---------------------------------------------------------------------------- JCS
@pytest.mark.parametrize(
    ("number", "text"),
    [
        # RFC 8785, Appendix B (ECMAScript number serialization samples)
        (0.0, "0"),
        (-0.0, "0"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740992.0, "9007199254740992"),
        (295147905179352830000.0, "295147905179352830000"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (123456789012345680000.0, "123456789012345680000"),
        (333333333.3333333, "333333333.3333333"),
        (4.5, "4.5"),
        (2e-3, "0.002"),
        (Decimal("1.5"), "1.5"),
    ],
)
def test_numbers_serialize_as_ecmascript_does(number: float | Decimal, text: str) -> None:
    assert jcs.canonicalize(number) == text.encode()


def test_the_rfc_example_canonicalizes_to_its_published_bytes() -> None:
    """RFC 8785 section 3.2.2, the example and its canonical form."""
    value = {
        "numbers": [333333333.33333329, 1e30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
        "literals": [None, True, False],
    }
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert jcs.canonicalize(value) == expected.encode()


def test_members_sort_by_utf16_code_units() -> None:
    """RFC 8785 section 3.2.3's sorting example."""
    value = {
        "\u20ac": "Euro",
        "\r": "CR",
        "\ufb33": "Hebrew",
        "1": "One",
        "\U0001f600": "Smiley",
        "\u0080": "Control",
        "\u00f6": "Latin",
    }
    order = [name for name in jcs.canonicalize(value).decode().split('"')[1::4]]
    assert order == ["\\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_jcs_agrees_with_an_independent_implementation() -> None:
    rng = random.Random(8785)

    def value(depth: int) -> Any:
        kind = rng.randrange(8 if depth < 4 else 5)
        if kind == 0:
            return rng.choice([None, True, False])
        if kind == 1:
            return rng.randrange(-(2**53) + 1, 2**53)
        if kind == 2:
            return rng.uniform(-1e6, 1e6) * 10 ** rng.randrange(-30, 30)
        if kind in (3, 4):
            return "".join(
                chr(
                    rng.choice(
                        [
                            rng.randrange(0, 0x80),
                            rng.randrange(0x80, 0xD800),
                            rng.randrange(0xE000, 0x110000),
                        ]
                    )
                )
                for _ in range(rng.randrange(8))
            )
        if kind == 5:
            return [value(depth + 1) for _ in range(rng.randrange(4))]
        return {str(value(3)): value(depth + 1) for _ in range(rng.randrange(5))}

    for _ in range(500):
        sample = {"v": value(0)}
        assert jcs.canonicalize(sample) == rfc8785.dumps(sample)


def test_jcs_refuses_what_json_cannot_carry_exactly() -> None:
    for bad in (float("nan"), float("inf"), 2**53, b"bytes", {1: "x"}):
        with pytest.raises(ValueError):
            jcs.canonicalize(bad)


# ---------------------------------------------------------------------------- multibase
def test_base58btc_matches_known_values() -> None:
    assert b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert b58encode(b"\x00\x00\x01") == "112"
    assert b58encode(b"") == ""
    assert b58decode("2NEpo7TZRRrLZSi2U") == b"Hello World!"
    assert b58decode("112") == b"\x00\x00\x01"
    with pytest.raises(ValueError):
        b58decode("0OIl")


def test_multikeys_round_trip_and_match_the_w3c_example_key() -> None:
    # The public key of the vc-di-eddsa test vectors (TestVectors/keyPair.json).
    published = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
    key = decode_multikey(published)
    assert key.suite is Suite.ED25519 and encode_multikey(key) == published
    p256 = PrivateKey.generate(Suite.P256).public_key
    assert (
        encode_multikey(p256).startswith("zDn") and decode_multikey(encode_multikey(p256)) == p256
    )
    with pytest.raises(ValueError):
        decode_multikey("z" + b58encode(b"\x12\x00" + bytes(32)))


def test_base64url_has_no_padding() -> None:
    assert encode_base64url(b"\xff\xfe") == "u__4"
    assert decode_base64url("u__4") == b"\xff\xfe"
    with pytest.raises(ValueError):
        decode_base64url("u__4=")


# ---------------------------------------------------------------------------- status lists
def test_index_zero_is_the_left_most_bit_of_a_16_kib_gzip_list() -> None:
    encoded = encode_list([0, 9, LIST_SIZE - 1])
    raw = gzip.decompress(decode_base64url(encoded))
    assert len(raw) == LIST_SIZE // 8 == 16 * 1024
    assert raw[0] == 0x80 and raw[1] == 0x40 and raw[-1] == 0x01
    bits = decode_list(encoded)
    assert [i for i in (0, 1, 8, 9, LIST_SIZE - 1) if bit(bits, i)] == [0, 9, LIST_SIZE - 1]
    assert encode_list([9, 0, LIST_SIZE - 1]) == encoded  # same bits, same bytes
    with pytest.raises(ValueError):
        bit(bits, LIST_SIZE)
    with pytest.raises(ValueError):
        encode_list([LIST_SIZE])
    with pytest.raises(ValueError):
        decode_list("u" + "A" * 20)


# ---------------------------------------------------------------------------- times
def test_datetimes_convert_exactly() -> None:
    assert to_text(1_767_225_600 * 10**9 + 5) == "2026-01-01T00:00:00Z"
    assert from_text("2026-01-01T00:00:00Z") == 1_767_225_600 * 10**9
    assert from_text("2026-01-01T01:00:00.5+01:00") == 1_767_225_600 * 10**9 + 5 * 10**8
    for bad in ("2026-01-01T00:00:00", "2026-13-01T00:00:00Z", "yesterday"):
        with pytest.raises(ValueError):
            from_text(bad)
