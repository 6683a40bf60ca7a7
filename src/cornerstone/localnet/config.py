"""The CometBFT settings of a local-network node: every value we change from `cometbft init`.

Timeouts are tuned for four validators and their four Python applications sharing a small
machine (two cores) over loopback, where a message takes microseconds but a busy CPU can delay
any process by a few hundred milliseconds:

- `timeout_commit` 500ms sets the rhythm: about two blocks a second, so tests reach a height
  in seconds, while leaving each application half a second of idle time between blocks.
- The round timeouts are CometBFT's own defaults (propose 3s, prevote and precommit 1s, deltas
  500ms). Shorter ones (1s / 500ms were tried) make failover after a stopped proposer quicker,
  but under load a block of thousands of transactions takes more than a second to propose and
  check on a busy machine; rounds then time out, the backlog and the blocks grow, and the
  network stalls (the benchmark measured 405 instead of 678 tx/s committed at 1,100 offered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Final, Literal
from urllib.parse import urlsplit, urlunsplit

from cornerstone.errors import LocalnetError
from cornerstone.localnet.ports import HOST
from cornerstone.localnet.tomlfile import TOP_LEVEL, TomlValue

AppKind = Literal["cornerstone", "kvstore"]
"""Which application a node runs: ours, or CometBFT's built-in example (to test the network)."""

APP_KINDS: Final = ("cornerstone", "kvstore")

CONSENSUS_DEFAULTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "timeout_propose": "3s",
        "timeout_propose_delta": "500ms",
        "timeout_prevote": "1s",
        "timeout_prevote_delta": "500ms",
        "timeout_precommit": "1s",
        "timeout_precommit_delta": "500ms",
        "timeout_commit": "500ms",
    }
)
"""The [consensus] timeouts of every node; `Localnet.create(consensus=...)` overrides any."""

MEMPOOL: Final[Mapping[str, TomlValue]] = MappingProxyType(
    {
        "size": 20_000,
        "cache_size": 50_000,
        "max_txs_bytes": 256 * 1024 * 1024,
    }
)
"""Room for a benchmark's bursts: 20,000 pending transactions, up to 256 MiB in all."""

LOG_LEVEL: Final = "main:info,state:info,*:error"
"""Startup and one line per committed block, plus every error: logs stay small but readable."""

FLUSH_THROTTLE: Final = "10ms"
"""How long P2P batches messages before sending (CometBFT's default is 100ms). On loopback,
batching saves nothing and delays each consensus step: 10ms brings a block from ~0.8s to ~0.65s
with the timeouts above, which is what CometBFT's own test networks use."""

PEER_REDIAL_MAX: Final = "3s"
"""Longest pause between redials of a stopped peer, so a restarted node is back in seconds."""

_DURATION = re.compile(r"(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+")


def consensus_timeouts(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """The defaults with `overrides` applied; unknown keys and malformed durations are refused."""
    timeouts = dict(CONSENSUS_DEFAULTS)
    for key, value in (overrides or {}).items():
        if key not in CONSENSUS_DEFAULTS:
            known = ", ".join(CONSENSUS_DEFAULTS)
            raise LocalnetError(reason=f"unknown consensus setting {key!r}; known: {known}")
        if not isinstance(value, str) or not _DURATION.fullmatch(value):
            raise LocalnetError(
                reason=f"consensus setting {key} must be a duration like '500ms' or '1s', "
                f"not {value!r}"
            )
        timeouts[key] = value
    return timeouts


def node_settings(
    *,
    moniker: str,
    p2p_port: int,
    rpc_port: int,
    abci_port: int,
    peers: Sequence[str],
    app: AppKind,
    timeouts: Mapping[str, str],
) -> dict[str, dict[str, TomlValue]]:
    """Everything we set in one node's config.toml, by section.

    `peers` are the other nodes as `node_id@127.0.0.1:port`; every node dials every other one
    (persistent peers, no peer exchange), which is what a consortium of known members does.
    """
    return {
        TOP_LEVEL: {
            "moniker": moniker,
            "proxy_app": "kvstore" if app == "kvstore" else f"tcp://{HOST}:{abci_port}",
            "log_level": LOG_LEVEL,
            # Ask our application about each peer (it knows the member organizations' nodes);
            # CometBFT's kvstore does not answer such queries.
            "filter_peers": app == "cornerstone",
        },
        "rpc": {
            "laddr": f"tcp://{HOST}:{rpc_port}",
            "cors_allowed_origins": [],
            "pprof_laddr": "",
        },
        "p2p": {
            "laddr": f"tcp://{HOST}:{p2p_port}",
            "persistent_peers": ",".join(peers),
            "addr_book_strict": False,
            "allow_duplicate_ip": True,
            "pex": False,
            "persistent_peers_max_dial_period": PEER_REDIAL_MAX,
            "flush_throttle_timeout": FLUSH_THROTTLE,
        },
        "mempool": dict(MEMPOOL),
        "consensus": dict(timeouts),
        "instrumentation": {"prometheus": False},
    }


# ---------------------------------------------------------------------------- gateway databases
DATABASE_SCHEMES: Final = ("postgresql", "postgres")
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
"""A prefix that stays a plain PostgreSQL identifier with `_node<i>` added (lower case: no
quoting surprises; at most 63 bytes in all)."""


def check_database_prefix(url: str) -> None:
    """Refuse a `--database` that is not postgresql://USER@HOST:PORT/PREFIX.

    A password is refused too: it would sit in network.json and in every gateway's command line
    (seen by `ps`); libpq reads it from PGPASSWORD or ~/.pgpass, which the gateways inherit.
    """
    parts = urlsplit(url)
    if parts.scheme not in DATABASE_SCHEMES or not parts.hostname:
        raise LocalnetError(
            reason=f"--database wants postgresql://USER@HOST:PORT/PREFIX, not {url!r}"
        )
    if parts.password is not None:
        raise LocalnetError(
            reason="--database must not hold a password (it would be stored in network.json "
            "and shown in the gateways' command lines): set PGPASSWORD or use ~/.pgpass"
        )
    prefix = parts.path.removeprefix("/")
    if not _DATABASE_NAME.fullmatch(prefix):
        raise LocalnetError(
            reason=f"--database needs a database name prefix of lower-case letters, digits and "
            f"_ (at most 41), after the last /: not {prefix!r}"
        )


def gateway_database(prefix_url: str, node_name: str) -> str:
    """Node `node_name`'s index database: the prefix's name with `_<node name>` appended, on
    the same server, as the same user, with the same options (e.g. node2 of
    postgresql://me@db:5432/cs is postgresql://me@db:5432/cs_node2)."""
    parts = urlsplit(prefix_url)
    return urlunsplit(parts._replace(path=f"{parts.path}_{node_name}"))
