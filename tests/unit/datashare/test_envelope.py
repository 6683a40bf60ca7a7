"""Encryption, key wrapping and encryption key files: each version gets a fresh key and nonce,
the ciphertext is bound to its dataset and version, and keys never show themselves."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from cornerstone.datashare import (
    DataKey,
    EncryptionKey,
    decrypt,
    encrypt,
    load_encryption_key,
    save_encryption_key,
)
from cornerstone.datashare.envelope import HEADER_SIZE, MAGIC
from cornerstone.datashare.errors import DecryptionError, EncryptionKeyFileError, UnwrapError
from cornerstone.modules.datashare.messages import WRAPPED_KEY_SIZE

DATASET = b"d" * 16
DATA = b"confidential rows\n" * 10


def test_a_round_trip_binds_dataset_and_version() -> None:
    sealed = encrypt(DATA, dataset=DATASET, version=1)
    assert sealed.ciphertext.startswith(MAGIC) and DATA not in sealed.ciphertext
    assert sealed.size == len(DATA)
    assert decrypt(sealed.ciphertext, sealed.key, dataset=DATASET, version=1) == DATA
    with pytest.raises(DecryptionError, match="step 5"):
        decrypt(sealed.ciphertext, sealed.key, dataset=DATASET, version=2)
    with pytest.raises(DecryptionError):
        decrypt(sealed.ciphertext, sealed.key, dataset=b"e" * 16, version=1)


def test_each_encryption_has_a_fresh_key_and_nonce() -> None:
    one = encrypt(DATA, dataset=DATASET, version=1)
    two = encrypt(DATA, dataset=DATASET, version=1)
    assert one.key.secret() != two.key.secret()
    assert one.ciphertext[:HEADER_SIZE] != two.ciphertext[:HEADER_SIZE]
    assert one.content_hash == two.content_hash and one.cipher_hash != two.cipher_hash


@pytest.mark.parametrize("where", [0, HEADER_SIZE - 1, HEADER_SIZE + 3, -1])
def test_a_tampered_ciphertext_does_not_decrypt(where: int) -> None:
    sealed = encrypt(DATA, dataset=DATASET, version=1)
    broken = bytearray(sealed.ciphertext)
    broken[where] ^= 0x01
    with pytest.raises(DecryptionError) as refused:
        decrypt(bytes(broken), sealed.key, dataset=DATASET, version=1)
    assert sealed.key.secret().hex() not in refused.value.message


def test_a_wrong_key_does_not_decrypt() -> None:
    sealed = encrypt(DATA, dataset=DATASET, version=1)
    with pytest.raises(DecryptionError, match="tag does not match"):
        decrypt(sealed.ciphertext, DataKey.generate(), dataset=DATASET, version=1)


def test_a_wrapped_key_opens_only_for_its_recipient() -> None:
    key = DataKey.generate()
    alice, mallory = EncryptionKey.generate(), EncryptionKey.generate()
    wrapped = key.wrap_for(alice.public_key)
    assert len(wrapped) == WRAPPED_KEY_SIZE and key.secret() not in wrapped
    assert alice.unwrap(wrapped).secret() == key.secret()
    with pytest.raises(UnwrapError, match="step 4"):
        mallory.unwrap(wrapped)
    with pytest.raises(UnwrapError):
        alice.unwrap(wrapped[:-1] + bytes([wrapped[-1] ^ 1]))


def test_keys_do_not_show_themselves() -> None:
    key = DataKey.generate()
    pair = EncryptionKey.generate()
    for text in (repr(key), str(key), repr(pair)):
        assert key.secret().hex() not in text
        assert bytes(pair._private).hex() not in text


def test_key_files_are_private_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "enc" / "org1.json"
    pair = EncryptionKey.generate()
    save_encryption_key(path, pair, name="org1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_encryption_key(path).public_key == pair.public_key
    with pytest.raises(EncryptionKeyFileError, match="exists"):
        save_encryption_key(path, pair, name="org1")
    path.chmod(0o644)
    with pytest.raises(EncryptionKeyFileError, match="chmod 600"):
        load_encryption_key(path)
    path.chmod(0o600)
    path.write_text('{"type": "cornerstone/ed25519"}')
    with pytest.raises(EncryptionKeyFileError, match="not a Cornerstone encryption key"):
        load_encryption_key(path)
    with pytest.raises(EncryptionKeyFileError, match="no such file"):
        load_encryption_key(tmp_path / "missing.json")
