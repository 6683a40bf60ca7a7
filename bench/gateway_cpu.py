"""Issue 6: the gateway's CPU per submission, measured in one process on a shared machine.

    .venv/bin/python -m bench.gateway_cpu [--count 4000] [--connections 8] [--http auto]

`bench.gateway` measures the whole network, whose figure moves with whatever else the machine
runs; this measures only what one gateway spends per `POST /v1/transactions` (wait=none), so a
change to the gateway's hot path can be judged in seconds. The gateway runs here under uvicorn,
served as `run()` serves it (same app, same HTTP implementation unless `--http` names one), on
127.0.0.1. Its node is a stub CometBFT RPC in a child process that answers every
`broadcast_tx_sync` with success, and the load is a child process too: pre-signed notary anchors
sent over `--connections` keep-alive connections, one request at a time each. Only this process's
CPU time (all its threads: the event loop, the thread pool) is counted, over the measured
requests after a warm-up, round by round; the machine being shared, the least is the figure
(interference only adds). The last line is `cpu_us_per_submission=<least µs of the rounds>`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from bench.http1 import Connection, source_address
from bench.workload import GAS_LIMIT
from cornerstone.crypto import PrivateKey
from cornerstone.gateway.app import HTTP_PROTOCOL, KEEP_ALIVE, Settings, create_app
from cornerstone.gateway.limits import RateLimit
from cornerstone.localnet.ports import HOST
from cornerstone.tx import sign_transaction

WARMUP: Final = 300
"""Requests sent before the clock starts: imports, caches and connections settle."""
START_TIMEOUT: Final = 20.0
OCTETS: Final = "application/octet-stream"
UNLIMITED: Final = RateLimit(rate=1e9, burst=10**9)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gateway_cpu")
    parser.add_argument("--count", type=int, default=2000, help="submissions per round")
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds")
    parser.add_argument("--connections", type=int, default=8, help="client connections")
    parser.add_argument(
        "--http", default="auto", help="uvicorn's HTTP implementation (auto: the gateway's own)"
    )
    parser.add_argument("--auth", default="optional", choices=("none", "optional", "required"))
    parser.add_argument(
        "--profile", type=Path, help="write cProfile statistics of the event loop's thread here"
    )
    parser.add_argument("--stub-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stub_port is not None:
        asyncio.run(_stub_rpc(args.stub_port))
    elif args.load is not None:
        asyncio.run(_load(args.load))
    else:
        rounds = measure(args)
        print(f"rounds_us={','.join(f'{r:.0f}' for r in rounds)}")
        print(f"median_us={statistics.median(rounds):.0f}")
        print(f"cpu_us_per_submission={min(rounds):.0f}")


def measure(args: argparse.Namespace) -> list[float]:
    """Serve a gateway here, drive it from a child process; its CPU µs per request, by round."""
    from cornerstone.gateway.auth import AuthSettings

    stub_port, gateway_port = _free_port(), _free_port()
    stub = subprocess.Popen(
        [sys.executable, "-m", "bench.gateway_cpu", "--stub-port", str(stub_port)]
    )
    try:
        with tempfile.TemporaryDirectory(prefix="cornerstone-bench-gwcpu-") as directory:
            folder = Path(directory)
            plan = folder / "load.json"
            txs = [tx.hex() for tx in _transactions(WARMUP + args.rounds * args.count)]
            plan.write_text(
                json.dumps(
                    {
                        "port": gateway_port,
                        "connections": args.connections,
                        "warmup": txs[:WARMUP],
                        "rounds": [
                            txs[WARMUP + r * args.count : WARMUP + (r + 1) * args.count]
                            for r in range(args.rounds)
                        ],
                    }
                )
            )
            _wait_listening(stub_port)
            settings = Settings(
                rpc_url=f"http://{HOST}:{stub_port}",
                data_dir=folder / "gateway",
                follow=False,
                # Limits high enough never to refuse: the buckets are still taken from.
                rate_limit=UNLIMITED,
                auth=AuthSettings(mode=args.auth, anonymous_rate_limit=UNLIMITED),
            )
            return _serve_and_load(settings, gateway_port, plan, args)
    finally:
        stub.terminate()
        stub.wait(timeout=10)


def _serve_and_load(
    settings: Settings, port: int, plan: Path, args: argparse.Namespace
) -> list[float]:
    import uvicorn

    http = HTTP_PROTOCOL if args.http == "auto" else args.http
    config = uvicorn.Config(
        create_app(settings),
        host=HOST,
        port=port,
        http=http,
        log_level="warning",
        log_config=None,
        access_log=False,
        timeout_keep_alive=KEEP_ALIVE,
    )
    server = uvicorn.Server(config)
    result: list[float] = []

    def drive() -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if time.monotonic() > deadline:
                server.should_exit = True
                return
            time.sleep(0.02)
        load = subprocess.Popen(
            [sys.executable, "-m", "bench.gateway_cpu", "--load", str(plan)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert load.stdout is not None
            started = None
            for line in load.stdout:
                if line.startswith("go"):
                    started = (time.process_time(), time.monotonic())
                elif line.startswith("done") and started is not None:
                    cpu, wall = time.process_time() - started[0], time.monotonic() - started[1]
                    result.append(cpu / args.count * 1e6)
                    print(
                        f"round {len(result)}: http={http} auth={settings.auth.mode} "
                        f"count={args.count} "
                        f"connections={args.connections} wall={wall:.2f}s "
                        f"rate={args.count / wall:.0f}/s cpu={cpu:.2f}s",
                        flush=True,
                    )
            load.wait(timeout=30)
        finally:
            server.should_exit = True

    driver = threading.Thread(target=drive, name="driver")
    driver.start()
    if args.profile is None:
        server.run()
    else:
        import cProfile

        with cProfile.Profile() as profile:
            server.run()
        profile.dump_stats(args.profile)
    driver.join()
    if len(result) != args.rounds:
        raise SystemExit("the load did not finish: see its errors above")
    return result


def _transactions(count: int) -> list[bytes]:
    """`count` notary anchors by a few keys, each key's nonces in order."""
    keys = [PrivateKey.generate() for _ in range(16)]
    salt = os.urandom(8).hex()
    return [
        sign_transaction(
            keys[k % len(keys)],
            chain_id="bench-gateway-cpu",
            nonce=k // len(keys),
            module="notary",
            operation="anchor",
            args={"digest": hashlib.sha256(f"{salt}/{k}".encode()).digest(), "metadata": {}},
            gas_limit=GAS_LIMIT,
        ).encode()
        for k in range(count)
    ]


