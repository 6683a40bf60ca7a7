"""Subscribing to a gateway's event stream: every event once, in order, through dropped
connections (cut anywhere, even mid-event), with the backoff growing up to its cap."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.errors import ClientError
from cornerstone.sdk import StreamEvent, asubscribe, events, subscribe
from tests.unit.gateway.conftest import Harness
from tests.unit.gateway.test_stream import read_events

GATEWAY = "http://gateway.test"


class Cut(httpx.SyncByteStream):
    """A response's bytes, cut off with a ReadError after `limit` of them (None: never).
    (Starlette's TestClient answers with its own httpx's responses, hence `Any`.)"""

    def __init__(self, response: Any, limit: int | None) -> None:
        self.response = response
        self.limit = limit

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self.response.iter_raw():
            if self.limit is not None and sent + len(chunk) >= self.limit:
                yield chunk[: self.limit - sent]
                raise httpx.ReadError("the connection dropped")
            sent += len(chunk)
            yield chunk

    def close(self) -> None:
        self.response.close()


class Cutting(httpx.BaseTransport):
    """Passes requests to the in-process gateway; the n-th stream is cut after `cuts[n]` bytes."""

    def __init__(self, http: TestClient, cuts: Sequence[int] = ()) -> None:
        self.http = http
        self.cuts = list(cuts)
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        forwarded = self.http.build_request(
            request.method, str(request.url), headers=dict(request.headers)
        )
        response = self.http.send(forwarded, stream=True)
        limit = None
        if request.url.path == "/v1/stream" and self.cuts:
            limit = self.cuts.pop(0)
        return httpx.Response(
            response.status_code,
            headers=list(response.headers.multi_items()),
            stream=Cut(response, limit),
        )

    def streams(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/v1/stream"]


def ids(events: Sequence[StreamEvent]) -> list[str]:
    return [event.id for event in events]


def stream_length(harness: Harness, **params: int) -> int:
    with harness.http.stream("GET", "/v1/stream", params=params) as answer:
        return len(answer.read())


def test_a_subscription_yields_what_the_stream_holds(harness: Harness, alice: PrivateKey) -> None:
    harness.commit(alice, 3)
    top = harness.sync()
    transport = Cutting(harness.http)
    got = list(subscribe(GATEWAY, from_height=1, to_height=top, transport=transport))
    assert ids(got) == [event["id"] for event in read_events(harness, from_height=1, to_height=top)]
    assert all(isinstance(event.attributes, dict) for event in got)
    typed = list(
        subscribe(GATEWAY, from_height=1, to_height=top, types=["notary.*"], transport=transport)
    )
    assert {event.type for event in typed} == {"notary.anchored"}


def cuts_for(harness: Harness, top: int, per_connection: float) -> list[int]:
    """Byte counts that cut each connection `per_connection` events in (mid-event when it
    has a fraction), as many as it takes to get through the stream and a few more."""
    size = stream_length(harness, from_height=1, to_height=top)
    count = len(read_events(harness, from_height=1, to_height=top))
    preamble = len("retry: 2000\n\n")
    return [preamble + int((size - preamble) / count * per_connection)] * (count + 3)


@pytest.mark.parametrize("per_connection", [1.3, 2.5, 3.0, 4.7])
def test_cut_connections_resume_with_no_gap_and_no_repeat(
    harness: Harness, alice: PrivateKey, per_connection: float
) -> None:
    harness.commit(alice, 5)
    top = harness.sync()
    everything = [event["id"] for event in read_events(harness, from_height=1, to_height=top)]
    transport = Cutting(harness.http, cuts_for(harness, top, per_connection))
    got = list(subscribe(GATEWAY, from_height=1, to_height=top, backoff=0.0, transport=transport))
    assert ids(got) == everything
    streams = transport.streams()
    assert len(streams) >= len(everything) / per_connection, "each connection was cut"
    assert streams[0].url.params["from_height"] == "1"
    resumed = [request.headers["last-event-id"] for request in streams[1:]]
    assert resumed == sorted(set(resumed), key=everything.index), "after the last event each time"
    assert set(resumed) <= set(everything)


def test_a_subscription_resumes_after_a_given_event_id(harness: Harness, alice: PrivateKey) -> None:
    harness.commit(alice, 3)
    top = harness.sync()
    everything = ids(
        list(subscribe(GATEWAY, from_height=1, to_height=top, transport=Cutting(harness.http)))
    )
    middle = everything[len(everything) // 2]
    rest = subscribe(GATEWAY, last_event_id=middle, to_height=top, transport=Cutting(harness.http))
    assert ids(list(rest)) == everything[everything.index(middle) + 1 :]


def test_a_live_subscription_starts_after_what_is_indexed(
    harness: Harness, alice: PrivateKey
) -> None:
    harness.commit(alice, 2)
    top = harness.sync()
    transport = Cutting(harness.http, cuts=[0])  # the first connection dies before any event

    def commit_once_subscribed() -> None:
        deadline = time.monotonic() + 10
        while len(transport.streams()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        harness.commit(alice, 1)
        harness.sync()

    helper = threading.Thread(target=commit_once_subscribed)
    helper.start()
    with contextlib.closing(
        subscribe(GATEWAY, to_height=top + 1, backoff=0.0, transport=transport)
    ) as live:
        got = list(live)
    helper.join()
    assert {event.height for event in got} == {top + 1}
    assert [r.url.params["from_height"] for r in transport.streams()] == [str(top + 1)] * 2


def test_a_refused_subscription_is_a_client_error(harness: Harness) -> None:
    with pytest.raises(ClientError, match=r"refused the subscription \(400\): query\.from_height"):
        next(subscribe(GATEWAY, from_height=0, transport=Cutting(harness.http)))
    with pytest.raises(ClientError, match="not an event id"):
        next(subscribe(GATEWAY, last_event_id="seven", transport=Cutting(harness.http)))


def test_the_backoff_doubles_up_to_its_cap_then_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    monkeypatch.setattr(events, "time", SimpleNamespace(sleep=waits.append))
    attempts = 0

    def down(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            return httpx.Response(503, json={"detail": "starting"})
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(ClientError, match="failed 6 times in a row"):
        next(
            subscribe(
                GATEWAY,
                from_height=1,
                max_backoff=3.0,
                max_retries=5,
                transport=httpx.MockTransport(down),
            )
        )
    assert attempts == 6
    assert waits == [0.0, 1.0, 2.0, 3.0, 3.0, 3.0]


# ---------------------------------------------------------------------------- async
class AsyncCut(httpx.AsyncByteStream):
    def __init__(self, response: httpx.Response, limit: int | None) -> None:
        self.response = response
        self.limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        async for chunk in self.response.aiter_raw():
            if self.limit is not None and sent + len(chunk) >= self.limit:
                yield chunk[: self.limit - sent]
                raise httpx.ReadError("the connection dropped")
            sent += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self.response.aclose()


class AsyncCutting(httpx.AsyncBaseTransport):
    """The gateway app over httpx's ASGI transport (its lifespan run by the harness)."""

    def __init__(self, harness: Harness, cuts: Sequence[int] = ()) -> None:
        self.inner = httpx.ASGITransport(app=harness.http.app)
        self.cuts = list(cuts)
        self.streams = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        limit = None
        if request.url.path == "/v1/stream":
            self.streams += 1
            limit = self.cuts.pop(0) if self.cuts else None
        return httpx.Response(
            response.status_code, headers=response.headers, stream=AsyncCut(response, limit)
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_an_async_subscription_resumes_with_no_gap_and_no_repeat(
    harness: Harness, alice: PrivateKey
) -> None:
    harness.commit(alice, 4)
    top = harness.sync()
    everything = [event["id"] for event in read_events(harness, from_height=1, to_height=top)]
    transport = AsyncCutting(harness, cuts_for(harness, top, 1.7))

    async def run() -> list[StreamEvent]:
        got = []
        subscription = asubscribe(
            GATEWAY, from_height=1, to_height=top, backoff=0.0, transport=transport
        )
        async with contextlib.aclosing(subscription) as stream:
            async for event in stream:
                got.append(event)
        return got

    assert ids(asyncio.run(run())) == everything
    assert transport.streams >= len(everything) / 1.7
