"""Where every node of a local network listens, and whether those ports are free.

Node i (1-based) owns ten ports from `base_port + 10 * (i - 1)`:

    +0  CometBFT P2P          +2  ABCI (CometBFT -> our application)
    +1  CometBFT RPC          +3  the organization's gateway (HTTP)
    +4  the application's /metrics and /healthz (HTTP)                 +5..+9 unused

Every port is derived from the block, so a network created before a port was added to the
layout (say +4) gets it too, with no change to its folder.

Everything listens on 127.0.0.1 only.
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass
from pathlib import Path

from cornerstone.errors import LocalnetError

HOST = "127.0.0.1"
PORTS_PER_NODE = 10
P2P_OFFSET = 0
RPC_OFFSET = 1
ABCI_OFFSET = 2
GATEWAY_OFFSET = 3
METRICS_OFFSET = 4
MIN_BASE_PORT = 1024
MAX_PORT = 65535

EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
FALLBACK_SEARCH = (30000, 50000)
"""Where `find_free_base_port` looks when it cannot read the kernel's ephemeral range."""
LOWEST_SEARCH_PORT = 20000


@dataclass(frozen=True, slots=True)
class NodePorts:
    """The ports of one node."""

    p2p: int
    """CometBFT's peer-to-peer listener."""
    rpc: int
    """CometBFT's RPC (HTTP and websocket)."""
    abci: int
    """Where our application listens for CometBFT's four ABCI connections."""
    gateway: int
    """The organization's gateway: REST API, event stream, metrics."""
    metrics: int
    """The application's Prometheus metrics and health."""


def node_ports(base_port: int, index: int) -> NodePorts:
    """The ports of node `index` (1-based) of a network whose first port is `base_port`."""
    if index < 1:
        raise ValueError("node indexes start at 1")
    first = base_port + PORTS_PER_NODE * (index - 1)
    return NodePorts(
        p2p=first + P2P_OFFSET,
        rpc=first + RPC_OFFSET,
        abci=first + ABCI_OFFSET,
        gateway=first + GATEWAY_OFFSET,
        metrics=first + METRICS_OFFSET,
    )


def last_port(base_port: int, nodes: int) -> int:
    """The highest port a network of `nodes` nodes reserves."""
    return base_port + PORTS_PER_NODE * nodes - 1


def port_is_free(port: int) -> bool:
    """True when a listener could bind 127.0.0.1:`port` now.

    SO_REUSEADDR mirrors what CometBFT (Go) and asyncio servers set, so a port that only has
    connections in TIME_WAIT counts as free, as it is for them.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def busy_ports(ports: list[int]) -> list[int]:
    """The ports of `ports` that something else holds, in order."""
    return [port for port in ports if not port_is_free(port)]


def find_free_base_port(
    nodes: int, *, attempts: int = 200, rng: random.Random | None = None
) -> int:
    """A base port whose whole block (`nodes` * 10 ports) is free right now.

    Bases are drawn at random, so parallel test runs rarely collide, and below the kernel's
    ephemeral range where it can be read, so an outgoing connection never holds one of them.
    """
    span = PORTS_PER_NODE * nodes
    low, high = _search_range(span)
    draw = rng or random.Random()
    for _ in range(attempts):
        base = draw.randrange(low, high, PORTS_PER_NODE)
        ports = list(range(base, base + span))
        if not busy_ports(ports):
            return base
    raise LocalnetError(reason=f"no free block of {span} ports found in {low}-{high + span}")


def _search_range(span: int) -> tuple[int, int]:
    try:
        first_ephemeral = int(EPHEMERAL_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 0
    if first_ephemeral - span - LOWEST_SEARCH_PORT >= 1000:
        return LOWEST_SEARCH_PORT, first_ephemeral - span
    return FALLBACK_SEARCH
