"""The ABCI socket server: length-prefixed protobuf over TCP, as CometBFT's socket client
speaks it.

Each message is an unsigned varint length followed by a `Request` or `Response`. CometBFT opens
four connections (consensus, mempool, info, snapshot) and pipelines requests on each, sending
`Flush` when it wants the answers so far. Requests on one connection are answered in order; the
handler is synchronous, so requests from different connections never interleave inside it.

Each connection is an `asyncio.Protocol`, not a stream reader and writer: every complete frame
that arrived in one read is answered at once, and all their answers leave in one write. A
stream's `read` costs a future and a task switch per read, and under load CometBFT sends
thousands of small CheckTx frames a second; per frame, the server does only what the frame
needs. Writing after every read also answers every `Flush`, since a Flush is itself a frame.
When CometBFT stops reading our answers (the socket's send buffer fills), the connection stops
reading its requests until the answers drain, so a slow peer never makes memory grow.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from tendermint.abci import types_pb2 as pb

from cornerstone.encoding import DecodeError, decode_uvarint, encode_uvarint

MAX_MESSAGE_BYTES = 100 * 1024 * 1024
"""CometBFT's own limit for one ABCI message."""
SLICE = 128
"""Requests answered on one connection before the others get a turn: under load the mempool
connection brings thousands of CheckTx at once (~30 ms for 128), and the consensus
connection's next request should not wait for all of them."""

log = logging.getLogger("cornerstone.abci")

Handler = Callable[[pb.Request], pb.Response]


class FramingError(Exception):
    """Bytes that are not a sequence of length-prefixed messages."""


class AbciServer:
    """Serves one handler to every connection CometBFT opens."""

    def __init__(self, handler: Handler, on_connect: Callable[[], None] | None = None) -> None:
        self._handler = handler
        self._on_connect = on_connect
        self._server: asyncio.Server | None = None
        self.connections = 0

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (port 0 picks a free one); return the port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def answer_frames(
        self, buffer: bytearray | bytes, limit: int | None = None
    ) -> tuple[bytes, int, bool]:
        """Answer the complete frames at the start of `buffer`, at most `limit` of them: the
        framed answers, how many bytes of `buffer` they consumed, and whether complete frames
        are left (a frame cut short waits for the next read). Raises FramingError on bytes that
        cannot be a frame."""
        out = bytearray()
        pos = 0
        end = len(buffer)
        answer = self._answer
        left = end if limit is None else limit
        with memoryview(buffer) as view:  # frames parsed in place, not copied out first
            while pos < end:
                first = buffer[pos]
                if first < 0x80:  # a frame under 128 bytes (Flush, Commit, Info)
                    length, start = first, pos + 1
                else:
                    try:
                        length, start = decode_uvarint(bytes(buffer[pos : pos + 10]), 0)
                    except DecodeError as exc:
                        if "ends inside" in str(exc):
                            break
                        raise FramingError(str(exc)) from None
                    if length > MAX_MESSAGE_BYTES:
                        raise FramingError(f"a message of {length} bytes is over the limit")
                    start += pos
                stop = start + length
                if stop > end:
                    break
                if not left:
                    return bytes(out), pos, True
                left -= 1
                # protobuf parses any buffer; its stubs say bytes.
                request = pb.Request.FromString(view[start:stop])  # type: ignore[arg-type]
                body = answer(request).SerializeToString()
                out += encode_uvarint(len(body))
                out += body
                pos = stop
        return bytes(out), pos, False

    def _answer(self, request: pb.Request) -> pb.Response:
        try:
            return self._handler(request)
        except Exception as exc:
            # A broken internal assumption: answer with an exception so CometBFT stops loudly
            # instead of building on state nobody can trust.
            kind = request.WhichOneof("value")
            log.exception("ABCI %s failed", kind)
            return pb.Response(exception=pb.ResponseException(error=f"{kind}: {exc}"))

    def _connected(self) -> None:
        self.connections += 1
        if self._on_connect is not None:
            self._on_connect()


class _Connection(asyncio.Protocol):
    """One of CometBFT's connections: answers what arrives, in order, SLICE frames at a time."""

    def __init__(self, server: AbciServer) -> None:
        self._server = server
        self._buffer = bytearray()
        self._transport: Any = None  # an asyncio or uvloop transport (not asyncio.Transport)
        self._peer: object = None
        self._holding = False
        """Reading is paused because complete frames wait for their turn."""
        self._blocked = False
        """Reading is paused because CometBFT is not reading our answers."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._peer = transport.get_extra_info("peername")
        log.info("ABCI connection from %s", self._peer)
        self._server._connected()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._holding:
            self._work()

    def _work(self) -> None:
        transport = self._transport
        if transport.is_closing():
            return
        buffer = self._buffer
        try:
            out, used, more = self._server.answer_frames(buffer, SLICE)
        except FramingError as exc:
            log.error("ABCI connection from %s sent a bad frame: %s", self._peer, exc)
            transport.close()
            return
        del buffer[:used]
        if out:
            transport.write(out)
        if more:
            # Let the other connections' requests in (a FinalizeBlock waiting behind a burst
            # of CheckTx), then go on; meanwhile, leave new bytes in the socket.
            if not self._holding:
                self._holding = True
                transport.pause_reading()
            asyncio.get_running_loop().call_soon(self._work)
        elif self._holding:
            self._holding = False
            if not self._blocked:
                transport.resume_reading()

    def pause_writing(self) -> None:
        # CometBFT is not reading our answers: stop reading its requests until it does.
        self._blocked = True
        if not self._holding:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._blocked = False
        if not self._holding:
            self._transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        log.info("ABCI connection from %s closed", self._peer)


def frame(message: bytes) -> bytes:
    """The length-prefixed form of one serialized message (for clients and tests)."""
    return encode_uvarint(len(message)) + message
