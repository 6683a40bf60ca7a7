"""The indexer as the gateway runs it: a thread that follows the node, wakes the streams, and
waits out a node that stops answering."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cornerstone.gateway import create_app
from cornerstone.gateway.__main__ import main
from tests.conftest import make_tx, org_key
from tests.unit.gateway.conftest import settings
from tests.unit.gateway.fake_node import FakeNode

DEADLINE = 10.0


def eventually(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def test_the_indexer_thread_follows_the_node_and_waits_out_an_outage(
    node: FakeNode, tmp_path: Path
) -> None:
    with TestClient(create_app(settings(node, tmp_path, follow=True))) as http:
        gateway = http.app.state.gateway  # type: ignore[attr-defined]

        def lag() -> int | None:
            lagging: int | None = http.get("/healthz").json()["lag"]
            return lagging

        node.produce([make_tx(org_key("org1"), 0).encode()])
        eventually("the index reaches the node", lambda: lag() == 0)

        node.reachable = False
        eventually("the outage is seen", lambda: gateway.indexer.last_error is not None)
        health = http.get("/healthz")
        assert health.status_code == 503
        assert "does not answer" in health.json()["indexer_error"]

        node.reachable = True
        node.produce([make_tx(org_key("org1"), 1).encode()])
        eventually("the index catches up after the outage", lambda: lag() == 0)
        assert http.get("/healthz").json()["indexer_error"] is None
        assert gateway.index.height() == node.chain.height == 3


def test_the_command_refuses_a_listen_address_without_a_port(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--rpc", "http://127.0.0.1:1", "--listen", "localhost", "--data", "x"])
    assert exit_.value.code == 2
    assert "--listen wants HOST:PORT" in capsys.readouterr().err
