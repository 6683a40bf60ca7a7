"""A throwaway four-validator network for one benchmark run, and the CPU its processes use.

    with running_network("cornerstone") as net:     # fresh temp home, free ports, started
        ...                                          # stopped and deleted on the way out

Both runs of `make bench` (our application and CometBFT's kvstore) go through here with the
same `consensus` settings, so they differ in the application only.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cornerstone.localnet import AppKind, Localnet
from cornerstone.localnet.ports import find_free_base_port
from cornerstone.localnet.tomlfile import TomlValue, set_values

ORGS: Final = 4
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")


@contextmanager
def running_network(
    app: AppKind,
    *,
    consensus: Mapping[str, str] | None = None,
    config: Mapping[str, Mapping[str, TomlValue]] | None = None,
    orgs: int = ORGS,
    gateways: bool = True,
) -> Iterator[Localnet]:
    """A started network of `orgs` validators running `app`, in a temporary home; with
    `gateways` False, without the organizations' gateways.

    `config` sets more keys of every node's config.toml ({section: {key: value}}) before the
    start. Every process is stopped and the home deleted when the block exits, however it exits.
    """
    with tempfile.TemporaryDirectory(prefix=f"cornerstone-bench-{app}-") as directory:
        net = Localnet.create(
            Path(directory) / "net",
            orgs=orgs,
            base_port=find_free_base_port(orgs),
            chain_id=f"bench-{app}",
            app=app,
            consensus=consensus,
        )
        net.run_gateways = gateways
        for node in net.nodes:
            path = node.cometbft_home / "config" / "config.toml"
            path.write_text(set_values(path.read_text(), config or {}))
        try:
            net.start()
            yield net
        finally:
            net.stop()


@dataclass(frozen=True, slots=True)
class Process:
    """One running process of a network."""

    label: str
    """e.g. node1 cometbft."""
    kind: str
    """cometbft or app."""
    pid: int


def network_processes(net: Localnet) -> list[Process]:
    """The running processes of `net`, from its pid files."""
    found = []
    for node in net.nodes:
        for kind, pid_file in (("cometbft", "cometbft.pid"), ("app", "app.pid")):
            try:
                pid = int((node.home / pid_file).read_text().strip())
            except (FileNotFoundError, ValueError):
                continue
            found.append(Process(label=f"{node.name} {kind}", kind=kind, pid=pid))
    return found


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds process `pid` has used so far; None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    # After the command name: state is field 3 of stat(5), so utime (14) and stime (15) are
    # at 11 and 12 here.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class CpuMeter:
    """CPU used by a network's processes and by this process between `start` and `stop`."""

    def __init__(self, processes: list[Process]) -> None:
        self._processes = processes
        self._before: dict[int, float] = {}
        self._self_before = 0.0
        self.used: dict[str, float] = {}
        """CPU seconds by process label (and "loadgen" for this process), after `stop`."""

    def start(self) -> None:
        self._before = {p.pid: cpu_seconds(p.pid) or 0.0 for p in self._processes}
        self._self_before = _own_cpu()

    def stop(self) -> None:
        for p in self._processes:
            now = cpu_seconds(p.pid)
            if now is not None:
                self.used[p.label] = now - self._before.get(p.pid, 0.0)
        self.used["loadgen"] = _own_cpu() - self._self_before

    def by_kind(self) -> dict[str, float]:
        """CPU seconds summed by kind: cometbft, app, loadgen."""
        kinds = {p.label: p.kind for p in self._processes}
        totals: dict[str, float] = {}
        for label, seconds in self.used.items():
            kind = kinds.get(label, label)
            totals[kind] = totals.get(kind, 0.0) + seconds
        return totals


def _own_cpu() -> float:
    times = os.times()
    return times.user + times.system
