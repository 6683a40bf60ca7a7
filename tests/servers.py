"""What the test suite's real servers (PostgreSQL, S3) share: a free loopback port, death with
the test process, waiting until one answers, the tail of a log for a failure's message, and a
stop with a deadline."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Protocol, TypeVar

PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def die_with_parent() -> None:
    """In the server's process before exec (after it took its user): SIGTERM when the test
    process ends, so a killed test run leaves no server behind. One system call through a
    handle opened before the fork, nothing else."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def log_tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no log)"


def stop_process(
    process: subprocess.Popen[bytes] | None, *, signal_number: int, deadline_s: float
) -> None:
    """Ask the server to stop with `signal_number`, then kill it past the deadline."""
    if process is not None and process.poll() is None:
        process.send_signal(signal_number)
        try:
            process.wait(timeout=deadline_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers_before(
    process: subprocess.Popen[bytes],
    probe: Callable[[], bool],
    *,
    deadline_s: float,
    interval_s: float,
) -> bool | None:
    """Poll `probe` (True once the server answers) against a deadline: True when it answered,
    False when the process exited first (its port was taken), None when the deadline passed."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if probe():
            return True
        time.sleep(interval_s)  # polled against the deadline, not waited out for luck
    return None


class Server(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def remove(self) -> None: ...


S = TypeVar("S", bound=Server)


def one_per_session(running: MutableMapping[str, S], make: Callable[[], S]) -> Iterator[S]:
    """The body of a session fixture for a server started once. Each test module that imports
    the fixture is its own fixture definition to pytest, so the server is kept in `running` and
    every module's teardown stops it (the first at the session's end; the others find it gone).
    """
    try:
        if "server" not in running:
            server = running["server"] = make()
            server.start()
        yield running["server"]
    finally:
        stopping = running.pop("server", None)
        if stopping is not None:
            stopping.stop()
            stopping.remove()
