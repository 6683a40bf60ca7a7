"""Server-sent events parsed as the HTML standard says, however the text is cut into chunks."""

from __future__ import annotations

import pytest

from cornerstone.errors import ClientError
from cornerstone.sdk.events import ServerSentEvent, SseDecoder, StreamEvent

STREAM = (
    "\ufeffretry: 2000\r\n"
    "\r\n"
    ": keep-alive\n"
    "\n"
    "id: 2:0:0\n"
    "data: first line\n"
    "data:second line\n"
    "data\n"
    "\n"
    "event: ping\r"
    "data: {}\r"
    "\r"
    "id: 3:0:0\n"
    "retry: soon\n"
    "\n"  # an id with no data: no message, but the id sticks
    "data: after\n"
    "\n"
    "data: never finished\n"
)

EXPECTED = [
    ServerSentEvent(event="message", data="first line\nsecond line\n", id="2:0:0"),
    ServerSentEvent(event="ping", data="{}", id="2:0:0"),
    ServerSentEvent(event="message", data="after", id="3:0:0"),
]


def test_a_stream_fed_whole() -> None:
    decoder = SseDecoder()
    assert decoder.feed(STREAM) == EXPECTED
    assert decoder.retry_ms == 2000
    assert decoder.last_event_id == "3:0:0"


@pytest.mark.parametrize("size", [1, 2, 3, 7])
def test_a_stream_fed_in_pieces(size: int) -> None:
    decoder = SseDecoder()
    messages = []
    for start in range(0, len(STREAM), size):
        messages += decoder.feed(STREAM[start : start + size])
    assert messages == EXPECTED


def test_a_crlf_split_between_chunks_is_one_line_end() -> None:
    decoder = SseDecoder()
    assert decoder.feed("data: a\r") == []
    assert decoder.feed("\n\r") == [ServerSentEvent(event="message", data="a", id="")]
    assert decoder.feed("\ndata: b\n\n") == [ServerSentEvent(event="message", data="b", id="")]


def test_an_event_must_stand_where_its_id_says() -> None:
    good = '{"id": "4:1:2", "height": 4, "tx_index": 1, "event_index": 2, "tx_hash": null,'
    good += ' "type": "notary.anchored", "attributes": {"digest": "ab"}}'
    event = StreamEvent.from_json(good)
    assert event.position == (4, 1, 2)
    assert event.attributes == {"digest": "ab"}
    with pytest.raises(ClientError, match="does not stand"):
        StreamEvent.from_json(good.replace('"4:1:2"', '"4:1:3"'))
    with pytest.raises(ClientError, match="not one"):
        StreamEvent.from_json('{"id": "1:0:0"}')