async def _load(plan_file: str) -> None:
    """The client side: the warm-up, "go", the measured requests, "done" (on stdout)."""
    plan = json.loads(Path(plan_file).read_text())
    connections = [
        Connection(HOST, plan["port"], source=source_address(n)) for n in range(plan["connections"])
    ]

    async def send(txs: list[str]) -> None:
        async def one_connection(connection: Connection, share: list[str]) -> None:
            for tx in share:
                answer = await connection.post(
                    "/v1/transactions", bytes.fromhex(tx), content_type=OCTETS
                )
                if answer.status != 202:
                    raise SystemExit(f"the gateway answered {answer.status}: {answer.body!r}")

        n = len(connections)
        await asyncio.gather(*(one_connection(c, txs[i::n]) for i, c in enumerate(connections)))

    await send(plan["warmup"])
    for txs in plan["rounds"]:
        print("go", flush=True)
        await send(txs)
        print("done", flush=True)
    for connection in connections:
        await connection.close()


async def _stub_rpc(port: int) -> None:
    """A CometBFT RPC that takes every transaction: `broadcast_tx_sync` answers its hash."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1]
                tx = target.partition(b"tx=0x")[2].partition(b"&")[0]
                tx_hash = hashlib.sha256(bytes.fromhex(tx.decode())).hexdigest().upper()
                body = (
                    b'{"jsonrpc":"2.0","id":-1,"result":{"code":0,"data":"","log":"",'
                    b'"codespace":"","hash":"%s"}}' % tx_hash.encode()
                )
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(serve, HOST, port)
    async with server:
        await server.serve_forever()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"the stub RPC did not listen on {port}") from None
            time.sleep(0.02)


if __name__ == "__main__":
    main()
