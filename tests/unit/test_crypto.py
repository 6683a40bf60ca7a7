"""Keys: signatures that verify only untouched, and key files only their owner can read."""

from __future__ import annotations

from pathlib import Path

import pytest

from cornerstone.crypto import PrivateKey, PublicKey, load_key, save_key
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
