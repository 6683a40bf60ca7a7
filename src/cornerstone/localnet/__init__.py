"""Local networks: one CometBFT node and one application per organization, on this machine.

    net = Localnet.create(Path(".localnet"), orgs=4)    # once: keys, genesis, configs
    net.start()                                         # returns when every node has a block
    net.status(); net.stop_node(2); net.start_node(2); net.wait_for_height(10, timeout=30)
    net.stop()                                          # or `down(home)` from another process

Modules: `network` (the Localnet), `config` (what each node's config.toml says, and why),
`genesis`, `ports` (the port layout), `process` (detached processes and pid files), `rpc`
(the CometBFT calls we make), `tomlfile` (the config editor), `cometbft` (the binary).
"""

from cornerstone.localnet.config import CONSENSUS_DEFAULTS, AppKind
from cornerstone.localnet.network import (
    DEFAULT_BASE_PORT,
    DEFAULT_CHAIN_ID,
    DEFAULT_ORGS,
    Localnet,
    NodeSpec,
    NodeStatus,
    down,
)
from cornerstone.localnet.ports import find_free_base_port, node_ports

__all__ = [
    "CONSENSUS_DEFAULTS",
    "DEFAULT_BASE_PORT",
    "DEFAULT_CHAIN_ID",
    "DEFAULT_ORGS",
    "AppKind",
    "Localnet",
    "NodeSpec",
    "NodeStatus",
    "down",
    "find_free_base_port",
    "node_ports",
]
