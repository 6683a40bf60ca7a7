"""The gateway's index endpoints answer the same on SQLite and on PostgreSQL: pages and their
cursors, filters, the event stream's replay, resume and live delivery, the counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.gateway import create_app
from tests.conftest import digest
from tests.unit.gateway.conftest import OCTETS, Harness, settings
from tests.unit.gateway.fake_node import FakeNode
from tests.unit.gateway.postgres import (  # noqa: F401 - pytest finds the fixtures here
    database_fixture,
    databases_fixture,
    postgres_server_fixture,
)
from tests.unit.gateway.test_pages import walk
from tests.unit.gateway.test_stream import parse, read_events


@pytest.fixture
def harness(node: FakeNode, tmp_path: Path, database: str | None) -> Iterator[Harness]:
    app = create_app(settings(node, tmp_path / "gateway", database=database))
    with TestClient(app) as http:
        yield Harness(node=node, http=http, gateway=app.state.gateway, nonces={})


def test_the_index_endpoints_on_each_backend(
    harness: Harness, alice: PrivateKey, bob: PrivateKey
) -> None:
    ours = harness.commit(alice, 4)
    harness.commit(bob, 2)
    document = digest("doc")
    anchor = harness.tx(alice, args={"digest": document, "metadata": {}})
    harness.http.post("/v1/transactions", content=anchor.encode(), headers=OCTETS)
    refused = harness.tx(
        bob, operation="revise", args={"document": document, "digest": digest("x")}
    )
    harness.http.post("/v1/transactions", content=refused.encode(), headers=OCTETS)
    top = harness.sync()
    assert top == 9

    # Blocks: a page, then the next one after new blocks arrived, walked both ways.
    first = harness.http.get("/v1/blocks", params={"limit": 3}).json()
    assert [block["height"] for block in first["items"]] == [9, 8, 7]
    later = harness.commit(alice, 1)
    top = harness.sync()
    second = harness.http.get(
        "/v1/blocks", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [block["height"] for block in second["items"]] == [6, 5, 4]
    assert [b["height"] for b in walk(harness, "/v1/blocks", limit=4, order="asc")] == list(
        range(1, top + 1)
    )
    assert harness.http.get("/v1/blocks/2").json()["tx_count"] == 1

    # Transactions: by sender, by outcome, by module and a height window, page by page.
    mine = walk(harness, "/v1/transactions", sender=alice.public_key.fingerprint.hex(), limit=2)
    assert [tx["hash"] for tx in mine] == [tx.hash.hex() for tx in [*later, anchor, *ours[::-1]]]
    failed = walk(harness, "/v1/transactions", failed="true")
    assert [tx["hash"] for tx in failed] == [refused.hash.hex()]
    assert failed[0]["code"] != 0 and "owner" in failed[0]["log"]
    assert len(walk(harness, "/v1/transactions", module="notary", limit=3)) == 9
    window = walk(harness, "/v1/transactions", height_from=3, height_to=4, order="asc")
    assert [tx["height"] for tx in window] == [3, 4]
    found = harness.http.get(f"/v1/transactions/{ours[0].hash.hex()}").json()
    assert found["raw"] == ours[0].encode().hex()
    assert [event["type"] for event in found["events"]] == ["tx", "notary.anchored"]

    # Events: a module's every type, in the chain's order.
    anchored = walk(harness, "/v1/events", type="notary.*", limit=3)
    assert {event["type"] for event in anchored} == {"notary.anchored"} and len(anchored) == 8

    # The stream: replay from a height, resume after every event id, then live.
    everything = read_events(harness, from_height=1, to_height=top)
    assert [event["id"] for event in everything] == [
        event["id"] for event in walk(harness, "/v1/events", limit=200)
    ]
    for cut in range(0, len(everything), 3):
        rest = read_events(harness, to_height=top, last_event_id=everything[cut]["id"])
        assert everything[: cut + 1] + rest == everything
    seen: list[dict[str, Any]] = []
    with harness.http.stream("GET", "/v1/stream", params={"to_height": top + 2}) as answer:
        lines = answer.iter_lines()
        assert next(lines).startswith("retry: ")
        harness.commit(alice, 2)
        harness.sync()
        seen = parse("\n".join(lines))
    assert [event["height"] for event in seen] == [top + 1, top + 1, top + 2, top + 2]

    counts = harness.gateway.index.counts()
    assert counts == {"transactions": 11, "events": len(everything) + 4}
