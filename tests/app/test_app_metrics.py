"""The application's metrics and logs: real ABCI requests over a real socket move the counters
that a real HTTP GET /metrics then shows; the endpoint answers HTTP as scrapers expect; and
`python -m cornerstone.abci` serves it and logs JSON lines."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone.abci.app import Application
from cornerstone.abci.http import HttpServer, Route
from cornerstone.abci.metrics import AppMetrics
from cornerstone.crypto import PrivateKey
from cornerstone.modules.notary.errors import NotOwnerError
from cornerstone.state import MemoryStore, Store
from cornerstone.testing import SocketTransport, TestChain
from tests.conftest import digest, genesis, listening_on, make_tx
from tests.unit.test_metrics import Family, parse, value_of

TIMEOUT = 30.0


class MeasuredApplication(Application):
    """The application as `python -m cornerstone.abci` serves it: behind the metrics wrapper."""

    def __init__(self, store: Store | MemoryStore) -> None:
        super().__init__(store)
        self.metrics = AppMetrics(height=lambda: self.store.height)
        self._measured = self.metrics.instrument(super().handle)

    def handle(self, request: pb.Request) -> pb.Response:
        return self._measured(request)

    def connected(self) -> None:
        super().connected()
        self.metrics.connected()


@contextmanager
def http_server(routes: Mapping[str, Route]) -> Iterator[int]:
    """`routes` served on a free port of 127.0.0.1 by an event loop of its own; the port."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = HttpServer(routes)
    try:
        yield asyncio.run_coroutine_threadsafe(server.start("127.0.0.1", 0), loop).result(10)
    finally:
        asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def measured(tmp_path: Path) -> Iterator[tuple[TestChain, MeasuredApplication]]:
    app = MeasuredApplication(Store(tmp_path / "state"))
    chain = TestChain(app, SocketTransport(app), "test-chain")
    try:
        yield chain, app
    finally:
        chain.close()
        app.store.close()


