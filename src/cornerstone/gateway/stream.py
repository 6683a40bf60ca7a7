"""The live stream of committed events, as server-sent events, served from the index.

Each event is sent once, in the chain's order, with id `height:tx_index:event_index`. A client
that reconnects with `Last-Event-ID` (browsers do it by themselves) or `from_height` gets every
event after that point: the index holds whole blocks only, so there is no gap to fall into, and
positions only grow, so nothing is sent twice. Without either, the stream starts after the
blocks already indexed.

The stream reads the index, never the node: a hundred subscribers cost the node nothing. The
indexer wakes the streams through `IndexSignal` when it has written blocks; between blocks a
comment line every `HEARTBEAT` seconds keeps proxies from closing an idle connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence

from starlette.concurrency import run_in_threadpool

from cornerstone.gateway.index import Index, Position

HEARTBEAT = 15.0
"""Seconds between keep-alive comments on an idle stream."""
BATCH = 500
"""Events read from the index at a time."""
RETRY_MS = 2000
"""How long a browser waits before it reconnects (the SSE `retry` field)."""
END = 2**62
"""Past any tx_index or event_index: Position(h, END, END) is after every event of height h."""


class IndexSignal:
    """Tells waiting streams that the index grew. `notify` may be called from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._event = asyncio.Event()
        self.generation = 0
        """Bumped on every notification: a stream notes it before it reads the index, so a
        block indexed between the read and the wait still wakes it."""

    def notify(self, _height: int = 0) -> None:
        if self._loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop is closing: nobody is waiting
            self._loop.call_soon_threadsafe(self._bump)

    def _bump(self) -> None:
        self.generation += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seen: int, *, timeout: float) -> bool:
        """Wait until the generation moves past `seen`; False after `timeout` seconds."""
        if self.generation != seen:
            return True
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True


def start_after(
    *, last_event_id: str | None, from_height: int | None, index_height: int
) -> Position:
    """Where a stream starts: after the last event the client saw, else at `from_height`,
    else after what is indexed now."""
    if last_event_id:
        return Position.parse(last_event_id)
    if from_height is not None:
        return Position(max(from_height, 1) - 1, END, END)
    return Position(index_height, END, END)


async def events(
    index: Index,
    signal: IndexSignal,
    *,
    after: Position,
    types: Sequence[str],
    to_height: int | None = None,
    heartbeat: float = HEARTBEAT,
    stopping: Callable[[], bool] = lambda: False,
) -> AsyncIterator[str]:
    """The SSE text of every event after `after`, live; ends after `to_height` if given, or
    when `stopping()` (the server shuts down: the client reconnects to it or another one)."""
    yield f"retry: {RETRY_MS}\n\n"
    while not stopping():
        seen = signal.generation
        top = await run_in_threadpool(index.height)  # before the read: it holds all up to top
        batch = await run_in_threadpool(index.events_after, after, types=types, limit=BATCH)
        for event in batch:
            if to_height is not None and event.height > to_height:
                return
            yield f"id: {event.id}\ndata: {event.model_dump_json()}\n\n"
            after = Position(event.height, event.tx_index, event.event_index)
        if len(batch) == BATCH:
            continue
        if to_height is not None and top >= to_height:
            return
        if not await signal.wait(seen, timeout=heartbeat):
            yield ": keep-alive\n\n"
