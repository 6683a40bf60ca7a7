"""A network of one node per organization on this machine: created once, started, stopped.

Layout of a network's home folder:

    network.json            format version, chain id, CometBFT version, app kind, the nodes
    keys/org<i>.json        each organization's client key (mode 0600)
    keys/org<i>-admin.json  each organization's admin key (mode 0600)
    ca/org<i>/              each organization's certificate authority (identity/ca.py, the
                            folder `cornerstone ca` uses), which certified its client, admin
                            and validator keys
    node<i>/cometbft/       the node's CometBFT home (config, genesis, keys, block store)
    node<i>/app/            the application's data
    node<i>/gateway/        the gateway's SQL index; console.token: the token that lets
                            the web console sign with the organization's admin key; blobs/:
                            the ciphertexts the gateway stores (GET/PUT /v1/blobs/<sha256>),
                            and blob.token: the token uploads need (gateway/blobs.py)
    node<i>/app.log, node<i>/cometbft.log, node<i>/gateway.log, and a .pid file for each

Each node is three detached processes: the application, CometBFT, which connects to it over
ABCI, and the organization's gateway (HTTP API, index, event stream), which talks to CometBFT's
RPC. (With app="kvstore", CometBFT runs its built-in example app and there is one process: the
gateway serves the Cornerstone application only.)
Processes are found through their pid files, so `localnet down` in a new shell stops what
`localnet up` started. Nodes are numbered from 1, as their names are: `stop_node(2)` stops
node2.

The founding organizations' client and admin keys are registered on chain in the genesis, so
they sign as plain keys; their certificates let them sign as certificate holders too. Nodes run
with `filter_peers`: a node whose id no member organization lists is refused at connection.
`add_node` prepares the node of an organization that is not (yet) a member, to be admitted by
a governance proposal.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sys
import time
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

import httpx

from cornerstone.crypto import PrivateKey, PublicKey, save_key
from cornerstone.errors import LocalnetError
from cornerstone.identity.ca import CertificateAuthority
from cornerstone.identity.certs import valid_org_id
from cornerstone.identity.roles import Role
from cornerstone.localnet import cometbft, process
from cornerstone.localnet.config import (
    APP_KINDS,
    CONSENSUS_DEFAULTS,
    AppKind,
    check_database_prefix,
    consensus_timeouts,
    gateway_database,
    node_settings,
)
from cornerstone.localnet.database import ensure_database
from cornerstone.localnet.genesis import (
    FoundingMember,
    FoundingOrg,
    Validator,
    app_state,
    build_genesis,
    validator_from_key_file,
)
from cornerstone.localnet.ports import (
    HOST,
    MAX_PORT,
    METRICS_OFFSET,
    MIN_BASE_PORT,
    P2P_OFFSET,
    PORTS_PER_NODE,
    busy_ports,
    node_ports,
)
from cornerstone.localnet.process import Managed
from cornerstone.localnet.rpc import Rpc, SyncInfo, Unreachable
from cornerstone.localnet.tomlfile import set_values
from cornerstone.types import Height

FORMAT_VERSION = 2
"""Version of the home folder's layout; a home of another version is refused, not guessed.
2: organizations have certificate authorities and admin keys; nodes filter peers."""
MANIFEST = "network.json"
KEYS_DIR = "keys"
CA_DIR = "ca"
ADMIN_SUFFIX = "-admin"
CONSOLE_TOKEN = "console.token"
BLOB_TOKEN = "blob.token"
DEFAULT_BASE_PORT = 26600
DEFAULT_CHAIN_ID = "cornerstone-local"
DEFAULT_ORGS = 4
MAX_ORGS = 32
MAX_CHAIN_ID_LENGTH = 50
"""CometBFT's limit."""

START_TIMEOUT = 60.0
"""Seconds for a node's processes to come up and for the network's first block."""
STOP_TIMEOUT = 10.0
"""Seconds a process has to exit after SIGTERM before it gets SIGKILL."""
KILL_TIMEOUT = 5.0
POLL_INTERVAL = 0.2
PORT_RELEASE_GRACE = 5.0
"""Seconds a restarted node waits for its ports to be released by the processes it replaces;
seen once under load: a CometBFT stopped after its application was killed still held them."""
APP_ENV = {"PYTHONUNBUFFERED": "1"}
"""Added to the application's environment, so its log is written as it happens."""

Progress = Callable[[str], None]
T = TypeVar("T")


