"""The lean RPC client of the submissions' path, against a real HTTP server on 127.0.0.1: kept-
alive connections, chunked answers, a node that closed an idle connection or does not answer;
and `Node.acall` on it fails as `Node.call` (httpx) does on the same answers."""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.gateway import Settings, create_app
from cornerstone.gateway.errors import NodeRefusedError, NodeUnavailableError
from cornerstone.gateway.node import ChainRefusal, Node
from cornerstone.gateway.node_http import RpcConnectionError, RpcConnections
from tests.conftest import make_tx
from tests.unit.gateway.conftest import OCTETS

DEADLINE = 10.0

Answer = Callable[[bytes], bytes]
"""The raw HTTP answer to a request's target."""


def json_answer(document: object, *, close: bool = False) -> bytes:
    body = json.dumps(document).encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(
        body
    )
    return head + (b"Connection: close\r\n" if close else b"") + b"\r\n" + body


def chunked_answer(body: bytes) -> bytes:
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(body[i : i + 7]), body[i : i + 7]) for i in range(0, len(body), 7)
    )
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


@dataclass
class Server:
    """A node's RPC as far as HTTP goes: answers by `answer`, counting connections."""

    answer: Answer
    port: int = 0
    connections: int = 0
    open: int = 0
    """Connections not yet closed by the client."""
    targets: list[bytes] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)
    close_idle: bool = False
    """Close each connection after its first answer, without saying so (an idle timeout)."""
    silent: bool = False
    """Read requests and never answer."""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1]
                self.targets.append(target)
                self.heads.append(head)
                if self.silent:
                    continue
                writer.write(self.answer(target))
                await writer.drain()
                if self.close_idle:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()


@asynccontextmanager
async def serving(server: Server) -> AsyncIterator[Server]:
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    server.port = listener.sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        listener.close()
        await listener.wait_closed()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_connections_are_kept_alive_and_answers_read_whole() -> None:
    async def scenario() -> None:
        answers = iter([json_answer({"n": 1}), chunked_answer(b'{"long": "' + b"x" * 100 + b'"}')])
        async with serving(Server(lambda _target: next(answers))) as server:
            connections = RpcConnections(f"http://127.0.0.1:{server.port}", timeout=5.0)
            try:
                assert await connections.get("/status?a=1") == (200, b'{"n": 1}')
                status, body = await connections.get("/status?a=2")
                assert (status, json.loads(body)) == (200, {"long": "x" * 100})
            finally:
                await connections.aclose()
            assert server.connections == 1
            assert server.targets == [b"/status?a=1", b"/status?a=2"]

    asyncio.run(scenario())


def test_a_connection_the_node_closed_while_idle_is_replaced() -> None:
    async def scenario() -> None:
        server = Server(lambda _target: json_answer({"ok": True}), close_idle=True)
        async with serving(server):
            connections = RpcConnections(f"http://127.0.0.1:{server.port}", timeout=5.0)
            try:
                for _ in range(3):
                    assert await connections.get("/status") == (200, b'{"ok": true}')
            finally:
                await connections.aclose()
            assert server.connections == 3
            assert len(server.targets) == 3, "each request was sent (and answered) once"

    asyncio.run(scenario())


def test_a_node_that_is_not_there_or_silent_is_named_as_httpx_would() -> None:
    async def scenario() -> None:
        nowhere = RpcConnections(f"http://127.0.0.1:{free_port()}", timeout=5.0)
        with pytest.raises(RpcConnectionError) as refused:
            await nowhere.get("/status")
        assert refused.value.kind == "ConnectError"
        async with serving(Server(lambda _target: b"", silent=True)) as server:
            silent = RpcConnections(f"http://127.0.0.1:{server.port}", timeout=0.2)
            with pytest.raises(RpcConnectionError) as waited:
                await silent.get("/status")
            assert waited.value.kind == "ReadTimeout"
            await silent.aclose()

    asyncio.run(scenario())


