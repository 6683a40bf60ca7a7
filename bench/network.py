"""A throwaway four-validator network for one benchmark run, and the CPU its processes use.

    with running_network("cornerstone") as net:     # fresh temp home, free ports, started
        ...                                          # stopped and deleted on the way out

Every run of `make bench` (our application, CometBFT's kvstore) goes through here with the same
`consensus` settings, so they differ in the application only.

"kvstore-socket" is CometBFT's same kvstore application run out of process (`abci-cli kvstore`,
built from the same CometBFT module on first use), reached over the ABCI socket as ours is:
built-in, kvstore runs inside CometBFT and pays no ABCI transport at all, which no application
in another process, in any language, can match. The two kvstore runs tell the transport's cost
apart from the application's.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from cornerstone.localnet import Localnet
from cornerstone.localnet.cometbft import REPO_BINARY, find_cometbft, version
from cornerstone.localnet.ports import HOST, find_free_base_port
from cornerstone.localnet.tomlfile import TOP_LEVEL, TomlValue, set_values

ORGS: Final = 4
CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
BenchApp = Literal["cornerstone", "kvstore", "kvstore-socket"]
ABCI_CLI: Final = REPO_BINARY.parent / "abci-cli"
"""CometBFT's example-application runner, built next to cometbft when a benchmark needs it."""


@contextmanager
def running_network(
    app: BenchApp,
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
    socket_app = app == "kvstore-socket"
    with (
        tempfile.TemporaryDirectory(prefix=f"cornerstone-bench-{app}-") as directory,
        ExitStack() as stack,
    ):
        net = Localnet.create(
            Path(directory) / "net",
            orgs=orgs,
            base_port=find_free_base_port(orgs),
            chain_id=f"bench-{app}",
            app="kvstore" if app == "kvstore-socket" else app,
            consensus=consensus,
        )
        net.run_gateways = gateways
        for node in net.nodes:
            settings = {section: dict(values) for section, values in (config or {}).items()}
            if socket_app:
                address = f"tcp://{HOST}:{node.abci_port}"
                settings.setdefault(TOP_LEVEL, {})["proxy_app"] = address
                stack.enter_context(_abci_cli_kvstore(address, node.home))
            path = node.cometbft_home / "config" / "config.toml"
            path.write_text(set_values(path.read_text(), settings))
        try:
            net.start()
            yield net
        finally:
            net.stop()


@contextmanager
def _abci_cli_kvstore(address: str, home: Path) -> Iterator[None]:
    """`abci-cli kvstore` serving `address`, its pid in home/abci-cli.pid (so it counts as
    the node's application), stopped on the way out."""
    with (home / "abci-cli.log").open("wb") as log:
        process = subprocess.Popen(
            [str(abci_cli()), "kvstore", "--address", address],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    (home / "abci-cli.pid").write_text(f"{process.pid}\n")
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def abci_cli() -> Path:
    """CometBFT's abci-cli, of the same version as cometbft, built with `go install` the first
    time (a few seconds once the CometBFT module is in Go's cache, as setup leaves it)."""
    if ABCI_CLI.is_file():
        return ABCI_CLI
    module = f"github.com/cometbft/cometbft/abci/cmd/abci-cli@v{version(find_cometbft())}"
    environment = {**os.environ, "GOBIN": str(ABCI_CLI.parent), "GOFLAGS": "-buildvcs=false"}
    built = subprocess.run(
        ["go", "install", module], env=environment, capture_output=True, text=True, check=False
    )
    if built.returncode != 0 or not ABCI_CLI.is_file():
        raise SystemExit(f"could not build {module}: {built.stderr.strip()[-500:]}")
    return ABCI_CLI


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
        for kind, pid_file in (
            ("cometbft", "cometbft.pid"),
            ("app", "app.pid"),
            ("app", "abci-cli.pid"),
        ):
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
