"""Fixtures shared by every tier: deterministic organization keys and a genesis for them."""

from __future__ import annotations

import hashlib
import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.tx import Transaction, sign_transaction

CHAIN_ID = "test-chain"
ORGS = ("org1", "org2", "org3", "org4")


def org_key(org: str) -> PrivateKey:
    return PrivateKey.from_seed(hashlib.sha256(b"test key " + org.encode()).digest())


def genesis(orgs: tuple[str, ...] = ORGS) -> dict[str, Any]:
    return {
        "membership": {
            "organizations": [
                {
                    "id": org,
                    "name": f"Organization {org}",
                    "members": [org_key(org).public_key.hex()],
                }
                for org in orgs
            ]
        }
    }


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
