"""The `cornerstone` command line: local networks, keys, transactions, queries, the demo."""

from __future__ import annotations

import sys

import click

from cornerstone.cli.ca import ca
from cornerstone.cli.chain import keys, query, tx
from cornerstone.cli.contract import contract
from cornerstone.cli.data import data
from cornerstone.cli.data_proxy import data_proxies  # noqa: F401  (adds to `data`)
from cornerstone.cli.demo import demo
from cornerstone.cli.did import did, vc
from cornerstone.cli.localnet import localnet
from cornerstone.cli.org import org
from cornerstone.cli.proposal import proposal
from cornerstone.errors import CornerstoneError, UserError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cornerstone")
def cli() -> None:
    """Cornerstone: a consortium blockchain with a Python application on CometBFT."""


cli.add_command(localnet)
cli.add_command(keys)
cli.add_command(tx)
cli.add_command(query)
cli.add_command(demo)
cli.add_command(ca)
cli.add_command(org)
cli.add_command(proposal)
cli.add_command(contract)
cli.add_command(data)
cli.add_command(did)
cli.add_command(vc)


def main() -> None:
    """Entry point: user mistakes print one sentence and exit 1, never a traceback."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except UserError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(1)
    except CornerstoneError as exc:  # e.g. a proof the node gave that does not verify
        click.echo(f"error: {exc.message} ({exc.codespace} code {exc.code})", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
