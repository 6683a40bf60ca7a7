"""Run one node's application: `python -m cornerstone.abci --listen HOST:PORT --data DIR`."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import os
import signal
import sys
from importlib import metadata
from pathlib import Path

import uvloop

from cornerstone.logs import LOG_FORMATS, configure_logging

STATE_LIBRARIES = ("lmdb", "cryptography", "pynacl", "protobuf", "umbral-pre")
"""Libraries whose behaviour reaches state: every node must run exactly the pinned versions."""


def _pins() -> dict[str, str]:
    """The exact versions pyproject.toml pins, as the installed package records them."""
    pins = {}
    for requirement in metadata.requires("cornerstone") or []:
        spec = requirement.split(";")[0].strip()
        name, sep, version = spec.partition("==")
        if sep:
            pins[name.strip().lower()] = version.strip()
    return pins


def _refuse_foreign_runtime() -> str | None:
    if sys.version_info[:2] != (3, 11):
        return f"this node needs Python 3.11, not {sys.version.split()[0]}"
    pins = _pins()
    for name in STATE_LIBRARIES:
        found = metadata.version(name)
        if found != pins[name]:
            return f"this node needs {name} {pins[name]}, not {found}: run `make setup`"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m cornerstone.abci")
    parser.add_argument("--listen", default="127.0.0.1:26658", help="HOST:PORT for CometBFT")
    parser.add_argument("--data", required=True, type=Path, help="the node's state folder")
    parser.add_argument(
        "--metrics-addr",
        metavar="HOST:PORT",
        help="serve GET /metrics (Prometheus) and GET /healthz here (default: not served)",
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="auto",
        help="json: one JSON object per line; text: for people; auto (default): text on a "
        "terminal, else json",
    )
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--listen wants HOST:PORT, not {args.listen!r}")
    metrics: tuple[str, int] | None = None
    if args.metrics_addr is not None:
        metrics_host, _, metrics_port = args.metrics_addr.rpartition(":")
        if not metrics_host or not metrics_port.isdigit():
            parser.error(f"--metrics-addr wants HOST:PORT, not {args.metrics_addr!r}")
        metrics = (metrics_host, int(metrics_port))
    configure_logging(args.log_format)
    problem = _refuse_foreign_runtime()
    if problem:
        print(f"cornerstone: {problem}", file=sys.stderr)
        raise SystemExit(2)
    profile_dir = os.environ.get("CORNERSTONE_PROFILE")
    profiler = cProfile.Profile() if profile_dir else None
    if profiler is not None:  # for developers: a cProfile of the whole node, written at exit
        profiler.enable()
    try:
        # libuv's loop (uvloop): the ABCI server's reads and writes cost a third of what
        # asyncio's own selector loop takes for them, and CheckTx arrives thousands a second.
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(_run(host, int(port), args.data, metrics))
    except _CannotListen as exc:
        print(f"cornerstone: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(Path(str(profile_dir)) / f"app-{os.getpid()}.prof")


class _CannotListen(Exception):
    """A port the application should listen on is taken: one sentence, no traceback."""


async def _run(host: str, port: int, data: Path, metrics_at: tuple[str, int] | None) -> None:
    from cornerstone.abci.app import Application
    from cornerstone.abci.http import HttpServer
    from cornerstone.abci.metrics import AppMetrics
    from cornerstone.abci.server import AbciServer
    from cornerstone.state import Store

    store = Store(data)
    app = Application(store)
    metrics = AppMetrics(height=lambda: store.height, connections=lambda: server.connections)

    def connected() -> None:
        app.connected()
        metrics.connected()

    server = AbciServer(metrics.instrument(app.handle), on_connect=connected)
    http = HttpServer(metrics.endpoints())
    if metrics_at is not None:
        # Before the ABCI port: whoever waits for that one finds the metrics served too.
        try:
            await http.start(*metrics_at)
        except OSError as exc:
            store.close()
            where = f"{metrics_at[0]}:{metrics_at[1]}"
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise _CannotListen(f"cannot serve metrics on {where}: {reason}") from None
    await server.start(host, port)
    log = logging.getLogger("cornerstone")
    log.info(
        "listening on %s:%d at height %d",
        host,
        port,
        store.height,
        extra={"height": store.height, "abci": f"{host}:{port}"},
    )
    if metrics_at is not None:
        where = f"http://{metrics_at[0]}:{metrics_at[1]}/metrics"
        log.info("metrics at %s", where, extra={"metrics": where})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    serving = asyncio.create_task(server.serve_forever())
    await stop.wait()
    serving.cancel()
    await server.stop()
    await http.stop()
    store.close()


if __name__ == "__main__":
    main()
