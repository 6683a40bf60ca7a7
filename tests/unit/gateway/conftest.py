"""A gateway in-process against the fake node: its indexer is driven by the test (`sync`), so
what is indexed when is never left to timing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.gateway import Settings, create_app
from cornerstone.gateway.app import Gateway
from cornerstone.tx import Transaction
from tests.conftest import genesis, make_tx
from tests.unit.cli.fake_rpc import URL
from tests.unit.gateway.fake_node import FakeNode, LockedTransport


@dataclass
class Harness:
    """A fake node, and a gateway's HTTP client and internals."""

    node: FakeNode
    http: TestClient
    gateway: Gateway
    nonces: dict[bytes, int]

    def sync(self) -> int:
        """Index everything the node has; the index height."""
        return self.gateway.indexer.catch_up()

    def tx(self, key: PrivateKey, **kwargs: object) -> Transaction:
        """The key's next transaction (a notary anchor unless told otherwise)."""
        nonce = self.nonces.get(key.public_key.raw, 0)
        self.nonces[key.public_key.raw] = nonce + 1
        return make_tx(key, nonce, **kwargs)  # type: ignore[arg-type]

    def commit(self, key: PrivateKey, count: int = 1) -> list[Transaction]:
        """`count` transactions of `key`, each committed in its own block by the fake."""
        sent = []
        for _ in range(count):
            tx = self.tx(key)
            answer = self.http.post("/v1/transactions", content=tx.encode(), headers=OCTETS)
            assert answer.status_code == 202, answer.text
            sent.append(tx)
        return sent


OCTETS = {"content-type": "application/octet-stream"}


def settings(node: FakeNode, folder: Path, **overrides: object) -> Settings:
    base = Settings(
        rpc_url=URL, data_dir=folder, follow=False, transport=LockedTransport(node.transport)
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def node() -> FakeNode:
    return FakeNode.started(genesis())


@pytest.fixture
def harness(node: FakeNode, tmp_path: Path) -> Iterator[Harness]:
    app = create_app(settings(node, tmp_path / "gateway"))
    with TestClient(app) as http:
        yield Harness(node=node, http=http, gateway=app.state.gateway, nonces={})
