"""The application's own small HTTP endpoint: `GET /metrics` and `GET /healthz`.

It runs on the application's event loop beside the ABCI server, so a scrape reads the counters
between two ABCI requests and needs no lock. It speaks just enough HTTP/1.1 for Prometheus and
curl: one request per connection (answered with `Connection: close`), GET and HEAD, no body in;
anything else gets a 4xx status. A web framework would be a dependency for two routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

MAX_HEAD_BYTES = 16 * 1024
"""The request line and headers; a scraper sends a few hundred bytes."""
READ_TIMEOUT = 10.0
"""Seconds a client has to send its request head."""
REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}

log = logging.getLogger("cornerstone.app.http")


@dataclass(frozen=True, slots=True)
class Answer:
    """What a route answers."""

    status: int
    content_type: str
    body: bytes


Route = Callable[[], Answer]


class HttpServer:
    """Serves `routes` (path -> answer) to GET and HEAD requests."""

    def __init__(self, routes: Mapping[str, Route]) -> None:
        self._routes = dict(routes)
        self._server: asyncio.Server | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (port 0 picks a free one); return the port."""
        self._server = await asyncio.start_server(self._serve, host, port, limit=MAX_HEAD_BYTES)
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            writer.close()  # the client left or never finished its request
            return
        except asyncio.LimitOverrunError:
            head = b""  # too long to be a scrape: answered as a bad request
        method, answer = self._answer(head)
        try:
            writer.write(_response(answer, with_body=method != "HEAD"))
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def _answer(self, head: bytes) -> tuple[str, Answer]:
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return "", _text(400, "bad request\n")
        method, target, _ = parts
        route = self._routes.get(target.split("?", 1)[0])
        if route is None:
            return method, _text(404, "not found: try /metrics or /healthz\n")
        if method not in ("GET", "HEAD"):
            return method, _text(405, "only GET and HEAD\n")
        try:
            return method, route()
        except Exception:  # a broken route must not take the application down with it
            log.exception("GET %s failed", target)
            return method, _text(503, "this route failed: see the application's log\n")


def _text(status: int, text: str) -> Answer:
    return Answer(status=status, content_type="text/plain; charset=utf-8", body=text.encode())


def _response(answer: Answer, *, with_body: bool) -> bytes:
    headers = [
        f"HTTP/1.1 {answer.status} {REASONS.get(answer.status, 'Error')}",
        f"Content-Type: {answer.content_type}",
        f"Content-Length: {len(answer.body)}",
        "Cache-Control: no-store",
        "Connection: close",
    ]
    if answer.status == 405:
        headers.append("Allow: GET, HEAD")
    head = ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1")
    return head + answer.body if with_body else head