def _silent(_: str) -> None:
    """A progress callback that says nothing."""


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One node of the network: who runs it, where it lives, where it listens."""

    index: int
    """1-based position in the network."""
    name: str
    """node<index>."""
    org: str
    """The organization that runs it: org<index>."""
    home: Path
    """The node's folder, <network home>/node<index>."""
    node_id: str
    """CometBFT's P2P id of the node (hex of its node key's address)."""
    p2p_port: int
    rpc_port: int
    abci_port: int
    gateway_port: int
    """Where the organization's gateway serves HTTP (from the node's port block)."""

    @property
    def rpc_url(self) -> str:
        return f"http://{HOST}:{self.rpc_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.gateway_port}"

    @property
    def metrics_port(self) -> int:
        """Where the application serves /metrics and /healthz: a port of the node's block
        (derived, not stored, so networks made before it existed get it too)."""
        return self.p2p_port - P2P_OFFSET + METRICS_OFFSET

    @property
    def metrics_url(self) -> str:
        """The application's Prometheus metrics."""
        return f"http://{HOST}:{self.metrics_port}/metrics"

    @property
    def gateway_dir(self) -> Path:
        return self.home / "gateway"

    @property
    def console_token_file(self) -> Path:
        """Where the gateway writes, at each start, the token of its console's admin."""
        return self.gateway_dir / CONSOLE_TOKEN

    @property
    def blob_url(self) -> str:
        """The gateway's store of ciphertexts: the data plane's `--store` URL."""
        return f"{self.gateway_url}/v1/blobs"

    @property
    def blob_token_file(self) -> Path:
        """The token blob uploads to this node's gateway need (the gateway makes it at its
        first start and keeps it)."""
        return self.gateway_dir / BLOB_TOKEN

    @property
    def cometbft_home(self) -> Path:
        return self.home / "cometbft"

    @property
    def app_dir(self) -> Path:
        return self.home / "app"

    @property
    def app_log(self) -> Path:
        return self.home / "app.log"

    @property
    def cometbft_log(self) -> Path:
        return self.home / "cometbft.log"

    @property
    def peer_address(self) -> str:
        """How other nodes dial it: id@host:port."""
        return f"{self.node_id}@{HOST}:{self.p2p_port}"


@dataclass(frozen=True, slots=True)
class NodeStatus:
    """What one node is doing, as its pid files and its RPC tell."""

    name: str
    org: str
    rpc_url: str
    app_running: bool
    """The application process runs (for kvstore, which runs inside CometBFT: CometBFT runs)."""
    cometbft_running: bool
    height: Height | None
    """Latest committed height; None when the RPC does not answer (the node is down)."""
    app_hash: str | None
    """Lower-case hex app hash in the header of the block at `height`."""
    peers: int | None
    catching_up: bool | None
    gateway_url: str | None = None
    """The gateway's address; None when the node has no gateway (the kvstore app)."""
    gateway_running: bool = False
    """The gateway process runs."""
    metrics_url: str | None = None
    """The application's /metrics; None when the node runs no application of ours."""

    @property
    def answering(self) -> bool:
        return self.height is not None

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "name": self.name,
            "org": self.org,
            "rpc_url": self.rpc_url,
            "app_running": self.app_running,
            "cometbft_running": self.cometbft_running,
            "height": self.height,
            "app_hash": self.app_hash,
            "peers": self.peers,
            "catching_up": self.catching_up,
        }
        if self.gateway_url is not None:  # a kvstore network has none: no fields to mislead
            document["gateway_url"] = self.gateway_url
            document["gateway_running"] = self.gateway_running
        if self.metrics_url is not None:
            document["metrics_url"] = self.metrics_url
        return document


