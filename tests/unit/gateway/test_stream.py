"""The event stream: every committed event once, in order, resumable from a height or from the
last event id seen, live as blocks are indexed."""

from __future__ import annotations

import json
from typing import Any

from cornerstone.crypto import PrivateKey
from cornerstone.gateway.errors import BadParameterError
from tests.unit.gateway.conftest import Harness


def read_events(harness: Harness, **params: Any) -> list[dict[str, Any]]:
    """The events of a stream that ends (it is given `to_height`)."""
    headers = {}
    if "last_event_id" in params:
        headers["Last-Event-ID"] = params.pop("last_event_id")
    with harness.http.stream("GET", "/v1/stream", params=params, headers=headers) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        return parse(answer.read().decode())


def parse(text: str) -> list[dict[str, Any]]:
    events = []
    for chunk in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in chunk.splitlines() if ": " in line)
        if "data" in fields:
            event = json.loads(fields["data"])
            assert fields["id"] == event["id"]
            events.append(event)
    return events


def test_a_stream_replays_from_a_height_in_order(harness: Harness, alice: PrivateKey) -> None:
    harness.commit(alice, 4)
    top = harness.sync()
    events = read_events(harness, from_height=3, to_height=top)
    assert [event["id"] for event in events] == [
        f"{height}:0:{position}" for height in range(3, top + 1) for position in (0, 1)
    ]
    anchored = read_events(harness, from_height=1, to_height=top, types="notary.anchored")
    assert [event["height"] for event in anchored] == [2, 3, 4, 5]


def test_resuming_after_the_last_event_id_misses_and_repeats_nothing(
    harness: Harness, alice: PrivateKey
) -> None:
    harness.commit(alice, 5)
    top = harness.sync()
    everything = read_events(harness, from_height=1, to_height=top)
    for cut in range(len(everything)):
        rest = read_events(harness, to_height=top, last_event_id=everything[cut]["id"])
        assert everything[: cut + 1] + rest == everything


def test_a_live_stream_delivers_blocks_as_they_are_indexed(
    harness: Harness, alice: PrivateKey
) -> None:
    harness.commit(alice, 1)
    start = harness.sync()
    seen: list[dict[str, Any]] = []
    with harness.http.stream("GET", "/v1/stream", params={"to_height": start + 2}) as answer:
        lines = answer.iter_lines()
        assert next(lines) == f"retry: {2000}"
        harness.commit(alice, 2)  # while the client waits: the indexer's signal wakes it
        harness.sync()
        seen = parse("\n".join(lines))
    assert [event["height"] for event in seen] == [start + 1, start + 1, start + 2, start + 2]


def test_a_bad_last_event_id_is_refused(harness: Harness) -> None:
    answer = harness.http.get("/v1/stream", headers={"Last-Event-ID": "seven"})
    assert answer.status_code == 400
    assert answer.json()["code"] == BadParameterError.code


def test_open_streams_end_when_the_server_shuts_down(harness: Harness) -> None:
    with harness.http.stream("GET", "/v1/stream") as answer:  # live, no end of its own
        lines = answer.iter_lines()
        assert next(lines).startswith("retry: ")
        harness.gateway.begin_shutdown()
        assert [line for line in lines if line] == []  # it ends, with no event
