"""What the test suite's real servers (PostgreSQL, S3) share: a free loopback port, death with
the test process, the tail of a log for a failure's message, and a stop with a deadline."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
from pathlib import Path

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
