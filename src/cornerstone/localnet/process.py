"""Detached node processes, found again through pid files by any later command.

A process is started in a new session (so a Ctrl-C in the terminal that ran `localnet up` does
not reach it, and it outlives that command), with its output appended to a log file. Its pid
goes to a pid file next to the log. A pid file alone is not proof: pids are reused, so a
process counts as ours only while its command line holds the argument we started it with
(checked through /proc where the system has it).

Processes are started with `os.posix_spawn` rather than `subprocess.Popen`: a network outlives
the Python object that started it, and a dropped `Popen` of a running child warns
(ResourceWarning). Children of this process that exit are reaped whenever their state is asked.
"""

from __future__ import annotations

import os
import shlex
import signal
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cornerstone.errors import LocalnetError

POLL_INTERVAL = 0.05
"""Seconds between checks while waiting for a process to exit."""
PROC = Path("/proc")
EXEC_GRACE = 0.5
"""Seconds to wait for a just-started process's command line to appear in /proc."""


@dataclass(frozen=True, slots=True)
class Managed:
    """A process we start and stop: what it runs and where its pid and output go."""

    label: str
    """For people, e.g. "node2's cometbft"."""
    argv: tuple[str, ...]
    """Absolute program path, then its arguments."""
    marker: str
    """An argument only this process has (its home folder): how we recognise it by pid."""
    pid_file: Path
    log_file: Path


def start(process: Managed, *, env: Mapping[str, str] | None = None) -> int:
    """Start `process` detached, write its pid file, and return its pid."""
    process.log_file.parent.mkdir(parents=True, exist_ok=True)
    with process.log_file.open("a") as log:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        log.write(f"--- {stamp} starting: {shlex.join(process.argv)}\n")
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (
            os.POSIX_SPAWN_OPEN,
            1,
            str(process.log_file),
            os.O_WRONLY | os.O_CREAT | os.O_APPEND,
            0o644,
        ),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    try:
        pid = os.posix_spawn(
            process.argv[0],
            list(process.argv),
            dict(env if env is not None else os.environ),
            file_actions=actions,
            setsid=True,
        )
    except OSError as exc:
        raise LocalnetError(reason=f"could not start {process.label}: {exc}") from exc
    temporary = process.pid_file.with_suffix(".pid.tmp")
    temporary.write_text(f"{pid}\n")
    temporary.replace(process.pid_file)
    return pid


def running_pid(process: Managed) -> int | None:
    """The pid of `process` if its pid file names a live process that is `process`."""
    try:
        pid = int(process.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    return pid if _alive(pid, process.marker) else None


def is_running(process: Managed) -> bool:
    return running_pid(process) is not None


def stop(processes: Iterable[Managed], *, timeout: float) -> list[Managed]:
    """SIGTERM every running one of `processes`, SIGKILL those still there after `timeout`.

    Returns the processes that were running. Their pid files are removed.
    """
    running = [(process, pid) for process in processes if (pid := running_pid(process))]
    for _, pid in running:
        _signal(pid, signal.SIGTERM)
    left = _wait_gone(running, timeout=timeout)
    for _, pid in left:
        _signal(pid, signal.SIGKILL)
    if _wait_gone(left, timeout=timeout):
        names = ", ".join(process.label for process, _ in left)
        raise LocalnetError(reason=f"could not stop {names}, even with SIGKILL")
    for process, _ in running:
        process.pid_file.unlink(missing_ok=True)
    return [process for process, _ in running]


def kill(process: Managed, *, timeout: float) -> bool:
    """SIGKILL `process` (a crash, for tests) and wait until it is gone; False if not running."""
    pid = running_pid(process)
    if pid is None:
        return False
    _signal(pid, signal.SIGKILL)
    if _wait_gone([(process, pid)], timeout=timeout):
        raise LocalnetError(reason=f"{process.label} survived SIGKILL")
    process.pid_file.unlink(missing_ok=True)
    return True


def tail(path: Path, *, lines: int = 1) -> str:
    """The last `lines` non-empty lines of a log file, or "" if it has none."""
    try:
        with path.open("rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16_384))
            text = f.read().decode(errors="replace")
    except FileNotFoundError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _alive(pid: int, marker: str) -> bool:
    if _reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process now holds that pid
    if not PROC.is_dir():
        return True
    return _runs_with(pid, os.fsencode(marker))


def _runs_with(pid: int, marker: bytes) -> bool:
    """Whether live process `pid` has the argument `marker`, according to /proc.

    A zombie is not alive. A process in the middle of exec briefly shows an empty command line,
    so an empty one is read again for a moment before the benefit of the doubt is given.
    """
    deadline = time.monotonic() + EXEC_GRACE
    while True:
        try:
            state = (PROC / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
            arguments = (PROC / str(pid) / "cmdline").read_bytes()
        except (OSError, IndexError):
            return False
        if state in ("Z", "X"):
            _reap(pid)  # it may have exited since `_alive` tried
            return False
        if arguments or time.monotonic() >= deadline:
            return not arguments or marker in arguments.split(b"\0")
        time.sleep(POLL_INTERVAL / 10)


def _reap(pid: int) -> bool:
    """True if `pid` is a child of this process that had exited (and now is gone)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False  # not our child (or already reaped)
    return done == pid


def _signal(pid: int, sig: signal.Signals) -> None:
    """Signal the process group the process leads (it and any children), else the process."""
    try:
        if os.getpgid(pid) == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _wait_gone(
    processes: Sequence[tuple[Managed, int]], *, timeout: float
) -> list[tuple[Managed, int]]:
    """Wait until none of `processes` runs; return those still running at the deadline."""
    deadline = time.monotonic() + timeout
    left = list(processes)
    while True:
        left = [(process, pid) for process, pid in left if _alive(pid, process.marker)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(POLL_INTERVAL)