def scrape(port: int) -> dict[str, Family]:
    with httpx.Client(trust_env=False, timeout=TIMEOUT) as http:
        answer = http.get(f"http://127.0.0.1:{port}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(answer.text)


def test_abci_requests_over_the_socket_move_the_counters_get_metrics_shows(
    measured: tuple[TestChain, MeasuredApplication],
    alice: PrivateKey,
    bob: PrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain, app = measured
    chain.init_chain(genesis())
    anchored = make_tx(alice, 0, args={"digest": digest("doc"), "metadata": {}})
    stolen = make_tx(bob, 0, "revise", {"document": digest("doc"), "digest": digest("mine")})
    assert chain.check_tx(anchored.encode()).code == 0
    junk = chain.check_tx(b"junk")
    assert junk.code != 0
    with http_server(app.metrics.endpoints()) as port:
        before = scrape(port)
        admitted = "cornerstone_app_check_state_txs"
        assert value_of(before[admitted], admitted) == 1
        with caplog.at_level(logging.INFO, logger="cornerstone.app"):
            results = chain.produce_block([anchored.encode(), stolen.encode()])
        assert [r.code for r in results.tx_results] == [0, NotOwnerError.code]
        # After the commit CometBFT rechecks what is left in its mempool against the new state.
        assert chain.check_tx(make_tx(alice, 1).encode(), recheck=True).code == 0
        after = scrape(port)
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as http:
            health = http.get(f"http://127.0.0.1:{port}/healthz")

    def sample(name: str, family: str | None = None, **labels: str) -> float:
        return value_of(after[family or name], name, **labels)

    assert sample("cornerstone_app_height") == 1
    assert sample("cornerstone_app_blocks_total") == 1
    transactions = "cornerstone_app_transactions_total"
    assert sample(transactions, module="notary", codespace="", code="0") == 1
    failed = {"module": "notary", "codespace": "notary", "code": str(NotOwnerError.code)}
    assert sample(transactions, **failed) == 1
    assert sample("cornerstone_app_block_txs_count", "cornerstone_app_block_txs") == 1
    assert sample("cornerstone_app_block_txs_sum", "cornerstone_app_block_txs") == 2
    checks = "cornerstone_app_check_tx_total"
    assert sample(checks, type="new", codespace="", code="0") == 1
    assert sample(checks, type="new", codespace=junk.codespace, code=str(junk.code)) == 1
    assert sample(checks, type="recheck", codespace="", code="0") == 1
    # The commit emptied the check state; the recheck admitted one again.
    assert sample("cornerstone_app_check_state_txs") == 1
    assert sample("cornerstone_app_proposals_total", status="accept") == 1
    latency = "cornerstone_app_request_seconds"
    requests = ["init_chain", "check_tx", "prepare_proposal", "process_proposal"]
    requests += ["finalize_block", "commit"]
    counts = {request: sample(f"{latency}_count", latency, request=request) for request in requests}
    assert counts == {
        "init_chain": 1,
        "check_tx": 3,
        "prepare_proposal": 1,
        "process_proposal": 1,
        "finalize_block": 1,
        "commit": 1,
    }
    assert sample(f"{latency}_sum", latency, request="finalize_block") > 0
    assert health.status_code == 200 and health.json()["height"] == 1

    committed = [r for r in caplog.records if r.getMessage().startswith("committed block")]
    assert [(r.height, r.txs, r.failed) for r in committed] == [(1, 2, 1)]  # type: ignore[attr-defined]
    assert committed[0].finalize_ms > 0  # type: ignore[attr-defined]
    refused = [r for r in caplog.records if r.getMessage().startswith("transaction failed")]
    assert [(r.tx_hash, r.code, r.tx_module) for r in refused] == [  # type: ignore[attr-defined]
        (stolen.hash.hex(), NotOwnerError.code, "notary")
    ]


def test_a_request_that_raises_is_counted_and_still_raises() -> None:
    metrics = AppMetrics(height=lambda: 0)

    def broken(request: pb.Request) -> pb.Response:
        raise RuntimeError("a broken assumption")

    handle = metrics.instrument(broken)
    with pytest.raises(RuntimeError):
        handle(pb.Request(commit=pb.RequestCommit()))
    assert metrics.failures.value("commit") == 1


def raw_request(port: int, data: bytes) -> bytes:
    """What the server answers to `data`, read until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as connection:
        connection.sendall(data)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_the_endpoint_answers_http_as_scrapers_and_curl_expect() -> None:
    metrics = AppMetrics(height=lambda: 7, connections=lambda: 4)
    with http_server(metrics.endpoints()) as port:
        ok = raw_request(port, b"GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\n\r\n")
        head, _, body = ok.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Connection: close" in head
        assert f"Content-Length: {len(body)}".encode() in head
        assert b"cornerstone_app_height 7\n" in body
        health = raw_request(port, b"GET /healthz HTTP/1.0\r\n\r\n").partition(b"\r\n\r\n")[2]
        assert json.loads(health) == {"ok": True, "height": 7, "abci_connections": 4}
        headers_only = raw_request(port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
        assert headers_only.startswith(b"HTTP/1.1 200") and headers_only.endswith(b"\r\n\r\n")
        assert raw_request(port, b"GET /nothing HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404")
        refused = raw_request(port, b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 405") and b"Allow: GET, HEAD" in refused
        assert raw_request(port, b"hello\r\n\r\n").startswith(b"HTTP/1.1 400")
        long_head = b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n"
        assert raw_request(port, long_head).startswith(b"HTTP/1.1 400")
        # A client that leaves without a request does not stop the next one.
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT):
            pass
        assert raw_request(port, b"GET /healthz HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 200")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_application_process_serves_metrics_and_logs_json_lines(tmp_path: Path) -> None:
    abci, metrics = free_port(), free_port()
    log_file = tmp_path / "app.log"
    with log_file.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cornerstone.abci",
                "--listen",
                f"127.0.0.1:{abci}",
                "--data",
                str(tmp_path / "app"),
                "--metrics-addr",
                f"127.0.0.1:{metrics}",
                "--log-format",
                "json",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        deadline = time.monotonic() + TIMEOUT
        with httpx.Client(trust_env=False, timeout=TIMEOUT) as http:
            while True:
                try:
                    health = http.get(f"http://127.0.0.1:{metrics}/healthz")
                    break
                except httpx.TransportError:
                    assert process.poll() is None, log_file.read_text()
                    assert time.monotonic() < deadline, "the application serves /healthz"
                    time.sleep(0.05)
            assert health.json() == {"ok": True, "height": 0, "abci_connections": 0}
            # Its ABCI port is up too, and a connection shows in the metrics.
            with socket.create_connection(("127.0.0.1", abci), timeout=TIMEOUT):
                while True:
                    text = http.get(f"http://127.0.0.1:{metrics}/metrics").text
                    if "cornerstone_app_abci_connections_opened 1\n" in text:
                        break
                    assert time.monotonic() < deadline, text
                    time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=TIMEOUT)
    assert process.returncode == 0
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert lines, "the application logged nothing"
    for line in lines:
        assert {"ts", "level", "logger", "msg"} <= set(line), line
        assert line["ts"].endswith("Z") and line["ts"][10] == "T"
    listening = [line for line in lines if line["msg"].startswith("listening on")]
    assert listening and listening[0]["height"] == 0
    assert listening[0]["abci"] == f"127.0.0.1:{abci}" and listening[0]["level"] == "info"


def test_a_taken_metrics_port_is_one_sentence_and_exit_status_2(tmp_path: Path) -> None:
    taken = free_port()
    with listening_on(taken):
        finished = subprocess.run(
            [
                sys.executable,
                "-m",
                "cornerstone.abci",
                "--listen",
                f"127.0.0.1:{free_port()}",
                "--data",
                str(tmp_path / "app"),
                "--metrics-addr",
                f"127.0.0.1:{taken}",
            ],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    assert finished.returncode == 2
    assert finished.stderr == (
        f"cornerstone: cannot serve metrics on 127.0.0.1:{taken}: Address already in use\n"
    )
