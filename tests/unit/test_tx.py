"""The transaction envelope: one byte form per transaction; every malformed field refused."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import (
    MalformedTransactionError,
    NonCanonicalError,
    OversizedTransactionError,
    TransactionError,
    UnsupportedVersionError,
)
from cornerstone.tx import SIGNING_DOMAIN, decode_transaction, signing_hash
from tests.conftest import make_tx


def test_round_trip_keeps_every_field(alice: PrivateKey) -> None:
    tx = make_tx(alice, 7, args={"digest": b"\x01" * 32, "metadata": {"title": "bill"}})
    decoded = decode_transaction(tx.encode())
    assert decoded == tx
    assert decoded.encode() == tx.encode()
    assert decoded.hash == hashlib.sha256(tx.encode()).digest()


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
    nonce_at = sender_at + 32
    cases: list[tuple[bytes, type[TransactionError]]] = [
        (b"", MalformedTransactionError),
        (b"\x02" + raw[1:], UnsupportedVersionError),
        (raw[:1] + b"\x03ABC" + raw[2 + chain_len :], MalformedTransactionError),  # chain id
        (raw[:10], MalformedTransactionError),  # cut in the sender key
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
