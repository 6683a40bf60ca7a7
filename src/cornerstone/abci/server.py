"""The ABCI socket server: length-prefixed protobuf over TCP, as CometBFT's socket client
speaks it.

Each message is an unsigned varint length followed by a `Request` or `Response`. CometBFT opens
four connections (consensus, mempool, info, snapshot) and pipelines requests on each, sending
`Flush` when it wants the answers so far. Requests on one connection are answered in order; the
handler is synchronous, so requests from different connections never interleave inside it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from tendermint.abci import types_pb2 as pb

from cornerstone.encoding import DecodeError, decode_uvarint, encode_uvarint

MAX_MESSAGE_BYTES = 100 * 1024 * 1024
"""CometBFT's own limit for one ABCI message."""
READ_CHUNK = 256 * 1024

log = logging.getLogger("cornerstone.abci")

Handler = Callable[[pb.Request], pb.Response]


class AbciServer:
    """Serves one handler to every connection CometBFT opens."""

    def __init__(self, handler: Handler, on_connect: Callable[[], None] | None = None) -> None:
        self._handler = handler
        self._on_connect = on_connect
        self._server: asyncio.Server | None = None
        self.connections = 0

    async def start(self, host: str, port: int) -> int:
        """Listen on host:port (port 0 picks a free one); return the port."""
        self._server = await asyncio.start_server(self._serve, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def serve_forever(self) -> None:
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        peer = writer.get_extra_info("peername")
        log.info("ABCI connection from %s", peer)
        if self._on_connect is not None:
            self._on_connect()
        buffer = bytearray()
        try:
            while True:
                chunk = await reader.read(READ_CHUNK)
                if not chunk:
                    return
                buffer += chunk
                out = bytearray()
                flush = False
                pos = 0
                while True:
                    frame = _take_frame(buffer, pos)
                    if frame is None:
                        break
                    message, pos = frame
                    request = pb.Request.FromString(message)
                    response = self._answer(request)
                    body = response.SerializeToString()
                    out += encode_uvarint(len(body))
                    out += body
                    flush = flush or request.WhichOneof("value") == "flush"
                del buffer[:pos]
                if out:
                    writer.write(bytes(out))
                if flush:
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            log.info("ABCI connection from %s closed", peer)
        except _FramingError as exc:
            log.error("ABCI connection from %s sent a bad frame: %s", peer, exc)
        finally:
            writer.close()

    def _answer(self, request: pb.Request) -> pb.Response:
        kind = request.WhichOneof("value")
        try:
            return self._handler(request)
        except Exception as exc:
            # A broken internal assumption: answer with an exception so CometBFT stops loudly
            # instead of building on state nobody can trust.
            log.exception("ABCI %s failed", kind)
            return pb.Response(exception=pb.ResponseException(error=f"{kind}: {exc}"))


class _FramingError(Exception):
    pass


def _take_frame(buffer: bytearray, pos: int) -> tuple[bytes, int] | None:
    """The length-prefixed message at `pos` and the position after it, or None when it is not
    complete yet."""
    if pos >= len(buffer):
        return None
    try:
        length, start = decode_uvarint(bytes(buffer[pos : pos + 10]), 0)
    except DecodeError as exc:
        if "ends inside" in str(exc):
            return None
        raise _FramingError(str(exc)) from None
    if length > MAX_MESSAGE_BYTES:
        raise _FramingError(f"a message of {length} bytes is over the limit")
    start += pos
    end = start + length
    if len(buffer) < end:
        return None
    return bytes(buffer[start:end]), end


def frame(message: bytes) -> bytes:
    """The length-prefixed form of one serialized message (for clients and tests)."""
    return encode_uvarint(len(message)) + message
