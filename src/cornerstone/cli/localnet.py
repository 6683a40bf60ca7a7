"""`cornerstone localnet up | status | down`: a network of organizations on this machine."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

from cornerstone.cli.common import default_home, home_option
from cornerstone.errors import LocalnetError, UserError
from cornerstone.localnet import (
    DEFAULT_BASE_PORT,
    DEFAULT_ORGS,
    AppKind,
    Localnet,
    NodeStatus,
    down,
)
from cornerstone.localnet.config import APP_KINDS, check_database_prefix, gateway_database
from cornerstone.localnet.network import (
    DEFAULT_CHAIN_ID,
    MANIFEST,
    MAX_ORGS,
    Progress,
    check_create_arguments,
    check_ports_free,
)

HASH_SHOWN = 16
"""Hex digits of the app hash the status table shows."""


@contextmanager
def _user_errors() -> Iterator[None]:
    """A user's mistake becomes one sentence and exit status 1, never a traceback."""
    try:
        yield
    except UserError as exc:
        raise click.ClickException(exc.message) from None


@click.group()
def localnet() -> None:
    """Run a network of organizations on this machine, one node each."""


@localnet.command()
@click.option(
    "--orgs",
    type=int,
    default=None,
    help=f"Organizations, one node each, 1 to {MAX_ORGS} "
    f"[default: {DEFAULT_ORGS}, or the existing network's].",
)
@click.option(
    "--base-port",
    type=int,
    default=None,
    help=f"First port of node 1; node i uses ten ports from base + 10*(i-1) "
    f"[default: {DEFAULT_BASE_PORT}, or the existing network's].",
)
@click.option(
    "--app",
    type=click.Choice(APP_KINDS),
    default=None,
    help="The application: cornerstone, or CometBFT's built-in kvstore to test the network "
    "alone [default: cornerstone, or the existing network's].",
)
@click.option(
    "--database",
    default=None,
    metavar="URL",
    help="Index each gateway in PostgreSQL, postgresql://USER@HOST:PORT/PREFIX: node i's in "
    "database PREFIX_node<i>, created if missing (USER needs CREATEDB, else create them); "
    "kept for later starts [default: SQLite in each gateway's folder, or the existing "
    "network's].",
)
@home_option
def up(
    orgs: int | None, base_port: int | None, app: str | None, database: str | None, home: Path
) -> None:
    """Create the network (the first time) and start every node."""
    with _user_errors():
        bring_up(home, orgs=orgs, base_port=base_port, app=app, database=database)


@localnet.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@home_option
def status(as_json: bool, home: Path) -> None:
    """Show each node: its processes, height, app hash, peers and addresses."""
    with _user_errors():
        net = Localnet.load(home)
        nodes = net.status()
    if as_json:
        document = {
            "home": str(net.home),
            "chain_id": net.chain_id,
            "app": net.app,
            "nodes": [node.to_json() for node in nodes],
        }
        click.echo(json.dumps(document, indent=2))
    else:
        click.echo(f"chain {net.chain_id} in {net.home}")
        _echo_table(nodes)
        if not any(node.cometbft_running for node in nodes):
            click.echo("no node is running: start them with `cornerstone localnet up`")


@localnet.command(name="down")
@click.option("--purge", is_flag=True, help="Also delete the network's folder: keys, chain, logs.")
@home_option
def down_command(purge: bool, home: Path) -> None:
    """Stop every node of the network (and with --purge, delete it)."""
    with _user_errors():
        if not home.exists():
            click.echo(f"there is no local network in {home.resolve()}")
            return
        stopped = down(home, purge=purge)
    if stopped:
        click.echo(f"stopped {stopped} processes of the local network in {home.resolve()}")
    else:
        click.echo(f"nothing was running in {home.resolve()}")
    if purge:
        click.echo(f"deleted {home.resolve()}")


def bring_up(
    home: Path,
    *,
    orgs: int | None = None,
    base_port: int | None = None,
    app: str | None = None,
    database: str | None = None,
    echo: Progress = click.echo,
) -> Localnet:
    """Create the network in `home` unless it exists, start it, and print where it listens.

    Given options must match an existing network; None means "the existing network's, or the
    default". Raises LocalnetError (a UserError) for the caller to report.
    """
    if database is not None:
        check_database_prefix(database)  # before anything is written
    if (home / MANIFEST).exists():
        net = Localnet.load(home)
        _require_same(net, orgs=orgs, base_port=base_port, app=app)
    else:
        count = DEFAULT_ORGS if orgs is None else orgs
        first_port = DEFAULT_BASE_PORT if base_port is None else base_port
        check_create_arguments(
            orgs=count, base_port=first_port, chain_id=DEFAULT_CHAIN_ID, app=app or "cornerstone"
        )
        check_ports_free(base_port=first_port, orgs=count)  # before anything is written
        echo(f"creating {count} organizations in {home.resolve()}…")
        net = Localnet.create(
            home, orgs=count, base_port=first_port, app=_app_kind(app or "cornerstone")
        )
    if database is not None and database != net.gateway_database:
        if net.app == "kvstore":
            raise LocalnetError(
                reason="a kvstore network has no gateways: --database is for the cornerstone app"
            )
        net.use_database(database)
        echo(f"gateways index in PostgreSQL: {gateway_database(database, '<node>')}")
        if any(node.gateway_running for node in net.status()):
            echo("gateways running now keep their index until restarted (down, then up)")
    net.start(progress=echo)
    echo("")
    _echo_table(net.status(), echo=echo)
    echo("")
    home_flag = "" if _is_default_home(home) else f" --home {home}"
    echo(f"stop with: cornerstone localnet down{home_flag}")
    return net


def _require_same(
    net: Localnet, *, orgs: int | None, base_port: int | None, app: str | None
) -> None:
    differences = []
    if orgs is not None and orgs != net.orgs:
        differences.append(f"{net.orgs} organizations, not {orgs}")
    if base_port is not None and base_port != net.base_port:
        differences.append(f"base port {net.base_port}, not {base_port}")
    if app is not None and app != net.app:
        differences.append(f"the {net.app} app, not {app}")
    if differences:
        raise LocalnetError(
            reason=f"the local network in {net.home} has {' and '.join(differences)}: "
            f"run `cornerstone localnet down --purge --home {net.home}` first, "
            "or choose another --home"
        )


def _app_kind(app: str) -> AppKind:
    if app == "kvstore":
        return "kvstore"
    return "cornerstone"


def _is_default_home(home: Path) -> bool:
    return home.resolve() == default_home().resolve()


def _gateway_cell(node: NodeStatus) -> str:
    if node.gateway_url is None:
        return "-"
    return node.gateway_url if node.gateway_running else "stopped"


def _metrics_cell(node: NodeStatus) -> str:
    if node.metrics_url is None:
        return "-"
    return node.metrics_url if node.app_running else "stopped"


def _echo_table(nodes: Sequence[NodeStatus], *, echo: Progress = click.echo) -> None:
    header = (
        "NODE",
        "ORG",
        "APP",
        "COMETBFT",
        "HEIGHT",
        "PEERS",
        "APP HASH",
        "RPC",
        "GATEWAY",
        "APP METRICS",
    )
    rows = [header] + [
        (
            node.name,
            node.org,
            "running" if node.app_running else "stopped",
            "running" if node.cometbft_running else "stopped",
            "-" if node.height is None else str(node.height),
            "-" if node.peers is None else str(node.peers),
            "-" if not node.app_hash else node.app_hash[:HASH_SHOWN],
            node.rpc_url,
            _gateway_cell(node),
            _metrics_cell(node),
        )
        for node in nodes
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
