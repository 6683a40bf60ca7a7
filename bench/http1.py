"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for the gateway benchmark's load.

One `Connection` is one TCP connection that sends requests one after another and keeps the
connection open between them. It does only what the benchmark needs (a POST, an answer with a
Content-Length or chunked body), at a fraction of a general client's CPU per request: the load
generator must cost little next to what it measures.

Each connection can be bound to its own loopback source address (127.x.y.z all reach this
machine): a gateway names a client by its address for its rate limit, so the benchmark's
accounts are distinct clients, as a consortium's users are.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass


class HttpError(Exception):
    """The connection failed or the answer was not HTTP/1.1 as expected."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


class Connection:
    """One keep-alive HTTP/1.1 connection to host:port, opened on first use."""

    def __init__(self, host: str, port: int, *, source: str | None = None) -> None:
        self._host = host
        self._port = port
        self._source = source
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, *, content_type: str) -> Answer:
        """POST `body` to `path`; reconnects once if the server closed the idle connection."""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        fresh = self._writer is None
        try:
            return await self._exchange(head + body)
        except (OSError, HttpError, asyncio.IncompleteReadError):
            await self.close()
            if fresh:
                raise
        return await self._exchange(head + body)

    async def _exchange(self, request: bytes) -> Answer:
        if self._writer is None:
            local = None if self._source is None else (self._source, 0)
            try:
                self._reader, self._writer = await asyncio.open_connection(
                    self._host, self._port, local_addr=local
                )
            except OSError as exc:
                raise HttpError(f"cannot connect to {self._host}:{self._port}: {exc}") from None
        reader, writer = self._reader, self._writer
        assert reader is not None
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HttpError(f"not an HTTP answer: {lines[0]!r}")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _chunked(reader)
        else:
            raise HttpError("an answer without Content-Length or chunked encoding")
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status=int(parts[1]), body=body)

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are expected: the final blank line
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


def source_address(n: int) -> str:
    """The n-th loopback source address (n from 0): 127.2.0.1, 127.2.0.2, ..."""
    return f"127.2.{n // 250}.{n % 250 + 1}"