def rpc_answers(target: bytes) -> bytes:
    """broadcast_tx_sync: refused by CheckTx; status: a JSON-RPC error; tx: not JSON."""
    method = target.split(b"?")[0]
    if method == b"/broadcast_tx_sync":
        return json_answer(
            {"jsonrpc": "2.0", "id": -1, "result": {"code": 31, "codespace": "notary", "log": "no"}}
        )
    if method == b"/status":
        return json_answer(
            {"jsonrpc": "2.0", "id": -1, "error": {"code": -32603, "data": "it broke"}}
        )
    return b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnot"


def test_node_acall_fails_as_node_call_does() -> None:
    async def scenario() -> None:
        async with serving(Server(rpc_answers)) as server:
            node = Node(f"http://127.0.0.1:{server.port}")
            node.open_async()
            try:
                for method in ("status", "tx"):
                    with pytest.raises((NodeRefusedError, NodeUnavailableError)) as sync:
                        await asyncio.to_thread(node.call, method, hash="0xab")
                    with pytest.raises((NodeRefusedError, NodeUnavailableError)) as lean:
                        await node.acall(method, hash="0xab")
                    assert type(lean.value) is type(sync.value)
                    assert lean.value.message == sync.value.message
                with pytest.raises(ChainRefusal) as refusal:
                    await node.abroadcast(b"\x01\x02")
                assert (refusal.value.code, refusal.value.codespace) == (31, "notary")
                assert refusal.value.status == 422
            finally:
                await node.aclose()
                node.close()
            assert server.targets[-1] == b"/broadcast_tx_sync?tx=0x0102"

    asyncio.run(scenario())


def test_without_the_loop_opened_calls_go_through_the_sdk_client() -> None:
    async def scenario() -> None:
        answer = {"jsonrpc": "2.0", "id": -1, "result": {"code": 0, "hash": "AB" * 32}}
        async with serving(Server(lambda _target: json_answer(answer))) as server:
            node = Node(f"http://127.0.0.1:{server.port}")
            try:
                assert await node.abroadcast(b"\x01") == bytes.fromhex("AB" * 32)
            finally:
                node.close()
            assert server.targets == [b"/broadcast_tx_sync?tx=0x01"]

    asyncio.run(scenario())


@contextmanager
def serving_in_thread(server: Server) -> Iterator[Server]:
    """`server` on its own event loop in a thread (for a gateway served by TestClient)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Event | None = None

    async def run() -> None:
        nonlocal stop
        stop = asyncio.Event()
        async with serving(server):
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),), daemon=True)
    thread.start()
    try:
        assert ready.wait(DEADLINE), "the stub RPC did not start"
        yield server
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(DEADLINE)
        loop.close()


def test_a_served_gateway_submits_over_kept_connections_and_closes_them(
    tmp_path: Path, alice: PrivateKey
) -> None:
    def answer(target: bytes) -> bytes:
        raw = bytes.fromhex(target.partition(b"tx=0x")[2].decode())
        result = {"code": 0, "hash": hashlib.sha256(raw).hexdigest().upper()}
        return json_answer({"jsonrpc": "2.0", "id": -1, "result": result})

    with serving_in_thread(Server(answer)) as server:
        settings = Settings(
            rpc_url=f"http://127.0.0.1:{server.port}", data_dir=tmp_path, follow=False
        )
        with TestClient(create_app(settings)) as http:
            for nonce in range(3):
                tx = make_tx(alice, nonce)
                answer_ = http.post("/v1/transactions", content=tx.encode(), headers=OCTETS)
                assert answer_.status_code == 202, answer_.text
                assert answer_.json() == {"hash": tx.hash.hex()}
        assert server.connections == 1, "one connection, kept alive between submissions"
        # On the event loop's own connections, not through the SDK's httpx client in a thread.
        assert not any(b"python-httpx" in head for head in server.heads)
        deadline = time.monotonic() + DEADLINE
        while server.open > 0:
            assert time.monotonic() < deadline, "the gateway left its connection open"
            time.sleep(0.01)
