"""Lists come in pages with a cursor naming the last row given: walking them gives every row
once, in order, even while new blocks arrive."""

from __future__ import annotations

from typing import Any

from cornerstone.crypto import PrivateKey
from cornerstone.gateway.errors import BadCursorError, BadParameterError
from tests.unit.gateway.conftest import Harness


def walk(harness: Harness, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a list, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = harness.http.get(path, params=query).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_blocks_walked_newest_first_are_stable_while_blocks_arrive(
    harness: Harness, alice: PrivateKey
) -> None:
    harness.commit(alice, 6)
    harness.sync()
    first = harness.http.get("/v1/blocks", params={"limit": 3}).json()
    assert [block["height"] for block in first["items"]] == [7, 6, 5]
    harness.commit(alice, 2)  # new blocks at the top must not shift the next page
    harness.sync()
    second = harness.http.get(
        "/v1/blocks", params={"limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [block["height"] for block in second["items"]] == [4, 3, 2]
    heights = [block["height"] for block in walk(harness, "/v1/blocks", limit=4)]
    assert heights == list(range(9, 0, -1))
    oldest_first = [b["height"] for b in walk(harness, "/v1/blocks", limit=4, order="asc")]
    assert oldest_first == list(range(1, 10))


def test_transactions_filter_and_page(harness: Harness, alice: PrivateKey, bob: PrivateKey) -> None:
    ours = harness.commit(alice, 5)
    harness.commit(bob, 2)
    harness.sync()
    mine = walk(harness, "/v1/transactions", sender=alice.public_key.fingerprint.hex(), limit=2)
    assert [tx["hash"] for tx in mine] == [tx.hash.hex() for tx in reversed(ours)]
    assert len(walk(harness, "/v1/transactions", module="notary", limit=3)) == 7
    assert walk(harness, "/v1/transactions", module="governance") == []
    window = walk(harness, "/v1/transactions", height_from=3, height_to=4, order="asc")
    assert [tx["height"] for tx in window] == [3, 4]


def test_events_page_in_the_chains_order(harness: Harness, alice: PrivateKey) -> None:
    harness.commit(alice, 4)
    harness.sync()
    events = walk(harness, "/v1/events", limit=3)
    assert [event["id"] for event in events] == [
        f"{height}:0:{position}" for height in range(2, 6) for position in (0, 1)
    ]
    only = walk(harness, "/v1/events", type="notary.*", limit=3)
    assert {event["type"] for event in only} == {"notary.anchored"} and len(only) == 4


def test_a_cursor_only_fits_its_own_list_and_order(harness: Harness, alice: PrivateKey) -> None:
    harness.commit(alice, 3)
    harness.sync()
    cursor = harness.http.get("/v1/blocks", params={"limit": 1}).json()["next_cursor"]
    for path, params in (
        ("/v1/transactions", {"cursor": cursor}),
        ("/v1/blocks", {"cursor": cursor, "order": "asc"}),
        ("/v1/blocks", {"cursor": "not-a-cursor"}),
        ("/v1/blocks", {"cursor": cursor[:-2]}),
    ):
        answer = harness.http.get(path, params=params)
        assert answer.status_code == 400, (path, params)
        assert answer.json()["code"] == BadCursorError.code


def test_bad_list_parameters_are_problems(harness: Harness) -> None:
    for params in ({"limit": 0}, {"limit": 10_000}, {"order": "sideways"}, {"height_from": "x"}):
        answer = harness.http.get("/v1/blocks", params=params)
        assert answer.status_code == 400, params
        assert answer.headers["content-type"] == "application/problem+json"
        assert (answer.json()["codespace"], answer.json()["code"]) == (
            "gateway",
            BadParameterError.code,
        )
    missing = harness.http.get("/v1/blocks/99")
    assert missing.status_code == 404 and "block 99" in missing.json()["detail"]
    assert harness.http.get("/v1/transactions/" + "ab" * 32).status_code == 404
    assert harness.http.get("/v1/nowhere").status_code == 404


def test_heights_past_int64_are_bad_parameters_not_server_errors(harness: Harness) -> None:
    """Found by schemathesis: SQLite and CometBFT hold heights as int64, and a larger one
    failed deep inside (500) instead of being refused at the door."""
    past = 2**63
    for path, params in (
        (f"/v1/blocks/{past}", {}),
        (f"/v1/blocks/{-past - 1}", {}),
        ("/v1/blocks", {"height_from": past}),
        ("/v1/transactions", {"height_to": past}),
        ("/v1/events", {"height_from": past}),
        ("/v1/state/membership", {"height": past}),
        ("/v1/stream", {"to_height": past}),
    ):
        answer = harness.http.get(path, params=params)
        assert answer.status_code == 400, (path, params, answer.text)
        assert answer.json()["code"] == BadParameterError.code
    assert harness.http.get(f"/v1/blocks/{past - 1}").status_code == 404
