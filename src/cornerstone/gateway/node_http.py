"""A lean HTTP/1.1 client of the node's CometBFT RPC, on the gateway's event loop.

    connections = RpcConnections("http://127.0.0.1:26657", timeout=10.0)
    status, body = await connections.get("/broadcast_tx_sync?tx=0x...")
    await connections.aclose()

Used for submissions, the gateway's hot path (node.py's `acall`). Measured per call on the same
machine (bench/gateway_cpu.py, issue 6): httpx's synchronous client in a worker thread cost
~1 ms of CPU, its asynchronous client ~1.6 ms (its URL parsing alone ~0.5 ms for a
transaction's hex in the query), where a GET written by hand and its answer parsed by httptools'
C parser cost a small fraction of that. It does only what the RPC needs: GET, keep-alive
connections reused one request at a time, answers with a Content-Length or chunked.

A reused connection that fails before any byte of the answer (the node closed it while idle) is
retried once on a new one; every other failure is an `RpcConnectionError` naming its kind as
httpx would (ConnectError, ReadTimeout, ...), so node.py reports it as it does httpx's.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final, cast
from urllib.parse import urlsplit

import httptools

MAX_IDLE: Final = 64
"""Idle connections kept; a burst beyond this many concurrent calls closes the extra ones."""


class RpcConnectionError(Exception):
    """The node could not be reached, or its answer was not HTTP/1.1 as expected."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind
        """httpx's name for the same failure: ConnectError, ReadError, ReadTimeout, ..."""


class RpcConnections:
    """Keep-alive connections to one node's RPC (plain HTTP)."""

    def __init__(self, rpc_url: str, *, timeout: float) -> None:
        parts = urlsplit(rpc_url)
        if parts.scheme != "http" or parts.hostname is None:
            raise ValueError(f"only http:// RPC addresses are served here, not {rpc_url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._authority = parts.netloc.encode()
        self._idle: list[_Connection] = []
        self._closed = False

    async def get(self, target: str) -> tuple[int, bytes]:
        """GET `target` (a path under the RPC address, with its query): status and body."""
        request = b"GET %s%s HTTP/1.1\r\nHost: %s\r\n\r\n" % (
            self.prefix.encode(),
            target.encode("ascii"),
            self._authority,
        )
        while self._idle:
            connection = self._idle.pop()
            if connection.closed:
                continue
            try:
                return await self._exchange(connection, request)
            except _StaleConnection:
                continue  # closed by the node while idle: the request was not read
        return await self._exchange(await self._open(), request)

    async def aclose(self) -> None:
        self._closed = True  # a call still running closes its connection when it ends
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                _transport, connection = await loop.create_connection(
                    _Connection, self.host, self.port
                )
        except TimeoutError:
            raise RpcConnectionError("ConnectTimeout") from None
        except OSError:
            raise RpcConnectionError("ConnectError") from None
        return connection

    async def _exchange(self, connection: _Connection, request: bytes) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(self.timeout):
                status, body, keep_alive = await connection.exchange(request)
        except TimeoutError:
            connection.close()
            raise RpcConnectionError("ReadTimeout") from None
        except BaseException:
            connection.close()
            raise
        if keep_alive and not self._closed and len(self._idle) < MAX_IDLE:
            self._idle.append(connection)
        else:
            connection.close()
        return status, body


class _StaleConnection(Exception):
    """A reused connection closed before any byte of the answer."""


class _Connection(asyncio.Protocol):
    """One TCP connection, one request at a time; its answers parsed by httptools."""

    def __init__(self) -> None:
        self.closed = False
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._answer: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self._chunks: list[bytes] = []
        self._received = False
        self._used = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio's classes, but have their methods.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._fail(RpcConnectionError("RemoteProtocolError"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._used and not self._received:
            self._fail(_StaleConnection())
        else:
            self._fail(RpcConnectionError("ReadError" if exc else "RemoteProtocolError"))

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        answer = self._answer
        if answer is not None and not answer.done():
            keep_alive = self._parser.should_keep_alive()
            answer.set_result((self._parser.get_status_code(), b"".join(self._chunks), keep_alive))

    # the client's side
    async def exchange(self, request: bytes) -> tuple[int, bytes, bool]:
        """Send `request`; the answer's status, body, and whether the connection stays open."""
        self._answer = asyncio.get_running_loop().create_future()
        self._chunks = []
        self._received = False
        reused, self._used = self._used, True
        if self.closed or self._transport is None:
            raise _StaleConnection() if reused else RpcConnectionError("ConnectError")
        self._transport.write(request)
        try:
            return await self._answer
        except _StaleConnection:
            if reused:
                raise
            raise RpcConnectionError("RemoteProtocolError") from None

    def _fail(self, error: Exception) -> None:
        answer = self._answer
        if answer is not None and not answer.done():
            answer.set_exception(error)

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            with contextlib.suppress(RuntimeError):  # its loop already closed
                self._transport.close()
