"""What the commands share: where the local network lives and which node to talk to."""

from __future__ import annotations

import os
from pathlib import Path

import click

from cornerstone.errors import ClientError, LocalnetError

DEFAULT_HOME = ".localnet"


def default_home() -> Path:
    return Path(os.environ.get("CORNERSTONE_HOME", DEFAULT_HOME))


home_option = click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    default=default_home,
    show_default="$CORNERSTONE_HOME or ./.localnet",
    help="Folder of the local network (its nodes and keys).",
)

node_option = click.option(
    "--node",
    "node_url",
    default=None,
    help="RPC address of the node to use [default: the first node of the local network].",
)


def resolve_node(home: Path, node_url: str | None) -> str:
    if node_url:
        return node_url
    from cornerstone.localnet import Localnet

    try:
        return Localnet.load(home).nodes[0].rpc_url
    except LocalnetError as exc:
        raise ClientError(reason=f"{exc.message}, or pass --node URL") from None


def keys_dir(home: Path) -> Path:
    return home / "keys"