class Localnet:
    """A local network: `create` it once, `load` it in any later process, start and stop it."""

    def __init__(
        self,
        home: Path,
        *,
        chain_id: str,
        app: AppKind,
        base_port: int,
        cometbft_version: str,
        nodes: tuple[NodeSpec, ...],
        binary: Path,
        transport: httpx.BaseTransport | None = None,
        gateway_database: str | None = None,
    ) -> None:
        """Use `create` or `load`; this only holds what they read."""
        self.gateway_database = gateway_database
        """postgresql://USER@HOST:PORT/PREFIX: node i's gateway indexes into PREFIX_node<i>
        (`use_database`); None: each gateway's SQLite file in its folder."""
        self.home = home
        self.chain_id = chain_id
        self.app = app
        self.base_port = base_port
        self.cometbft_version = cometbft_version
        self.nodes = nodes
        self._binary = binary
        self._transport = transport
        self.run_gateways = True
        """False: start no gateways (the throughput benchmark compares the applications alone,
        as kvstore has none); not saved, so it holds for this object only."""

    # ------------------------------------------------------------------------ create and load
    @classmethod
    def create(
        cls,
        home: Path,
        *,
        orgs: int,
        base_port: int = DEFAULT_BASE_PORT,
        chain_id: str = DEFAULT_CHAIN_ID,
        app: AppKind = "cornerstone",
        consensus: Mapping[str, str] | None = None,
    ) -> Localnet:
        """Write a new network of `orgs` organizations, one node each, into `home`.

        `home` must not exist or be empty. Nothing is started. On failure nothing is left.
        """
        check_create_arguments(orgs=orgs, base_port=base_port, chain_id=chain_id, app=app)
        timeouts = consensus_timeouts(consensus)
        home = home.resolve()
        if (home / MANIFEST).exists():
            raise LocalnetError(
                reason=f"{home} holds a local network already: start it with "
                f"`cornerstone localnet up --home {home}`, or remove it with "
                f"`cornerstone localnet down --purge --home {home}`"
            )
        if home.exists() and (not home.is_dir() or any(home.iterdir())):
            raise LocalnetError(
                reason=f"{home} exists and is not an empty folder: choose another --home"
            )
        binary = cometbft.find_cometbft()
        version = cometbft.version(binary)
        existed = home.exists()
        try:
            net = cls._write(
                home,
                orgs=orgs,
                base_port=base_port,
                chain_id=chain_id,
                app=app,
                timeouts=timeouts,
                binary=binary,
                version=version,
            )
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            if existed:
                home.mkdir(exist_ok=True)
            raise
        return net

    @classmethod
    def _write(
        cls,
        home: Path,
        *,
        orgs: int,
        base_port: int,
        chain_id: str,
        app: AppKind,
        timeouts: Mapping[str, str],
        binary: Path,
        version: str,
    ) -> Localnet:
        home.mkdir(parents=True, exist_ok=True)
        (home / KEYS_DIR).mkdir(mode=0o700)
        nodes = []
        validators = []
        for index in range(1, orgs + 1):
            node = _init_node(binary, home, base_port, index, org=f"org{index}")
            nodes.append(node)
            key_file = _read_json(node.cometbft_home / "config" / "priv_validator_key.json")
            validators.append(validator_from_key_file(node.name, key_file))
        founders = [
            _found_org(home, node, validator)
            for node, validator in zip(nodes, validators, strict=True)
        ]

        genesis = build_genesis(
            _read_json(nodes[0].cometbft_home / "config" / "genesis.json"),
            chain_id=chain_id,
            genesis_time=datetime.now(UTC),
            validators=validators,
            state=app_state(app, founders),
        )
        genesis_text = json.dumps(genesis, indent=2) + "\n"
        for node in nodes:
            _configure(
                node,
                genesis_text=genesis_text,
                peers=[peer.peer_address for peer in nodes if peer is not node],
                app=app,
                timeouts=timeouts,
            )

        net = cls(
            home,
            chain_id=chain_id,
            app=app,
            base_port=base_port,
            cometbft_version=version,
            nodes=tuple(nodes),
            binary=binary,
        )
        _write_json_atomically(home / MANIFEST, net._manifest())  # last: marks the home complete
        return net

    @classmethod
    def load(cls, home: Path, *, transport: httpx.BaseTransport | None = None) -> Localnet:
        """The network `create` wrote into `home`.

        Refused when there is none, or when it was written by another layout version or for
        another CometBFT version (its block store and config may not be readable by this one).
        `transport` replaces the HTTP transport of RPC calls (for tests).
        """
        home = home.resolve()
        try:
            manifest = json.loads((home / MANIFEST).read_text())
        except FileNotFoundError:
            raise LocalnetError(
                reason=f"there is no local network in {home}: "
                "start one with `cornerstone localnet up`"
            ) from None
        except (OSError, ValueError) as exc:
            raise _incompatible(home, f"its {MANIFEST} cannot be read ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise _incompatible(
                home, f"it has layout version {found}, and this Cornerstone uses {FORMAT_VERSION}"
            )
        binary = cometbft.find_cometbft()
        installed = cometbft.version(binary)
        if manifest.get("cometbft_version") != installed:
            raise _incompatible(
                home,
                f"it was made for CometBFT {manifest.get('cometbft_version')}, "
                f"and CometBFT {installed} is installed",
            )
        try:
            app = manifest["app"]
            if app not in APP_KINDS:
                raise ValueError(f"unknown app {app!r}")
            base_port = int(manifest["base_port"])
            database = manifest.get("gateway_database")  # absent before it existed: SQLite
            if database is not None and not isinstance(database, str):
                raise ValueError("gateway_database is not text")
            nodes = tuple(
                NodeSpec(
                    index=int(entry["index"]),
                    name=str(entry["name"]),
                    org=str(entry["org"]),
                    home=home / str(entry["name"]),
                    node_id=str(entry["node_id"]),
                    p2p_port=int(entry["p2p_port"]),
                    rpc_port=int(entry["rpc_port"]),
                    abci_port=int(entry["abci_port"]),
                    gateway_port=node_ports(base_port, int(entry["index"])).gateway,
                )
                for entry in manifest["nodes"]
            )
            return cls(
                home,
                chain_id=str(manifest["chain_id"]),
                app=cast(AppKind, app),
                base_port=base_port,
                cometbft_version=installed,
                nodes=nodes,
                binary=binary,
                transport=transport,
                gateway_database=database,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise _incompatible(home, f"its {MANIFEST} is damaged ({exc})") from None

    def _manifest(self) -> dict[str, Any]:
        database = self.gateway_database
        return {
            "format": FORMAT_VERSION,
            "chain_id": self.chain_id,
            "app": self.app,
            "cometbft_version": self.cometbft_version,
            "base_port": self.base_port,
            "nodes": [
                {
                    "index": node.index,
                    "name": node.name,
                    "org": node.org,
                    "node_id": node.node_id,
                    "p2p_port": node.p2p_port,
                    "rpc_port": node.rpc_port,
                    "abci_port": node.abci_port,
                }
                for node in self.nodes
            ],
            # Only when set: a network without it reads as before, in any version.
            **({} if database is None else {"gateway_database": database}),
        }

    def use_database(self, prefix_url: str) -> None:
        """Index every node's gateway in PostgreSQL from its next start: node i's in database
        PREFIX_node<i> of `prefix_url` (postgresql://USER@HOST:PORT/PREFIX), created when the
        server lacks it. Kept in network.json, so later starts use it too."""
        check_database_prefix(prefix_url)
        self.gateway_database = prefix_url
        _write_json_atomically(self.home / MANIFEST, self._manifest())

    # ------------------------------------------------------------------------ what it has
    @property
    def orgs(self) -> int:
        return len(self.nodes)

    def node(self, index: int) -> NodeSpec:
        """Node `index`, counted from 1."""
        if not 1 <= index <= len(self.nodes):
            raise LocalnetError(
                reason=f"there is no node {index}: this network has nodes 1 to {len(self.nodes)}"
            )
        return self.nodes[index - 1]

    def key_file(self, index: int) -> Path:
        """The client key file of the organization that runs node `index`."""
        return self.home / KEYS_DIR / f"{self.node(index).org}.json"

    def admin_key_file(self, index: int) -> Path:
        """The admin key file of the organization that runs node `index`."""
        return self.home / KEYS_DIR / f"{self.node(index).org}{ADMIN_SUFFIX}.json"

    def ca_dir(self, index: int) -> Path:
        """The certificate authority folder of the organization that runs node `index`."""
        return ca_dir(self.home, self.node(index).org)

    # ------------------------------------------------------------------------ grow
    def add_node(self, org: str) -> NodeSpec:
        """Prepare, without starting it, a node for organization `org`, which is not a member:
        same genesis, every existing node as a persistent peer, the next ports.

        Its peers refuse it until a proposal adds `org` with this node's id; it then connects
        and catches up, and becomes a validator if the proposal names its validator key.
        """
        if self.app != "cornerstone":
            raise LocalnetError(reason="only a network of the cornerstone app can grow")
        if not valid_org_id(org):
            raise LocalnetError(reason=f"{org!r} is not an organization id (like org5)")
        if any(node.org == org for node in self.nodes):
            raise LocalnetError(reason=f"{org} runs a node of this network already")
        index = len(self.nodes) + 1
        check_create_arguments(
            orgs=index, base_port=self.base_port, chain_id=self.chain_id, app=self.app
        )
        first = self.nodes[0].cometbft_home / "config"
        timeouts = consensus_timeouts(
            {
                key: str(value)
                for key, value in tomllib.loads((first / "config.toml").read_text())[
                    "consensus"
                ].items()
                if key in CONSENSUS_DEFAULTS
            }
        )
        node_home = self.home / f"node{index}"
        try:
            node = _init_node(self._binary, self.home, self.base_port, index, org=org)
            _configure(
                node,
                genesis_text=(first / "genesis.json").read_text(),
                peers=[peer.peer_address for peer in self.nodes],
                app=self.app,
                timeouts=timeouts,
            )
            self.nodes = (*self.nodes, node)
            _write_json_atomically(self.home / MANIFEST, self._manifest())
        except BaseException:
            self.nodes = tuple(n for n in self.nodes if n.index != index)
            shutil.rmtree(node_home, ignore_errors=True)
            raise
        return node

    # ------------------------------------------------------------------------ start and stop
    def start(self, progress: Progress = _silent) -> None:
        """Start every node that is not running, and wait until every node has a block.

        If a node cannot start, the nodes this call started are stopped again.
        """
        pending = [node for node in self.nodes if not self._fully_running(node)]
        if not pending:
            progress("every node is running already")
        self._start_nodes(pending, progress=progress)
        try:
            progress("waiting for the first block…")
            self._wait_until(
                self.nodes,
                reached=lambda info: info.height >= 1,
                goal="produce a first block",
                timeout=START_TIMEOUT,
                watch=self.nodes,
            )
        except BaseException:
            self._stop_nodes(pending)
            raise

    def start_node(self, index: int) -> None:
        """Start whichever of node `index`'s processes is not running; wait until its RPC
        answers (it may still be catching up: see `wait_for_height`)."""
        node = self.node(index)
        self._start_nodes([node])
        try:
            self._wait_until(
                [node],
                reached=lambda _: True,
                goal="answer on its RPC",
                timeout=START_TIMEOUT,
                watch=[node],
            )
        except BaseException:
            self._stop_nodes([node])
            raise

    def stop_node(self, index: int) -> None:
        """Stop node `index` gracefully: SIGTERM, then SIGKILL after a deadline."""
        self._stop_nodes([self.node(index)])

    def stop(self) -> int:
        """Stop every process of the network; return how many were running."""
        return self._stop_nodes(self.nodes)

    def kill_app(self, index: int) -> None:
        """SIGKILL node `index`'s application, as a crash would (CometBFT then exits too)."""
        node = self.node(index)
        app = self._app_process(node)
        if app is None:
            raise LocalnetError(
                reason=f"{node.name} runs CometBFT's kvstore inside CometBFT: "
                "there is no application process to kill"
            )
        process.kill(app, timeout=KILL_TIMEOUT)

    def kill_cometbft(self, index: int) -> None:
        """SIGKILL node `index`'s CometBFT, as a crash would."""
        process.kill(self._cometbft_process(self.node(index)), timeout=KILL_TIMEOUT)

    def __enter__(self) -> Localnet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------------ observe
    def status(self) -> list[NodeStatus]:
        """Every node's processes and, from its RPC, its chain; a silent node is reported down."""
        with Rpc(transport=self._transport) as rpc:
            return [self._node_status(rpc, node) for node in self.nodes]

    def wait_for_height(
        self, height: int, *, timeout: float, nodes: Sequence[int] | None = None
    ) -> None:
        """Wait until the given nodes (indexes from 1; default: all) have committed block
        `height`; LocalnetError naming each laggard and its height after `timeout` seconds."""
        chosen = self.nodes if nodes is None else [self.node(index) for index in nodes]
        self._wait_until(
            chosen,
            reached=lambda info: info.height >= height,
            goal=f"reach height {height}",
            timeout=timeout,
        )

    def app_hashes(self, height: int, *, nodes: Sequence[int] | None = None) -> dict[str, str]:
        """Each node's app hash in the header of block `height`, by node name."""
        chosen = self.nodes if nodes is None else [self.node(index) for index in nodes]
        hashes = {}
        with Rpc(transport=self._transport) as rpc:
            for node in chosen:
                try:
                    hashes[node.name] = rpc.header_app_hash(node.rpc_url, height)
                except Unreachable as exc:
                    raise LocalnetError(
                        reason=f"{node.name} did not give block {height}'s header: {exc}"
                    ) from None
        return hashes

    # ------------------------------------------------------------------------ internals
    def _app_process(self, node: NodeSpec) -> Managed | None:
        if self.app == "kvstore":
            return None
        return Managed(
            label=f"{node.name}'s application",
            argv=(
                sys.executable,
                "-m",
                "cornerstone.abci",
                "--listen",
                f"{HOST}:{node.abci_port}",
                "--data",
                str(node.app_dir),
                "--metrics-addr",
                f"{HOST}:{node.metrics_port}",
                "--log-format",
                "json",
            ),
            marker=str(node.app_dir),
            pid_file=node.home / "app.pid",
            log_file=node.app_log,
        )

    def _cometbft_process(self, node: NodeSpec) -> Managed:
        return _cometbft_managed(node.home, argv0=str(self._binary))

    def _gateway_process(self, node: NodeSpec) -> Managed | None:
        """The organization's gateway; none for kvstore, which is not our application."""
        if self.app == "kvstore" or not self.run_gateways:
            return None
        return Managed(
            label=f"{node.name}'s gateway",
            argv=(
                sys.executable,
                "-m",
                "cornerstone.gateway",
                "--rpc",
                node.rpc_url,
                "--listen",
                f"{HOST}:{node.gateway_port}",
                "--data",
                str(node.gateway_dir),
                "--blob-token-file",
                str(node.blob_token_file),
                *self._database_arguments(node),
                "--log-format",
                "json",
                *self._managed_key_arguments(node),
            ),
            marker=str(node.gateway_dir),
            pid_file=node.home / "gateway.pid",
            log_file=node.home / "gateway.log",
        )

    def _database_arguments(self, node: NodeSpec) -> tuple[str, ...]:
        if self.gateway_database is None:
            return ()
        return ("--database", gateway_database(self.gateway_database, node.name))

    def _managed_key_arguments(self, node: NodeSpec) -> tuple[str, ...]:
        """The gateway signs for its console's admin with its own organization's admin key,
        and no other (an organization added later has no key file here: none)."""
        admin = self.home / KEYS_DIR / f"{node.org}{ADMIN_SUFFIX}.json"
        if not admin.is_file():
            return ()
        return (
            "--managed-key",
            f"{node.org}{ADMIN_SUFFIX}={admin}",
            "--console-token-file",
            str(node.console_token_file),
        )

    def _processes(self, node: NodeSpec) -> list[Managed]:
        """Every process of `node`, in the order they start."""
        return [
            managed
            for managed in (
                self._app_process(node),
                self._cometbft_process(node),
                self._gateway_process(node),
            )
            if managed is not None
        ]

    def _fully_running(self, node: NodeSpec) -> bool:
        return all(process.is_running(managed) for managed in self._processes(node))

    def _start_nodes(self, nodes: Sequence[NodeSpec], *, progress: Progress = _silent) -> None:
        """Start the missing processes of `nodes`: applications first, then CometBFT."""
        apps: list[tuple[NodeSpec, Managed]] = []
        comets: list[tuple[NodeSpec, Managed]] = []
        gateways: list[tuple[NodeSpec, Managed]] = []
        for node in nodes:
            app = self._app_process(node)
            comet = self._cometbft_process(node)
            gateway = self._gateway_process(node)
            if app is not None and not process.is_running(app):
                # CometBFT exits when its application goes away; one still running is about to.
                process.stop([comet], timeout=STOP_TIMEOUT)
                apps.append((node, app))
            if not process.is_running(comet):
                comets.append((node, comet))
            if gateway is not None and not process.is_running(gateway):
                gateways.append((node, gateway))
        # A process stopped just now (or that exited with its application) may still be
        # releasing its sockets for a moment after it is gone: give them PORT_RELEASE_GRACE.
        _check_ports(
            [port for node, _ in apps for port in (node.abci_port, node.metrics_port)]
            + [port for node, _ in comets for port in (node.p2p_port, node.rpc_port)]
            + [node.gateway_port for node, _ in gateways],
            grace=PORT_RELEASE_GRACE,
        )
        try:
            for node in nodes:
                gateway_text = f" gateway {node.gateway_url}" if self.app != "kvstore" else ""
                progress(f"starting {node.name} ({node.org}) rpc {node.rpc_url}{gateway_text}")
            for _, app in apps:
                process.start(app, env={**os.environ, **APP_ENV})
            for node, app in apps:
                self._wait_for_listener(app, node.abci_port)
            for _, comet in comets:
                process.start(comet)
            # The gateway follows CometBFT's RPC and retries until it answers: no wait for it.
            if self.gateway_database is not None:
                for node, _ in gateways:
                    ensure_database(gateway_database(self.gateway_database, node.name))
            for _, gateway in gateways:
                process.start(gateway, env={**os.environ, **APP_ENV})
            for node, gateway in gateways:
                self._wait_for_listener(gateway, node.gateway_port)
        except BaseException:
            process.stop([gateway for _, gateway in gateways], timeout=STOP_TIMEOUT)
            process.stop([comet for _, comet in comets], timeout=STOP_TIMEOUT)
            process.stop([app for _, app in apps], timeout=STOP_TIMEOUT)
            raise

    def _wait_for_listener(self, managed: Managed, port: int) -> None:
        """Wait until `managed` accepts connections on `port`."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1.0):
                    return
            except OSError:
                pass
            _require_running(managed)
            if time.monotonic() >= deadline:
                raise LocalnetError(
                    reason=f"{managed.label} did not listen on port {port} within "
                    f"{START_TIMEOUT:g} s: see {managed.log_file}"
                )
            time.sleep(POLL_INTERVAL / 4)

    def _stop_nodes(self, nodes: Sequence[NodeSpec]) -> int:
        """Stop the gateways (their clients go first), then CometBFT (so it does not see its
        application vanish), then the applications."""
        gateways = [gw for node in nodes if (gw := self._gateway_process(node)) is not None]
        comets = [self._cometbft_process(node) for node in nodes]
        apps = [app for node in nodes if (app := self._app_process(node)) is not None]
        stopped = process.stop(gateways, timeout=STOP_TIMEOUT)
        stopped += process.stop(comets, timeout=STOP_TIMEOUT)
        stopped += process.stop(apps, timeout=STOP_TIMEOUT)
        return len(stopped)

    def _wait_until(
        self,
        nodes: Sequence[NodeSpec],
        *,
        reached: Callable[[SyncInfo], bool],
        goal: str,
        timeout: float,
        watch: Sequence[NodeSpec] = (),
    ) -> None:
        """Poll `nodes` until `reached` holds for each; LocalnetError naming the laggards.

        A process of a `watch` node that exits fails the wait at once, with its log's last line.
        """
        deadline = time.monotonic() + timeout
        with Rpc(transport=self._transport) as rpc:
            while True:
                laggards: list[tuple[NodeSpec, SyncInfo | None]] = []
                for node in nodes:
                    info = _sync_info(rpc, node)
                    if info is None or not reached(info):
                        laggards.append((node, info))
                if not laggards:
                    return
                for node in watch:
                    for managed in self._processes(node):
                        _require_running(managed)
                if time.monotonic() >= deadline:
                    behind = ", ".join(_describe(node, info) for node, info in laggards)
                    raise LocalnetError(
                        reason=f"not every node could {goal} within {timeout:g} s: {behind}"
                    )
                time.sleep(POLL_INTERVAL)

    def _node_status(self, rpc: Rpc, node: NodeSpec) -> NodeStatus:
        comet_running = process.is_running(self._cometbft_process(node))
        app = self._app_process(node)
        gateway = self._gateway_process(node)
        info = _sync_info(rpc, node)
        return NodeStatus(
            name=node.name,
            org=node.org,
            rpc_url=node.rpc_url,
            app_running=comet_running if app is None else process.is_running(app),
            cometbft_running=comet_running,
            height=None if info is None else info.height,
            app_hash=None if info is None else info.app_hash,
            peers=None if info is None else _try(rpc.peer_count, node.rpc_url),
            catching_up=None if info is None else info.catching_up,
            gateway_url=None if gateway is None else node.gateway_url,
            gateway_running=gateway is not None and process.is_running(gateway),
            metrics_url=None if app is None else node.metrics_url,
        )


def down(home: Path, *, purge: bool = False) -> int:
    """Stop every process of the network in `home`, found by pid files; return how many ran.

    Works for a network `load` refuses (another version), so there is always a way out.
    `purge` then deletes `home`, but only if it is a local network's home.
    """
    home = home.resolve()
    if not home.exists():
        return 0
    if not (home / MANIFEST).is_file():
        raise LocalnetError(
            reason=f"{home} is not a local network (it has no {MANIFEST}): "
            "nothing was stopped or deleted"
        )
    node_homes = sorted(path for path in home.glob("node*") if path.is_dir())
    gateways = [
        Managed(
            label=f"{node_home.name}'s gateway",
            argv=(),
            marker=str(node_home / "gateway"),
            pid_file=node_home / "gateway.pid",
            log_file=node_home / "gateway.log",
        )
        for node_home in node_homes
    ]
    comets = [_cometbft_managed(node_home, argv0="cometbft") for node_home in node_homes]
    apps = [
        Managed(
            label=f"{node_home.name}'s application",
            argv=(),
            marker=str(node_home / "app"),
            pid_file=node_home / "app.pid",
            log_file=node_home / "app.log",
        )
        for node_home in node_homes
    ]
    stopped = process.stop(gateways, timeout=STOP_TIMEOUT)
    stopped += process.stop(comets, timeout=STOP_TIMEOUT)
    stopped += process.stop(apps, timeout=STOP_TIMEOUT)
    if purge:
        shutil.rmtree(home)
    return len(stopped)


def ca_dir(home: Path, org: str) -> Path:
    """Where a local network keeps organization `org`'s certificate authority."""
    return home / CA_DIR / org


def _init_node(binary: Path, home: Path, base_port: int, index: int, *, org: str) -> NodeSpec:
    """`cometbft init` node `index`'s home, and say where it listens."""
    node_home = home / f"node{index}"
    cometbft.init_home(binary, node_home / "cometbft")
    (node_home / "app").mkdir()
    ports = node_ports(base_port, index)
    return NodeSpec(
        index=index,
        name=f"node{index}",
        org=org,
        home=node_home,
        node_id=cometbft.node_id(binary, node_home / "cometbft"),
        p2p_port=ports.p2p,
        rpc_port=ports.rpc,
        abci_port=ports.abci,
        gateway_port=ports.gateway,
    )


def _configure(
    node: NodeSpec,
    *,
    genesis_text: str,
    peers: Sequence[str],
    app: AppKind,
    timeouts: Mapping[str, str],
) -> None:
    """Write the shared genesis and our settings into node's CometBFT config."""
    config_dir = node.cometbft_home / "config"
    (config_dir / "genesis.json").write_text(genesis_text)
    settings = node_settings(
        moniker=node.name,
        p2p_port=node.p2p_port,
        rpc_port=node.rpc_port,
        abci_port=node.abci_port,
        peers=peers,
        app=app,
        timeouts=timeouts,
    )
    config_file = config_dir / "config.toml"
    config_file.write_text(set_values(config_file.read_text(), settings))


def _found_org(home: Path, node: NodeSpec, validator: Validator) -> FoundingOrg:
    """Organization `node.org`'s CA, and its client and admin keys, each with a certificate
    from that CA (the validator's key gets one too): every identity a founder needs."""
    org = node.org
    authority = CertificateAuthority.create(ca_dir(home, org), org)
    members = []
    for name, role, file_name in (
        ("client", Role.CLIENT, f"{org}.json"),
        ("admin", Role.ADMIN, f"{org}{ADMIN_SUFFIX}.json"),
    ):
        key = PrivateKey.generate()
        save_key(home / KEYS_DIR / file_name, key, name=f"{org} {name}")
        authority.issue(name, role, public_key=key.public_key)
        members.append(FoundingMember(name=name, role=role, public_key=key.public_key))
    authority.issue("validator", Role.VALIDATOR, public_key=PublicKey(validator.public_key))
    return FoundingOrg(
        id=org,
        name=f"Organization {node.index}",
        root_certificate=authority.certificate_der,
        nodes=(node.node_id,),
        validators=(validator,),
        members=tuple(members),
    )


def _cometbft_managed(node_home: Path, *, argv0: str) -> Managed:
    return Managed(
        label=f"{node_home.name}'s cometbft",
        argv=(argv0, "start", "--home", str(node_home / "cometbft")),
        marker=str(node_home / "cometbft"),
        pid_file=node_home / "cometbft.pid",
        log_file=node_home / "cometbft.log",
    )


def check_create_arguments(*, orgs: int, base_port: int, chain_id: str, app: str) -> None:
    """LocalnetError for arguments `Localnet.create` would refuse."""
    if not 1 <= orgs <= MAX_ORGS:
        raise LocalnetError(reason=f"a local network has 1 to {MAX_ORGS} organizations, not {orgs}")
    highest = MAX_PORT - PORTS_PER_NODE * orgs + 1
    if not MIN_BASE_PORT <= base_port <= highest:
        raise LocalnetError(
            reason=f"base port {base_port} does not fit {orgs} nodes: "
            f"choose one from {MIN_BASE_PORT} to {highest}"
        )
    if not chain_id or len(chain_id) > MAX_CHAIN_ID_LENGTH or not chain_id.isprintable():
        raise LocalnetError(
            reason=f"the chain id must be 1 to {MAX_CHAIN_ID_LENGTH} printable characters"
        )
    if app not in APP_KINDS:
        raise LocalnetError(reason=f"unknown app {app!r}; choose one of {', '.join(APP_KINDS)}")


def check_ports_free(*, base_port: int, orgs: int) -> None:
    """LocalnetError naming the ports in use, if any port a new network would listen on is."""
    layouts = [node_ports(base_port, index) for index in range(1, orgs + 1)]
    _check_ports([port for p in layouts for port in (p.p2p, p.rpc, p.abci, p.gateway, p.metrics)])


def _check_ports(ports: Sequence[int], *, grace: float = 0.0) -> None:
    """LocalnetError naming the ports of `ports` that are in use, after waiting up to `grace`
    seconds for them to be released."""
    deadline = time.monotonic() + grace
    while (busy := busy_ports(list(ports))) and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
    if not busy:
        return
    listed = ", ".join(str(port) for port in busy)
    if len(busy) == 1:
        where = f"port {listed} on {HOST} is in use: stop the network that holds it"
    else:
        where = f"ports {listed} on {HOST} are in use: stop the network that holds them"
    raise LocalnetError(
        reason=f"{where} with `cornerstone localnet down`, "
        "or create this network with another --base-port"
    )


def _incompatible(home: Path, why: str) -> LocalnetError:
    return LocalnetError(
        reason=f"the local network in {home} cannot be used: {why}; "
        f"run `cornerstone localnet down --purge --home {home}` or choose another --home"
    )


def _require_running(managed: Managed) -> None:
    if not process.is_running(managed):
        last = process.tail(managed.log_file)
        raise LocalnetError(
            reason=f"{managed.label} exited"
            + (f" ({last})" if last else "")
            + f": see {managed.log_file}"
        )


def _sync_info(rpc: Rpc, node: NodeSpec) -> SyncInfo | None:
    """The node's sync info, or None when it does not answer or another node answers on its
    port (say, a node of another network started there)."""
    info = _try(rpc.sync_info, node.rpc_url)
    return info if info is not None and info.node_id == node.node_id else None


def _try(call: Callable[[str], T], rpc_url: str) -> T | None:
    try:
        return call(rpc_url)
    except Unreachable:
        return None


def _describe(node: NodeSpec, info: SyncInfo | None) -> str:
    if info is None:
        return f"{node.name} does not answer at {node.rpc_url} (see {node.cometbft_log})"
    return f"{node.name} is at height {info.height}"


def _read_json(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text())
    if not isinstance(document, dict):
        raise LocalnetError(reason=f"{path} is not a JSON object")
    return document


def _write_json_atomically(path: Path, document: Mapping[str, Any]) -> None:
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)
