"""Real local networks for tests: made on free ports in the test's folder, always stopped.

Every network a test makes (or names with `track`, for networks the CLI makes) is stopped
when the test ends, passed or failed. Then no process may be left whose command line points
into the test's folder, and every port of the network must be free again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cornerstone.localnet import AppKind, Localnet, down, find_free_base_port
from cornerstone.localnet.ports import PORTS_PER_NODE, busy_ports

PORTS_FREED_TIMEOUT = 5.0
PROC = Path("/proc")


@dataclass
class LocalnetFactory:
    """`make(...)` creates (and by default starts) a network in the test's folder."""

    folder: Path
    homes: list[Path] = field(default_factory=list)
    port_blocks: list[tuple[int, int]] = field(default_factory=list)

    def make(
        self,
        *,
        orgs: int = 4,
        app: AppKind = "kvstore",
        start: bool = True,
        consensus: Mapping[str, str] | None = None,
    ) -> Localnet:
        base_port = self.free_base_port(orgs)
        home = self.track(self.folder / f"net{len(self.homes) + 1}")
        net = Localnet.create(home, orgs=orgs, base_port=base_port, app=app, consensus=consensus)
        if start:
            net.start()
        return net

    def free_base_port(self, orgs: int) -> int:
        base_port = find_free_base_port(orgs)
        self.port_blocks.append((base_port, orgs))
        return base_port

    def track(self, home: Path) -> Path:
        """Stop the network in `home` at the end of the test, whoever made it."""
        self.homes.append(home)
        return home

    def tear_down(self) -> None:
        problems = []
        for home in self.homes:
            try:
                down(home)
            except Exception as exc:  # keep stopping the others; report all at the end
                problems.append(f"down({home}) failed: {exc}")
        leftovers = processes_under(self.folder)
        for pid in leftovers:
            kill_group(pid)
        if leftovers:
            problems.append(f"processes were left running (now killed): {leftovers}")
        deadline = time.monotonic() + PORTS_FREED_TIMEOUT
        for base_port, orgs in self.port_blocks:
            ports = list(range(base_port, base_port + PORTS_PER_NODE * orgs))
            while (busy := busy_ports(ports)) and time.monotonic() < deadline:
                time.sleep(0.1)
            if busy:
                problems.append(f"ports still in use after the network stopped: {busy}")
        assert not problems, "; ".join(problems)


@pytest.fixture
def localnets(tmp_path: Path) -> Iterator[LocalnetFactory]:
    factory = LocalnetFactory(folder=tmp_path)
    yield factory
    factory.tear_down()


@pytest.fixture
def localnet(localnets: LocalnetFactory) -> Localnet:
    """A running network of four organizations with CometBFT's kvstore app."""
    return localnets.make()


def processes_under(folder: Path) -> list[int]:
    """Live processes with an argument inside `folder` (Linux; elsewhere: none known)."""
    if not PROC.is_dir():
        return []
    prefix = os.fsencode(folder)
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(argument.startswith(prefix) for argument in arguments):
            found.append(int(entry.name))
    return found


def kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)  # reap it if it is our child
