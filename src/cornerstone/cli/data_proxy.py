"""`cornerstone data` commands of delivery by the nodes (threshold proxy re-encryption):

    proxy register           an organization's node registers its re-encryption proxy (admin)
    proxy run                the proxy: answers delegated requests with capsule fragments
    proxies                  the registered proxies
    delegate DATASET GRANT   the owner hands key fragments to the proxies for a grant's
                             recipients (also `grant ... --delegate`)

Umbral keys live next to the encryption key, in <home>/enckeys/NAME.umbral.json (mode 0600,
made by `data keys register`). A proxy's X25519 key is --proxy-key FILE (mode 0600; by default
<home>/proxies/NAME.json, for a local network best in the node's folder), made at `register`.
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Final

import click

from cornerstone.cli import common
from cornerstone.cli.common import committed_line, home_option, key_option, node_option, signer
from cornerstone.cli.data import _dataset_id, _identity, data
from cornerstone.datashare.delegation import (
    Delegated,
    UmbralKeys,
    delegate,
    grant_recipients,
    load_umbral_keys,
)
from cornerstone.datashare.proxy import INTERVAL, Proxy, load_or_create_proxy_key, load_proxy_key
from cornerstone.errors import TransactionFailedError, TransactionRejectedError
from cornerstone.sdk import Client

PROXIES_DIR: Final = "proxies"


def umbral_path(home: Path, key_name: str) -> Path:
    return home / "enckeys" / f"{key_name}.umbral.json"


def load_umbral(home: Path, key_name: str) -> UmbralKeys | None:
    """The Umbral keys of signing key NAME, or None if it has made none."""
    path = umbral_path(home, key_name)
    return load_umbral_keys(path) if path.exists() else None


def delegate_grant(
    client: Client,
    home: Path,
    key_name: str,
    *,
    dataset: bytes,
    grant: int,
    kind: str,
    grantee: str,
    recipients: list[bytes] | None = None,
    threshold: int = 0,
) -> list[Delegated]:
    """Delegate `grant` to its recipients (given, or all the chain knows now)."""
    keys = load_umbral_keys(umbral_path(home, key_name))
    owner = signer(client, home, key_name)
    chosen = recipients if recipients else grant_recipients(client, kind=kind, grantee=grantee)
    if not chosen:
        raise click.ClickException(
            "no recipient to delegate to: a member of the grantee must register Umbral keys "
            "(`cornerstone data keys register`), or name one with --recipient"
        )
    done = []
    for recipient in chosen:
        try:
            committed = delegate(
                owner, keys, dataset=dataset, grant=grant, recipient=recipient, threshold=threshold
            )
            done.append(Delegated(recipient=recipient, committed=committed, refusal=""))
        except (TransactionRejectedError, TransactionFailedError) as error:
            done.append(Delegated(recipient=recipient, committed=None, refusal=error.message))
    return done


def echo_delegated(dataset_hex: str, grant: int, done: list[Delegated]) -> None:
    for d in done:
        what = f"grant {grant} of {dataset_hex} to {d.recipient.hex()}"
        if d.committed is not None:
            click.echo(f"delegated {what}: {committed_line(d.committed)}")
        else:
            click.echo(f"not delegated {what}: {d.refusal}")


@data.command("delegate")
@click.argument("dataset_hex", metavar="DATASET")
@click.argument("grant", type=click.IntRange(min=1))
@click.option(
    "--recipient",
    "recipient_hexes",
    multiple=True,
    help="An identity (64 hex) to delegate to (repeatable) [default: the grant's member, or "
    "every member of its organization with Umbral keys].",
)
@click.option(
    "--threshold",
    type=click.IntRange(min=0),
    default=0,
    help="Fragments needed [default: the least the chain allows, more than 2/3 of proxies].",
)
@key_option
@home_option
@node_option
def data_delegate(
    dataset_hex: str,
    grant: int,
    recipient_hexes: tuple[str, ...],
    threshold: int,
    key_name: str,
    home: Path,
    node_url: str | None,
) -> None:
    """Let the nodes' proxies deliver DATASET's keys under GRANT while you are offline: each
    registered proxy gets a key fragment for each recipient, sealed to it."""
    dataset = _dataset_id(dataset_hex)
    with common.connect(home, node_url) as client:
        found = client.query("datashare", "dataset", dataset=dataset)
        grants = common.as_dict(found)["grants_list"] if found is not None else []
        record = next((g for g in grants if g["grant"] == grant), None)
        if record is None:
            raise click.ClickException(f"dataset {dataset_hex} has no grant {grant}")
        done = delegate_grant(
            client,
            home,
            key_name,
            dataset=dataset,
            grant=grant,
            kind=record["kind"],
            grantee=record["grantee"],
            recipients=[_identity(h) for h in recipient_hexes],
            threshold=threshold,
        )
    echo_delegated(dataset_hex, grant, done)


# ---------------------------------------------------------------------------- proxies
@data.group("proxy")
def data_proxy() -> None:
    """Your organization's re-encryption proxy (run by its node, signed by an admin key)."""


