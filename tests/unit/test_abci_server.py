"""The ABCI socket server: framing across reads, order, fairness between connections, bad
frames. Real sockets on 127.0.0.1, on asyncio's own loop and on uvloop (what nodes run)."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import uvloop
from tendermint.abci import types_pb2 as pb

from cornerstone.abci.server import SLICE, AbciServer, frame
from cornerstone.encoding import decode_uvarint

LOOPS = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


@contextmanager
def serving(
    handler: Callable[[pb.Request], pb.Response], make_loop: Callable[[], asyncio.AbstractEventLoop]
) -> Iterator[tuple[AbciServer, int]]:
    loop = make_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = AbciServer(handler)
    try:
        port = asyncio.run_coroutine_threadsafe(server.start("127.0.0.1", 0), loop).result(10)
        yield server, port
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def echo(request: pb.Request) -> pb.Response:
    if request.WhichOneof("value") == "flush":
        return pb.Response(flush=pb.ResponseFlush())
    if request.WhichOneof("value") == "info":
        return pb.Response(info=pb.ResponseInfo(data="info"))
    return pb.Response(echo=pb.ResponseEcho(message=request.echo.message))


def read_responses(sock: socket.socket, count: int) -> list[pb.Response]:
    buffer = b""
    found: list[pb.Response] = []
    while len(found) < count:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed after {len(found)} of {count} answers")
        buffer += chunk
        while buffer:
            try:
                length, start = decode_uvarint(buffer, 0)
            except ValueError:
                break
            if len(buffer) < start + length:
                break
            found.append(pb.Response.FromString(buffer[start : start + length]))
            buffer = buffer[start + length :]
    return found


def echo_frames(count: int, size: int = 40) -> bytes:
    return b"".join(
        frame(pb.Request(echo=pb.RequestEcho(message=f"{n:0{size}d}")).SerializeToString())
        for n in range(count)
    )


@pytest.mark.parametrize("loop", LOOPS)
def test_frames_cut_anywhere_are_answered_whole_and_in_order(loop: str) -> None:
    # Long messages (two-byte lengths) and short ones, sent one byte at a time.
    data = (
        echo_frames(3, size=300)
        + echo_frames(3)
        + frame(pb.Request(flush=pb.RequestFlush()).SerializeToString())
    )
    with (
        serving(echo, LOOPS[loop]) as (_, port),
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
    ):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for k in range(len(data)):
            sock.sendall(data[k : k + 1])
        answers = read_responses(sock, 7)
    messages = [a.echo.message for a in answers[:6]]
    assert messages == [f"{n:0300d}" for n in range(3)] + [f"{n:040d}" for n in range(3)]
    assert answers[6].WhichOneof("value") == "flush"


@pytest.mark.parametrize("loop", LOOPS)
def test_a_burst_on_one_connection_does_not_hold_back_another(loop: str) -> None:
    burst = 2560
    assert burst >= 8 * SLICE, "a burst of many slices"
    handled: list[str] = []
    started = threading.Event()

    def slow(request: pb.Request) -> pb.Response:
        handled.append(request.WhichOneof("value") or "")
        started.set()
        # Busy work, as CheckTx is: the loop cannot look at other sockets meanwhile.
        sum(range(2000))
        return echo(request)

    with (
        serving(slow, LOOPS[loop]) as (_, port),
        socket.create_connection(("127.0.0.1", port), timeout=30) as mempool,
        socket.create_connection(("127.0.0.1", port), timeout=30) as consensus,
    ):
        mempool.sendall(echo_frames(burst))
        assert started.wait(10)
        consensus.sendall(frame(pb.Request(info=pb.RequestInfo()).SerializeToString()))
        assert read_responses(consensus, 1)[0].info.data == "info"
        assert len(read_responses(mempool, burst)) == burst
    position = handled.index("info")
    assert position < burst // 2, f"the Info waited for {position} of the burst's {burst} requests"


@pytest.mark.parametrize("loop", LOOPS)
def test_a_bad_frame_closes_that_connection_only(loop: str) -> None:
    with serving(echo, LOOPS[loop]) as (server, port):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as bad:
            bad.sendall(b"\xff" * 11)  # a length longer than any varint
            assert bad.recv(10) == b"", "the server closes a connection that breaks framing"
        with socket.create_connection(("127.0.0.1", port), timeout=10) as good:
            good.sendall(echo_frames(2))
            assert [a.echo.message for a in read_responses(good, 2)] == [
                f"{n:040d}" for n in range(2)
            ]
        assert server.connections == 2
