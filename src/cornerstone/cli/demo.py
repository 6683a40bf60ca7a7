"""`cornerstone demo`: a four-organization network, a cross-organization workload, and proof
that every node agrees. The network is left running."""

from __future__ import annotations

import hashlib
import shutil
import sys
import time
from pathlib import Path

import click

from cornerstone.cli.common import default_home, home_option, keys_dir
from cornerstone.crypto import load_key
from cornerstone.errors import ClientError, TransactionFailedError
from cornerstone.sdk import Client, Signer
from cornerstone.tx import Transaction

DOCUMENTS_PER_ORG = 25


@click.command()
@click.option("--orgs", default=4, show_default=True, help="Organizations (one node each).")
@click.option("--base-port", default=26600, show_default=True, help="First port of node 1.")
@home_option
def demo(orgs: int, base_port: int, home: Path) -> None:
    """Start a local network, run a workload from every organization, show they agree."""
    from cornerstone.cli.localnet import bring_up

    net = bring_up(home, orgs=orgs, base_port=base_port)
    click.echo(
        f"\nworkload: each of the {orgs} organizations anchors {DOCUMENTS_PER_ORG} documents"
    )
    stamp = str(time.time_ns()).encode()
    clients = [Client(node.rpc_url) for node in net.nodes]
    try:
        signers = [
            Signer(client, load_key(keys_dir(home) / f"{node.org}.json"))
            for client, node in zip(clients, net.nodes, strict=True)
        ]
        sent: list[tuple[Client, Transaction]] = []
        first: list[bytes] = []
        for index, signer in enumerate(signers):
            for n in range(DOCUMENTS_PER_ORG):
                digest = hashlib.sha256(b"demo/%s/%d/%d" % (stamp, index, n)).digest()
                if n == 0:
                    first.append(digest)
                tx = signer.sign(
                    "notary",
                    "anchor",
                    {"digest": digest, "metadata": {"title": f"{net.nodes[index].org} doc {n}"}},
                )
                signer.client.broadcast(tx)
                sent.append((signer.client, tx))
        heights = [client.wait_for_commit(tx.hash).height for client, tx in sent]
        click.echo(
            f"  {len(sent)} transactions committed in blocks {min(heights)} to {max(heights)}"
        )
        owner = signers[0]
        revision = hashlib.sha256(b"demo/%s/revision" % stamp).digest()
        done = owner.submit("notary", "revise", {"document": first[0], "digest": revision})
        click.echo(f"  {net.nodes[0].org} revised its first document at height {done.height}")
        try:
            signers[1].submit(
                "notary",
                "revise",
                {"document": first[0], "digest": hashlib.sha256(revision).digest()},
            )
        except TransactionFailedError as refused:
            click.echo(
                f"  {net.nodes[1].org} tried to revise it too and was refused: {refused.message}"
            )
        _show_agreement(clients, [node.name for node in net.nodes])
    finally:
        for client in clients:
            client.close()
    command = _command_name()
    where = "" if home == default_home() else f" --home {home}"
    click.echo("\nThe network is running:")
    for node in net.nodes:
        click.echo(
            f"  {node.name} ({node.org}): CometBFT RPC {node.rpc_url}, "
            f"gateway {node.gateway_url} (OpenAPI {node.gateway_url}/openapi.json)"
        )
    click.echo("Metrics (Prometheus) and logs (one JSON object per line):")
    for node in net.nodes:
        click.echo(
            f"  {node.name}: application {node.metrics_url}, gateway {node.gateway_url}/metrics, "
            f"logs in {node.home}/*.log"
        )
    click.echo(
        f"Open the web console: {net.nodes[0].gateway_url}/console (each gateway serves one; "
        f"to vote as an organization's admin, sign in with the token in "
        f"{net.nodes[0].console_token_file}, and likewise for node2..)"
    )
    gateway = net.nodes[0].gateway_url
    click.echo("Try:")
    click.echo(f"  curl '{gateway}/v1/transactions?limit=5'")
    click.echo(f"  curl -N '{gateway}/v1/stream?types=notary.*'     # live events")
    click.echo(f"  {command} query notary --digest {first[0].hex()}{where}")
    click.echo(f"  {command} tx notary anchor --key org1 --file README.md{where}")
    click.echo(f"  {command} org show org2 --prove{where}")
    click.echo(
        f"  {command} proposal new --key org1-admin governance set_param "
        f"--arg name=voting_period --arg value=50{where}"
    )
    click.echo(f"  {command} proposal vote 1 --key org2-admin{where}")
    click.echo(f"  {command} localnet status{where}")
    click.echo(f"Stop it with: {command} localnet down{where}")


def _command_name() -> str:
    """`cornerstone` when it is on the PATH, else its path in the virtual environment."""
    if shutil.which("cornerstone"):
        return "cornerstone"
    installed = Path(sys.executable).parent / "cornerstone"
    try:
        return str(installed.relative_to(Path.cwd()))
    except ValueError:
        return str(installed)


def _show_agreement(clients: list[Client], names: list[str]) -> None:
    """Wait until every node has the same block, then print each one's app hash for it."""
    target = max(client.height() for client in clients) + 1
    deadline = time.monotonic() + 30
    while min(client.height() for client in clients) < target:
        if time.monotonic() > deadline:
            raise ClientError(reason=f"not every node reached height {target} within 30 s")
        time.sleep(0.2)
    hashes = [
        client.rpc("commit", height=str(target))["signed_header"]["header"]["app_hash"]
        for client in clients
    ]
    click.echo(f"\nevery node at height {target}:")
    for name, app_hash in zip(names, hashes, strict=True):
        click.echo(f"  {name}  app hash {app_hash.lower()}")
    if len(set(hashes)) != 1:
        raise ClientError(reason="the nodes disagree on the app hash; see the node logs")
    click.echo("  all nodes agree")
