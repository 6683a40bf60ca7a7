"""The transaction envelope: one byte form per transaction; every malformed field refused."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from cornerstone import encoding
from cornerstone.crypto import PrivateKey, Suite
from cornerstone.errors import (
    MalformedTransactionError,
    NonCanonicalError,
    OversizedTransactionError,
    TransactionError,
    UnsupportedVersionError,
)
from cornerstone.identity.roles import Role
from cornerstone.tx import SIGNING_DOMAIN, decode_transaction, signing_hash
from tests.conftest import make_tx, member_certificate


def test_round_trip_keeps_every_field(alice: PrivateKey) -> None:
    tx = make_tx(alice, 7, args={"digest": b"\x01" * 32, "metadata": {"title": "bill"}})
    decoded = decode_transaction(tx.encode())
    assert decoded == tx
    assert decoded.encode() == tx.encode()
    assert decoded.hash == hashlib.sha256(tx.encode()).digest()


def test_senders_of_every_kind_round_trip() -> None:
    p256 = PrivateKey.generate(Suite.P256)
    by_key = make_tx(p256, 3)
    assert decode_transaction(by_key.encode()) == by_key
    assert by_key.sender.public_key.suite is Suite.P256
    assert p256.public_key.verify(by_key.signature, by_key.signing_hash)
    ed = PrivateKey.generate()
    certificate = member_certificate("org1", ed, Role.CLIENT)
    by_certificate = make_tx(ed, 0, certificate=certificate)
    decoded = decode_transaction(by_certificate.encode())
    assert decoded == by_certificate
    assert decoded.sender.certificate == certificate
    assert decoded.sender.id == ed.public_key.fingerprint


def test_signature_is_over_the_domain_separated_body(alice: PrivateKey) -> None:
    tx = make_tx(alice, 0)
    body = tx.encode()[:-64]
    assert tx.signing_hash == hashlib.sha256(SIGNING_DOMAIN + body).digest()
    assert alice.public_key.verify(tx.signature, tx.signing_hash)
    assert not alice.public_key.verify(tx.signature, hashlib.sha256(body).digest())


def _corrupt(raw: bytes, at: int, new: bytes, *, drop: int = 1) -> bytes:
    return raw[:at] + new + raw[at + drop :]


def test_each_malformed_field_is_refused(alice: PrivateKey) -> None:
    raw = make_tx(alice, 0).encode()
    chain_len = raw[1]
    sender_at = 2 + chain_len
    nonce_at = sender_at + 2 + 32  # kind, suite, Ed25519 key
    cases: list[tuple[bytes, type[TransactionError]]] = [
        (b"", MalformedTransactionError),
        (b"\x02" + raw[1:], UnsupportedVersionError),
        (raw[:1] + b"\x03ABC" + raw[2 + chain_len :], MalformedTransactionError),  # chain id
        (raw[:10], MalformedTransactionError),  # cut in the sender key
        (_corrupt(raw, sender_at, b"\x03"), MalformedTransactionError),  # unknown sender kind
        (_corrupt(raw, sender_at + 1, b"\x09"), MalformedTransactionError),  # unknown suite
        (_corrupt(raw, sender_at, b"\x02\x00", drop=2), MalformedTransactionError),  # empty cert
        (_corrupt(raw, sender_at, b"\x02\x81\x40", drop=2), MalformedTransactionError),  # 8 KiB
        (_corrupt(raw, sender_at, b"\x02\x05", drop=2), MalformedTransactionError),  # not DER
        (_corrupt(raw, nonce_at, b"\x80\x00"), NonCanonicalError),  # nonce not shortest
        (raw + b"\x00", MalformedTransactionError),  # trailing byte
        (raw[:-1], MalformedTransactionError),  # short signature
    ]
    for data, error in cases:
        with pytest.raises(error):
            decode_transaction(data)


def test_module_and_operation_names_are_checked(alice: PrivateKey) -> None:
    with pytest.raises(MalformedTransactionError, match="module name"):
        make_tx(alice, 0, module="Notary")
    with pytest.raises(MalformedTransactionError, match="operation name"):
        make_tx(alice, 0, operation="anchor!")


def test_non_canonical_arguments_are_refused(alice: PrivateKey) -> None:
    tx = make_tx(alice, 0, args={"a": 1, "b": 2})
    args = encoding.encode({"a": 1, "b": 2})
    swapped = b"\x07\x02\x01b\x03\x00\x02\x01a\x03\x00\x01"
    assert len(swapped) == len(args)
    raw = tx.encode().replace(args, swapped)
    with pytest.raises(NonCanonicalError, match="arguments"):
        decode_transaction(raw)


def test_arguments_must_be_a_map(alice: PrivateKey) -> None:
    tx = make_tx(alice, 0, args={})
    unsigned = dataclasses.replace(tx, args=[], raw=b"")  # type: ignore[arg-type]
    body = unsigned.encode()[:-64]
    raw = body + alice.sign(signing_hash(body))
    with pytest.raises(MalformedTransactionError, match="not a map"):
        decode_transaction(raw)


def test_oversized_bytes_are_refused_before_decoding(alice: PrivateKey) -> None:
    raw = make_tx(alice, 0, args={"blob": b"x" * 2000}).encode()
    with pytest.raises(OversizedTransactionError, match="limit is 1000"):
        decode_transaction(raw, max_bytes=1000)
