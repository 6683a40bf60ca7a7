"""Committed events from a gateway's live stream (`/v1/stream`), resumed across dropped
connections with nothing missed and nothing repeated.

    for event in subscribe("http://127.0.0.1:26603", from_height=1, types=["notary.*"]):
        print(event.id, event.type, event.attributes)

    async with contextlib.aclosing(asubscribe(url, types=["did.*"])) as events:
        async for event in events:
            ...

The gateway sends each event once, in the chain's order, with id `height:tx_index:event_index`.
When a connection drops (or the gateway restarts) the subscription waits, then reconnects with
`Last-Event-ID` set to the last event it yielded, so the gateway resumes strictly after it. The
wait doubles with each attempt that brings no event, from the gateway's `retry` hint (or
`backoff`) up to `max_backoff`. Positions only grow, so an event at or before the last one
yielded is dropped should a gateway ever send it again.

A subscription with neither `from_height` nor `last_event_id` starts after the blocks the
gateway has indexed when it starts: it asks `/healthz` for that height once and asks for the
stream from the next block, so a reconnection before the first event cannot skip anything.

The stream is parsed as the HTML standard's server-sent events: lines end with CR, LF or CRLF;
`data` lines of one event join with LF; lines starting with a colon are comments (keep-alives);
`retry` sets the reconnection delay. Like the RPC clients, the subscription ignores proxy
settings in the environment (`trust_env=False`).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncGenerator, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from cornerstone.crypto import PrivateKey
from cornerstone.errors import ClientError
from cornerstone.sdk.auth import RequestSigner

STREAM_PATH = "/v1/stream"
HEALTH_PATH = "/healthz"
DEFAULT_BACKOFF = 1.0
"""Seconds before the first reconnection when the gateway sent no `retry` hint."""
MAX_BACKOFF = 30.0
"""The longest wait between two reconnections."""
READ_TIMEOUT = 60.0
"""Seconds of silence after which a connection counts as dropped (the gateway sends a
keep-alive comment every 15 s)."""
RETRIED_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Answers that mean "try again later"; any other error status ends the subscription."""
_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class StreamEvent:
    """One committed event, at its place in the chain's order."""

    height: int
    """The block it is in."""
    tx_index: int
    """The transaction's index in the block (block events: the index after the last one)."""
    event_index: int
    """The event's index within its transaction."""
    type: str
    """`<module>.<what>`, e.g. `notary.anchored`."""
    attributes: dict[str, str]
    """The event's attributes."""
    id: str
    """`height:tx_index:event_index`, the stream's event id."""
    tx_hash: str | None = None
    """The transaction that emitted it (hex); None for the block's own events."""

    @property
    def position(self) -> tuple[int, int, int]:
        """(height, tx_index, event_index): the chain's order."""
        return (self.height, self.tx_index, self.event_index)

    @classmethod
    def from_json(cls, data: str) -> StreamEvent:
        """The event in a stream message's `data`; ClientError when it is not one."""
        try:
            body = json.loads(data)
            event = cls(
                height=int(body["height"]),
                tx_index=int(body["tx_index"]),
                event_index=int(body["event_index"]),
                type=str(body["type"]),
                attributes={str(k): str(v) for k, v in dict(body["attributes"]).items()},
                id=str(body["id"]),
                tx_hash=None if body.get("tx_hash") is None else str(body["tx_hash"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ClientError(reason=f"the gateway sent an event that is not one: {exc}") from None
        if event.id != "{}:{}:{}".format(*event.position):
            raise ClientError(reason=f"the event {event.id} does not stand where its id says")
        return event


# ---------------------------------------------------------------------------- SSE
@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One message of a server-sent event stream."""

    event: str
    """Its type (`message` when the stream named none)."""
    data: str
    """Its data lines, joined with LF."""
    id: str
    """The last event id the stream set (it carries over to later messages)."""


@dataclass
class SseDecoder:
    """Turns a stream's text into messages, as the HTML standard's event stream
    interpretation does. Feed it text as it arrives; one decoder per connection."""

    last_event_id: str = ""
    """The id the stream set last."""
    retry_ms: int | None = None
    """The reconnection time the stream asked for, in milliseconds."""
    _pending: str = ""
    _after_cr: bool = False
    _started: bool = False
    _event: str = ""
    _data: list[str] = field(default_factory=list)

    def feed(self, text: str) -> list[ServerSentEvent]:
        """The messages that `text` completes."""
        if not self._started and text:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._after_cr and text.startswith("\n"):
            text = text[1:]  # the LF of a CRLF that arrived in two pieces
        if text:
            self._after_cr = text.endswith("\r")
        *lines, self._pending = _LINE_END.split(self._pending + text)
        messages = []
        for line in lines:
            message = self.line(line)
            if message is not None:
                messages.append(message)
        return messages

    def line(self, line: str) -> ServerSentEvent | None:
        """Interpret one line; the message it ends, if it is the blank line after one."""
        if not line:
            data, event = self._data, self._event
            self._data, self._event = [], ""
            if not data:
                return None
            return ServerSentEvent(
                event=event or "message", data="\n".join(data), id=self.last_event_id
            )
        if line.startswith(":"):
            return None  # a comment: keep-alive
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry_ms = int(value)
        return None


# ---------------------------------------------------------------------------- resume
class _Retry(Exception):
    """This attempt failed in a way worth another."""


@dataclass
class _Resume:
    """What a subscription knows between connections; the sync and async loops share it."""

    types: tuple[str, ...]
    from_height: int | None
    to_height: int | None
    backoff: float | None
    max_backoff: float
    max_retries: int | None
    last: tuple[int, int, int] | None = None
    last_id: str | None = None
    failures: int = 0
    retry_ms: int | None = None
    decoder: SseDecoder = field(default_factory=SseDecoder)

    def needs_start(self) -> bool:
        """True until the subscription knows where it starts."""
        return self.last_id is None and self.from_height is None

    def started_after(self, response: httpx.Response) -> None:
        """Start after the height `/healthz` says the gateway has indexed."""
        try:
            self.from_height = int(response.json()["index_height"]) + 1
        except (ValueError, KeyError, TypeError):
            raise _Retry(
                f"{HEALTH_PATH} answered {response.status_code} without index_height"
            ) from None

    def request(self) -> tuple[dict[str, str], dict[str, str]]:
        """The query parameters and headers of the next connection."""
        params: dict[str, str] = {}
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_id is not None:
            headers["Last-Event-ID"] = self.last_id
        elif self.from_height is not None:
            params["from_height"] = str(self.from_height)
        if self.types:
            params["types"] = ",".join(self.types)
        if self.to_height is not None:
            params["to_height"] = str(self.to_height)
        self.decoder = SseDecoder()
        return params, headers

    def check(self, response: httpx.Response) -> None:
        """Go on with an event stream; _Retry for a passing failure, ClientError otherwise."""
        if response.status_code in RETRIED_STATUSES:
            raise _Retry(f"the gateway answered {response.status_code}")
        if response.status_code != 200:
            raise ClientError(
                reason=f"the gateway refused the subscription ({response.status_code}): "
                f"{_detail(response)}"
            )
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            raise ClientError(reason=f"the gateway answered {kind!r}, not an event stream")

    def events(self, text: str) -> Iterator[StreamEvent]:
        """The new events that `text` completes, in order; none seen before."""
        for message in self.decoder.feed(text):
            if message.event != "message":
                continue
            event = StreamEvent.from_json(message.data)
            if self.last is not None and event.position <= self.last:
                continue  # sent again: it was yielded already
            self.last, self.last_id, self.failures = event.position, event.id, 0
            yield event

    def ended(self) -> bool:
        """The connection ended cleanly: True when the subscription is over (it had a
        `to_height`); else the gateway went away (it shuts down) and we reconnect."""
        self._note_retry()
        if self.to_height is not None:
            return True
        self.failures += 1
        return False

    def failed(self, gateway_url: str, exc: Exception) -> None:
        """A connection failed: raise ClientError once `max_retries` attempts in a row have."""
        self._note_retry()
        self.failures += 1
        if self.max_retries is not None and self.failures > self.max_retries:
            raise ClientError(
                reason=f"the event stream of {gateway_url} failed {self.failures} times in a "
                f"row; last: {exc}"
            ) from None

    def delay(self) -> float:
        """Seconds to wait before the next attempt."""
        if self.failures == 0:
            return 0.0
        if self.backoff is not None:
            base = self.backoff
        elif self.retry_ms is not None:
            base = self.retry_ms / 1000
        else:
            base = DEFAULT_BACKOFF
        return float(min(self.max_backoff, base * 2 ** min(self.failures - 1, 30)))

    def _note_retry(self) -> None:
        if self.decoder.retry_ms is not None:
            self.retry_ms = self.decoder.retry_ms


def _detail(response: httpx.Response) -> str:
    try:
        body: Any = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("title") or body)
    return str(body)


def _resume(
    *,
    types: Iterable[str],
    from_height: int | None,
    last_event_id: str | None,
    to_height: int | None,
    backoff: float | None,
    max_backoff: float,
    max_retries: int | None,
) -> _Resume:
    state = _Resume(
        types=tuple(types),
        from_height=from_height,
        to_height=to_height,
        backoff=backoff,
        max_backoff=max_backoff,
        max_retries=max_retries,
    )
    if last_event_id is not None:
        parts = last_event_id.split(":")
        if len(parts) != 3 or not all(part.isdigit() for part in parts):
            raise ClientError(reason=f"{last_event_id!r} is not an event id (height:tx:event)")
        height, tx_index, event_index = (int(part) for part in parts)
        state.last, state.last_id = (height, tx_index, event_index), last_event_id
    return state


_FAILURES = (httpx.TransportError, _Retry)


# ---------------------------------------------------------------------------- subscribe
def subscribe(
    gateway_url: str,
    *,
    from_height: int | None = None,
    types: Iterable[str] = (),
    last_event_id: str | None = None,
    to_height: int | None = None,
    backoff: float | None = None,
    max_backoff: float = MAX_BACKOFF,
    max_retries: int | None = None,
    timeout: float = 10.0,
    transport: httpx.BaseTransport | None = None,
    signing_key: PrivateKey | None = None,
) -> Generator[StreamEvent, None, None]:
    """The gateway's committed events, live, resumed across dropped connections.

    Start after `last_event_id`, else at block `from_height`, else after what the gateway has
    indexed now; `types` filters (`notary.anchored`, `did.*`); with `to_height` the iterator ends
    after that block. It raises ClientError when the gateway refuses the subscription or after
    `max_retries` failed attempts in a row (None: it keeps trying). Close it (or leave the
    `for` loop) to disconnect. With `signing_key`, each request is signed as that member (for a
    gateway started with `--auth required`).
    """
    state = _resume(
        types=types,
        from_height=from_height,
        last_event_id=last_event_id,
        to_height=to_height,
        backoff=backoff,
        max_backoff=max_backoff,
        max_retries=max_retries,
    )
    with httpx.Client(
        base_url=gateway_url.rstrip("/"),
        timeout=httpx.Timeout(timeout, read=READ_TIMEOUT),
        transport=transport,
        trust_env=False,
        auth=None if signing_key is None else RequestSigner(signing_key),
    ) as http:
        while True:
            time.sleep(state.delay())
            try:
                if state.needs_start():
                    state.started_after(http.get(HEALTH_PATH))
                params, headers = state.request()
                with http.stream("GET", STREAM_PATH, params=params, headers=headers) as response:
                    if response.status_code != 200:
                        response.read()
                    state.check(response)
                    for text in response.iter_text():
                        yield from state.events(text)
                if state.ended():
                    return
            except _FAILURES as exc:
                state.failed(gateway_url, exc)


async def asubscribe(
    gateway_url: str,
    *,
    from_height: int | None = None,
    types: Iterable[str] = (),
    last_event_id: str | None = None,
    to_height: int | None = None,
    backoff: float | None = None,
    max_backoff: float = MAX_BACKOFF,
    max_retries: int | None = None,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    signing_key: PrivateKey | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """`subscribe` as an async iterator. Close it (`contextlib.aclosing`) to disconnect."""
    state = _resume(
        types=types,
        from_height=from_height,
        last_event_id=last_event_id,
        to_height=to_height,
        backoff=backoff,
        max_backoff=max_backoff,
        max_retries=max_retries,
    )
    async with httpx.AsyncClient(
        base_url=gateway_url.rstrip("/"),
        timeout=httpx.Timeout(timeout, read=READ_TIMEOUT),
        transport=transport,
        trust_env=False,
        auth=None if signing_key is None else RequestSigner(signing_key),
    ) as http:
        while True:
            await asyncio.sleep(state.delay())
            try:
                if state.needs_start():
                    state.started_after(await http.get(HEALTH_PATH))
                params, headers = state.request()
                async with http.stream(
                    "GET", STREAM_PATH, params=params, headers=headers
                ) as response:
                    if response.status_code != 200:
                        await response.aread()
                    state.check(response)
                    async for text in response.aiter_text():
                        for event in state.events(text):
                            yield event
                if state.ended():
                    return
            except _FAILURES as exc:
                state.failed(gateway_url, exc)
