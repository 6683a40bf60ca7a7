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

STATE_LIBRARIES = ("lmdb", "cryptography", "pynacl", "protobuf")
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
    args = parser.parse_args()
    logging.basicConfig(
        level=logging.INFO,
        format='{"time": "%(asctime)s", "level": "%(levelname)s", "logger": "%(name)s", '
        '"message": "%(message)s"}',
    )
    problem = _refuse_foreign_runtime()
    if problem:
        print(f"cornerstone: {problem}", file=sys.stderr)
        raise SystemExit(2)
    host, _, port = args.listen.rpartition(":")
    profile_dir = os.environ.get("CORNERSTONE_PROFILE")
    if not profile_dir:
        asyncio.run(_run(host, int(port), args.data))
        return
    # For developers: a cProfile of the whole node, written when it stops.
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        asyncio.run(_run(host, int(port), args.data))
    finally:
        profiler.disable()
        profiler.dump_stats(Path(profile_dir) / f"app-{os.getpid()}.prof")


async def _run(host: str, port: int, data: Path) -> None:
    from cornerstone.abci.app import Application
    from cornerstone.abci.server import AbciServer
    from cornerstone.state import Store

    store = Store(data)
    app = Application(store)
    server = AbciServer(app.handle, on_connect=app.connected)
    await server.start(host, port)
    logging.getLogger("cornerstone").info(
        "listening on %s:%d at height %d", host, port, store.height
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    serving = asyncio.create_task(server.serve_forever())
    await stop.wait()
    serving.cancel()
    await server.stop()
    store.close()


if __name__ == "__main__":
    main()
