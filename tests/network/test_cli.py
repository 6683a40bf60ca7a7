"""The README's commands, run as a user would: `cornerstone demo`, then transactions and
proven queries through the CLI against the network the demo left running."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.network.conftest import LocalnetFactory

pytestmark = pytest.mark.network


def cornerstone(*args: str, home: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real command in a child process, as a shell would."""
    result = subprocess.run(
        [sys.executable, "-m", "cornerstone.cli", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CORNERSTONE_HOME": str(home)},
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_demo_then_transactions_and_proven_queries(
    localnets: LocalnetFactory, tmp_path: Path
) -> None:
    home = localnets.track(tmp_path / "net")
    port = localnets.free_base_port(4)
    demo = cornerstone("demo", "--base-port", str(port), home=home)
    assert "100 transactions committed" in demo.stdout
    assert "was refused" in demo.stdout and "notary code 1002" in demo.stdout
    assert "all nodes agree" in demo.stdout
    hashes = re.findall(r"node\d  app hash ([0-9a-f]{64})", demo.stdout)
    assert len(hashes) == 4 and len(set(hashes)) == 1

    document = tmp_path / "invoice.pdf"
    document.write_bytes(b"%PDF invoice 42")
    digest = hashlib.sha256(document.read_bytes()).hexdigest()
    sent = cornerstone(
        "tx",
        "notary",
        "anchor",
        "--key",
        "org2",
        "--file",
        str(document),
        "--meta",
        "n=42",
        home=home,
    )
    assert "committed at height" in sent.stdout

    found = cornerstone("query", "notary", "--digest", digest, home=home)
    assert '"org": "org2"' in found.stdout and "proof: verified" in found.stdout

    revised = cornerstone(
        "tx",
        "notary",
        "revise",
        "--key",
        "org2",
        "--document",
        digest,
        "--digest",
        "ef" * 32,
        home=home,
    )
    assert "notary.revised" in revised.stdout
    by_revision = cornerstone("query", "notary", "--digest", "ef" * 32, home=home)
    assert '"revision": 1' in by_revision.stdout and f'"document": "{digest}"' in by_revision.stdout
    assert "proof: verified" in by_revision.stdout

    absent = cornerstone("query", "notary", "--digest", "ab" * 32, home=home, check=False)
    assert absent.returncode == 3 and "proven absent" in absent.stdout

    cornerstone("keys", "new", "outsider", home=home)
    assert oct((home / "keys" / "outsider.json").stat().st_mode & 0o777) == "0o600"
    refused = cornerstone(
        "tx",
        "notary",
        "anchor",
        "--key",
        "outsider",
        "--digest",
        "cd" * 32,
        home=home,
        check=False,
    )
    assert refused.returncode == 1
    assert "not a member of any organization" in refused.stderr
    assert "Traceback" not in refused.stderr

    # The consortium at work: a member certificate from org3's CA, then a vote.
    issued = cornerstone("ca", "issue", "org3", "clerk", "--role", "client", home=home)
    clerk_cert = re.search(r"certificate  (\S+\.crt)", issued.stdout)
    clerk_key = re.search(r"private key  (\S+\.key\.json)", issued.stdout)
    assert clerk_cert and clerk_key, issued.stdout
    (home / "keys" / "clerk.json").write_bytes(Path(clerk_key[1]).read_bytes())
    (home / "keys" / "clerk.json").chmod(0o600)
    as_holder = cornerstone(
        "tx",
        "notary",
        "anchor",
        "--key",
        "clerk",
        "--cert",
        clerk_cert[1],
        "--digest",
        "c1" * 32,
        home=home,
        check=False,
    )
    assert as_holder.returncode == 0, as_holder.stderr
    orgs = cornerstone("org", "list", home=home)
    assert all(f"org{i}" in orgs.stdout for i in range(1, 5))
    shown = cornerstone("org", "show", "org3", "--prove", home=home)
    assert "proof: verified" in shown.stdout

    proposed = cornerstone(
        "proposal",
        "new",
        "--key",
        "org1-admin",
        "governance",
        "set_param",
        "--arg",
        "name=voting_period",
        "--arg",
        "value=50",
        home=home,
    )
    [proposal] = re.findall(r"proposal (\d+)", proposed.stdout)[:1]
    for admin in ("org2-admin", "org3-admin"):
        cornerstone("proposal", "vote", proposal, "--key", admin, home=home)
    outcome = cornerstone("proposal", "show", proposal, "--json", home=home)
    assert '"status": "executed"' in outcome.stdout
    params = cornerstone("proposal", "params", "--json", home=home)
    assert '"voting_period": 50' in params.stdout

    not_admin = cornerstone("proposal", "vote", proposal, "--key", "org4", home=home, check=False)
    assert not_admin.returncode == 1 and "Traceback" not in not_admin.stderr

    status = cornerstone("localnet", "status", "--json", home=home)
    assert status.stdout.count('"app_running": true') == 4

    down = cornerstone("localnet", "down", home=home)
    assert "stopped 12 processes" in down.stdout  # app, cometbft, gateway
