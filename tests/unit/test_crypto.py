"""Keys: signatures that verify only untouched, and key files only their owner can read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cornerstone.crypto import (
    P256_ORDER,
    SIGNATURE_SIZE,
    PrivateKey,
    PublicKey,
    Suite,
    load_key,
    save_key,
)
from cornerstone.errors import KeyFileError


def test_any_flipped_bit_of_a_signature_or_message_fails() -> None:
    key = PrivateKey.from_seed(b"\x01" * 32)
    message = b"transfer bill 42"
    signature = key.sign(message)
    assert key.public_key.verify(signature, message)
    for position in range(len(signature)):
        for bit in (0x01, 0x80):
            tampered = bytearray(signature)
            tampered[position] ^= bit
            assert not key.public_key.verify(bytes(tampered), message), (position, bit)
    assert not key.public_key.verify(signature, message + b"!")
    assert not key.public_key.verify(signature[:-1], message)
    assert not PrivateKey.generate().public_key.verify(signature, message)
    assert not PublicKey(b"\x00" * 32).verify(signature, message)


def test_key_files_are_private_and_round_trip(tmp_path: Path) -> None:
    key = PrivateKey.generate()
    path = tmp_path / "keys" / "org1.json"
    save_key(path, key, name="org1")
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_key(path).public_key == key.public_key
    assert key.seed().hex() not in repr(key)
    with pytest.raises(KeyFileError, match="already exists"):
        save_key(path, PrivateKey.generate(), name="org1")


def test_a_readable_or_foreign_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    save_key(path, PrivateKey.generate(), name="k")
    path.chmod(0o644)
    with pytest.raises(KeyFileError, match="chmod 600"):
        load_key(path)
    path.write_text('{"type": "something else"}')
    path.chmod(0o600)
    with pytest.raises(KeyFileError, match="not a Cornerstone key file"):
        load_key(path)
    with pytest.raises(KeyFileError, match="no such file"):
        load_key(tmp_path / "missing.json")


# ---------------------------------------------------------------------------- suites
P256_PRIME = 2**256 - 2**224 + 2**192 + 2**96 - 1
P256_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B


@pytest.mark.parametrize("suite", list(Suite))
def test_each_suite_signs_and_verifies_only_untouched(suite: Suite) -> None:
    key = PrivateKey.generate(suite)
    assert key.suite is suite and key.public_key.suite is suite
    message = b"transfer bill 42"
    signature = key.sign(message)
    assert len(signature) == suite.signature_size == SIGNATURE_SIZE
    assert len(key.public_key.raw) == suite.public_key_size
    assert key.public_key.verify(signature, message)
    assert not key.public_key.verify(signature, message + b"!")
    for position in (0, 31, 32, 63):
        tampered = bytearray(signature)
        tampered[position] ^= 0x01
        assert not key.public_key.verify(bytes(tampered), message), position
    assert not key.public_key.verify(signature[:-1], message)
    assert not key.public_key.verify(signature + b"\x00", message)
    assert not PrivateKey.generate(suite).public_key.verify(signature, message)
    assert PublicKey.from_cryptography(key.public_key.to_cryptography()) == key.public_key
    assert PublicKey(key.public_key.raw, suite) == key.public_key


def test_p256_signatures_are_low_s_and_high_s_is_refused() -> None:
    key = PrivateKey.generate(Suite.P256)
    for i in range(16):  # about half of raw ECDSA signatures are high-s before normalizing
        message = f"message {i}".encode()
        signature = key.sign(message)
        r, s = signature[:32], int.from_bytes(signature[32:], "big")
        assert 0 < s <= P256_ORDER // 2
        high_s = r + (P256_ORDER - s).to_bytes(32, "big")
        assert not key.public_key.verify(high_s, message)
        assert key.public_key.verify(signature, message)
    zero = b"\x00" * 64
    assert not key.public_key.verify(zero, b"m")


def _p256_x_off_the_curve() -> int:
    """The first x whose x^3 - 3x + b is not a square mod p (Euler's criterion): no point."""
    x = 1
    while pow(x**3 - 3 * x + P256_B, (P256_PRIME - 1) // 2, P256_PRIME) == 1:
        x += 1
    return x


@pytest.mark.parametrize(
    "raw",
    [
        b"\x02" + _p256_x_off_the_curve().to_bytes(32, "big"),
        b"\x02" + b"\xff" * 32,  # x is not below the field prime
        b"\x05" + b"\x01" * 32,  # not a compressed point's prefix
        b"\x04" + b"\x01" * 32,
        b"\x02" * 32,  # Ed25519's size
        b"\x02" * 65,  # uncompressed points are refused: one key, one encoding
    ],
)
def test_an_invalid_p256_public_key_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        PublicKey(raw, Suite.P256)


def test_sizes_and_suites_are_checked_when_a_key_is_made() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        PublicKey(b"\x01" * 33)
    with pytest.raises(ValueError):
        PublicKey(b"\x01" * 32, "rsa")  # type: ignore[arg-type]
    assert PublicKey(b"\x01" * 32, "ed25519").suite is Suite.ED25519  # type: ignore[arg-type]


def test_wire_ids_are_fixed_and_fingerprints_differ_between_suites() -> None:
    assert [(suite.value, suite.wire_id) for suite in Suite] == [("ed25519", 1), ("ecdsa-p256", 2)]
    assert Suite.from_wire_id(2) is Suite.P256
    for unknown in (0, 3, 255):
        with pytest.raises(ValueError, match="wire id"):
            Suite.from_wire_id(unknown)
    key = PrivateKey.from_seed(b"\x01" * 32).public_key
    assert key.fingerprint == hashlib.sha256(b"\x01" + key.raw).digest()
    p256 = PrivateKey.generate(Suite.P256).public_key
    assert p256.fingerprint == hashlib.sha256(b"\x02" + p256.raw).digest()
    assert key.fingerprint != p256.fingerprint


def test_from_cryptography_refuses_other_keys() -> None:
    with pytest.raises(ValueError, match="not a key of a supported suite"):
        PublicKey.from_cryptography(ec.generate_private_key(ec.SECP384R1()).public_key())
    with pytest.raises(ValueError, match="not a key of a supported suite"):
        PublicKey.from_cryptography(b"\x01" * 32)
    with pytest.raises(ValueError):
        PrivateKey(ec.generate_private_key(ec.SECP384R1()))


def test_only_an_ed25519_key_has_a_seed() -> None:
    key = PrivateKey.generate(Suite.P256)
    with pytest.raises(ValueError, match="no seed"):
        key.seed()
    assert repr(key) == f"PrivateKey(suite=ecdsa-p256, public_key={key.public_key.hex()})"


def test_p256_key_files_are_private_and_round_trip(tmp_path: Path) -> None:
    key = PrivateKey.generate(Suite.P256)
    path = tmp_path / "keys" / "p256.json"
    save_key(path, key, name="p256")
    assert path.stat().st_mode & 0o777 == 0o600
    document = json.loads(path.read_text())
    assert document["type"] == "cornerstone/ecdsa-p256"
    assert len(document["private_key"]) == 64
    assert document["private_key"] not in repr(key)
    loaded = load_key(path)
    assert loaded.suite is Suite.P256 and loaded.public_key == key.public_key
    assert key.public_key.verify(loaded.sign(b"m"), b"m")


def test_an_ed25519_key_file_keeps_its_format(tmp_path: Path) -> None:
    key = PrivateKey.from_seed(b"\x07" * 32)
    path = tmp_path / "k.json"
    save_key(path, key, name="k")
    assert json.loads(path.read_text()) == {
        "type": "cornerstone/ed25519",
        "name": "k",
        "public_key": key.public_key.hex(),
        "private_key": (b"\x07" * 32).hex(),
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"public_key": "02" + "11" * 32}, "does not match"),
        ({"type": "cornerstone/ed25519"}, "does not match"),  # a P-256 scalar as a seed
        ({"private_key": "00" * 32}, "not a Cornerstone key file"),  # zero is no P-256 key
        ({"private_key": f"{P256_ORDER:064x}"}, "not a Cornerstone key file"),  # nor is n
        ({"private_key": "ab" * 31}, "not a Cornerstone key file"),
        ({"type": "cornerstone/sm2"}, "not a Cornerstone key file"),
    ],
)
def test_a_damaged_p256_key_file_is_refused(
    tmp_path: Path, change: dict[str, str], reason: str
) -> None:
    path = tmp_path / "k.json"
    save_key(path, PrivateKey.generate(Suite.P256), name="k")
    document = json.loads(path.read_text()) | change
    path.write_text(json.dumps(document))
    with pytest.raises(KeyFileError, match=reason):
        load_key(path)
