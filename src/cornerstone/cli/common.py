"""What the commands share: where the local network lives and which node to talk to."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import click

from cornerstone import encoding
from cornerstone.crypto import load_key
from cornerstone.errors import ClientError, LocalnetError, ProofError
from cornerstone.sdk import Client, Committed, Signer, VerifiedValue
from cornerstone.sdk.light import GenesisRoot, Trust

SHOWN_BYTES: Final = 64
"""Longer byte strings are shortened for people (never in --json)."""

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


# ---------------------------------------------------------------------------- the node
def connect(home: Path, node_url: str | None) -> Client:
    """The client of the node the commands talk to: the one seam between them and the network
    (tests replace it with a client of an in-memory chain)."""
    return Client(resolve_node(home, node_url), trust=light_trust(home, node_url))


def light_trust(home: Path, node_url: str | None) -> Trust:
    """Which headers proofs are checked against: for the local network, those that follow from
    its genesis file (on this machine, not the node's word), pinned in <home>/trust; for a
    --node, trust on first use in the SDK's store (~/.cornerstone/trust)."""
    if node_url:
        return Trust()
    from cornerstone.localnet import Localnet

    try:
        genesis = Localnet.load(home).nodes[0].cometbft_home / "config" / "genesis.json"
    except LocalnetError:
        return Trust()
    return Trust(root=GenesisRoot.load(genesis), store_dir=home / "trust")


def signer(client: Client, home: Path, key_name: str) -> Signer:
    return Signer(client, load_key(keys_dir(home) / f"{key_name}.json"))


def proven(client: Client, key: bytes, *, height: int = 0) -> VerifiedValue:
    """`key`'s value or absence, proven; a proof that fails is the node's fault, said so."""
    try:
        return client.read_verified(key, height=height)
    except ProofError as exc:
        raise click.ClickException(
            f"{exc.message} ({exc.codespace} code {exc.code}): "
            f"do not trust the node at {client.rpc_url}"
        ) from None


def proof_line(verified: VerifiedValue) -> str:
    return (
        f"proof: verified against app hash {verified.app_hash.hex()} of the header "
        f"after height {verified.height}"
    )


def proof_json(verified: VerifiedValue) -> dict[str, Any]:
    return {"height": verified.height, "app_hash": verified.app_hash.hex()}


# ---------------------------------------------------------------------------- output
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
prove_option = click.option(
    "--prove", is_flag=True, help="Also verify the state record against a block header."
)
key_option = click.option(
    "--key",
    "key_name",
    required=True,
    metavar="NAME",
    help="Signing key <home>/keys/NAME.json (an admin's, e.g. org1-admin).",
)


def jsonable(value: encoding.Value) -> Any:
    """A decoded value as JSON: bytes as hex."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def echo_json(value: Any) -> None:
    click.echo(json.dumps(jsonable(value), indent=2))


def shown(value: encoding.Value) -> str:
    """A value for people: bytes as hex, long ones shortened with their SHA-256."""
    if isinstance(value, bytes):
        if len(value) <= SHOWN_BYTES:
            return value.hex()
        digest = hashlib.sha256(value).hexdigest()
        return f"{value[:8].hex()}... ({len(value)} bytes, sha256 {digest})"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return json.dumps(jsonable(value))
    return str(value)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(headers), *([str(c) for c in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def committed_line(committed: Committed) -> str:
    return f"committed at height {committed.height}: transaction {committed.hash.hex()}"


def as_dict(value: encoding.Value) -> dict[str, Any]:
    assert isinstance(value, dict), "the query answers a map"
    return value


def as_list(value: encoding.Value) -> list[Any]:
    assert isinstance(value, list), "the query answers a list"
    return value


def listing(
    title: str, items: Sequence[Any], line: Callable[[Any], str], *, width: int = 17
) -> None:
    """Items under a title in the left column, one a line."""
    if not items:
        click.echo(f"  {title:<{width}} none")
    for index, item in enumerate(items):
        click.echo(f"  {title if index == 0 else '':<{width}} {line(item)}")
