"""A gateway in-process over the fake node (as in tests/unit/gateway), for the subscription."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cornerstone.gateway import create_app
from tests.conftest import genesis
from tests.unit.gateway.conftest import Harness, settings
from tests.unit.gateway.fake_node import FakeNode


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    node = FakeNode.started(genesis())
    app = create_app(settings(node, tmp_path / "gateway"))
    with TestClient(app) as http:
        yield Harness(node=node, http=http, gateway=app.state.gateway, nonces={})
