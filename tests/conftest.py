"""Fixtures shared by every tier: deterministic organization keys and a genesis for them."""

from __future__ import annotations

import functools
import hashlib
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.identity.certs import issue_member_certificate, make_root_certificate
from cornerstone.identity.roles import Role
from cornerstone.tx import Transaction, sign_transaction

CHAIN_ID = "test-chain"
ORGS = ("org1", "org2", "org3", "org4")
CERTS_FROM_S = 1_735_689_600  # 2025-01-01T00:00:00Z
CERTS_UNTIL_S = 2_082_758_400  # 2036-01-01T00:00:00Z


def org_key(org: str) -> PrivateKey:
    """The organization's client key, registered on chain at genesis."""
    return PrivateKey.from_seed(hashlib.sha256(b"test key " + org.encode()).digest())


def admin_key(org: str) -> PrivateKey:
    """The organization's admin key, registered on chain at genesis."""
    return PrivateKey.from_seed(hashlib.sha256(b"test admin " + org.encode()).digest())


def ca_key(org: str) -> PrivateKey:
    return PrivateKey.from_seed(hashlib.sha256(b"test ca " + org.encode()).digest())


def validator_key(org: str) -> PrivateKey:
    return PrivateKey.from_seed(hashlib.sha256(b"test validator " + org.encode()).digest())


@functools.cache
def root_certificate(org: str) -> bytes:
    """The organization's root CA certificate (DER), valid 2025-2036."""
    return make_root_certificate(
        org, ca_key(org), not_before_s=CERTS_FROM_S, not_after_s=CERTS_UNTIL_S
    )


def member_certificate(
    org: str,
    key: PrivateKey,
    role: Role = Role.CLIENT,
    *,
    serial: int = 1000,
    not_before_s: int = 0,
    not_after_s: int = 0,
    issuer: str | None = None,
) -> bytes:
    """A member certificate for `key` under `org`'s root (or `issuer`'s, to forge one)."""
    signer = issuer or org
    return issue_member_certificate(
        ca_key(signer),
        root_certificate(signer),
        subject_key=key.public_key,
        common_name=f"member {serial}",
        role=role,
        serial=serial,
        not_before_s=not_before_s or CERTS_FROM_S,
        not_after_s=not_after_s or CERTS_UNTIL_S - 1,
    )


def org_genesis(org: str) -> dict[str, Any]:
    return {
        "id": org,
        "name": f"Organization {org}",
        "root_certificate": x509.load_der_x509_certificate(root_certificate(org))
        .public_bytes(Encoding.PEM)
        .decode(),
        "nodes": [hashlib.sha256(org.encode()).hexdigest()[:40]],
        "validators": [{"public_key": validator_key(org).public_key.hex(), "power": 10}],
        "members": [
            {"public_key": org_key(org).public_key.hex(), "role": "client", "name": "client"},
            {"public_key": admin_key(org).public_key.hex(), "role": "admin", "name": "admin"},
        ],
    }


def genesis(orgs: tuple[str, ...] = ORGS, **governance: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"membership": {"organizations": [org_genesis(org) for org in orgs]}}
    if governance:
        document["governance"] = governance
    return document


def digest(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def make_tx(
    key: PrivateKey,
    nonce: int,
    operation: str = "anchor",
    args: Mapping[str, encoding.Value] | None = None,
    *,
    module: str = "notary",
    chain_id: str = CHAIN_ID,
    gas_limit: int = 1_000_000,
    certificate: bytes | None = None,
) -> Transaction:
    if args is None:
        args = {"digest": digest(f"{key.public_key.hex()}/{nonce}"), "metadata": {}}
    return sign_transaction(
        key,
        chain_id=chain_id,
        nonce=nonce,
        module=module,
        operation=operation,
        args=args,
        gas_limit=gas_limit,
        certificate=certificate,
    )


@pytest.fixture
def alice() -> PrivateKey:
    return org_key("org1")


@pytest.fixture
def bob() -> PrivateKey:
    return org_key("org2")


@contextmanager
def listening_on(port: int) -> Iterator[socket.socket]:
    """Hold 127.0.0.1:`port` as a server would: SO_REUSEADDR, so connections of an earlier test
    left in TIME_WAIT do not get in the way, and listening, so nothing else can bind it."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", port))
        holder.listen()
        yield holder


@pytest.fixture(autouse=True)
def _trust_store(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's light client pins headers in a trust store: one per test, never the home of
    the user running the tests (fake chains of one chain id differ from test to test)."""
    monkeypatch.setenv("CORNERSTONE_TRUST_DIR", str(tmp_path_factory.mktemp("trust")))