proxy_key_option = click.option(
    "--proxy-key",
    "proxy_key_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The proxy's X25519 key file [default: <home>/proxies/NAME.json].",
)


def _proxy_key_path(home: Path, key_name: str, given: Path | None) -> Path:
    return given if given is not None else home / PROXIES_DIR / f"{key_name}.json"


@data_proxy.command("register")
@key_option
@proxy_key_option
@home_option
@node_option
def proxy_register(
    key_name: str, proxy_key_path: Path | None, home: Path, node_url: str | None
) -> None:
    """Create the proxy's key file (mode 0600) unless it exists, and register its public key
    as your organization's proxy, signed by admin key NAME."""
    path = _proxy_key_path(home, key_name, proxy_key_path)
    key = load_or_create_proxy_key(path, name=key_name)
    with common.connect(home, node_url) as client:
        committed = Proxy(signer(client, home, key_name), key).register()
    [org] = [a["org"] for t, a in committed.events if t == "datashare.proxy_registered"]
    click.echo(f"registered the re-encryption proxy of {org}: X25519 key {key.public_key.hex()}")
    click.echo(f"  key file {path} (mode 0600)")
    click.echo(f"  {committed_line(committed)}")


@data_proxy.command("run")
@key_option
@proxy_key_option
@click.option("--interval", type=click.FloatRange(min=0.1), default=INTERVAL, show_default=True)
@click.option("--once", is_flag=True, help="One round, then exit.")
@home_option
@node_option
def proxy_run(
    key_name: str,
    proxy_key_path: Path | None,
    interval: float,
    once: bool,
    home: Path,
    node_url: str | None,
) -> None:
    """Answer requests the owners delegated to this proxy, until stopped (SIGTERM, Ctrl-C)."""
    key = load_proxy_key(_proxy_key_path(home, key_name, proxy_key_path))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per poll otherwise
    with common.connect(home, node_url) as client:
        proxy = Proxy(signer(client, home, key_name), key)
        org = proxy.org()
        if once:
            answers = proxy.step()
            click.echo(f"proxy of {org}: {len(answers)} request(s) answered")
            return
        stop = threading.Event()

        def stopping(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, stopping)
        signal.signal(signal.SIGINT, stopping)
        click.echo(f"proxy of {org} running against {client.rpc_url}", err=True)
        proxy.run(stop, interval=interval)


@data.command("proxies")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@home_option
@node_option
def data_proxies(as_json: bool, home: Path, node_url: str | None) -> None:
    """The registered re-encryption proxies, one per organization."""
    with common.connect(home, node_url) as client:
        found = client.query("datashare", "proxies")
    assert isinstance(found, list)
    if as_json:
        common.echo_json(found)
        return
    if not found:
        click.echo("no proxies registered")
        return
    common.table(
        ("ORG", "SIGNS AS", "X25519 KEY", "HEIGHT", "ACTIVE"),
        [
            (
                p["org"],
                p["identity"].hex()[:16],
                p["public_key"].hex()[:16],
                p["height"],
                p["active"],
            )
            for p in found
        ],
    )
