"""Data sharing on a real four-organization network, driven through the CLI as people run it:
org1 publishes a dataset to its own gateway's store (the default: no store server), grants org2,
org2 requests, and fetches the ciphertext from org1's gateway and the key through its own node;
org1 revokes, publishes the next version, and org2's fetch of it is refused; the audit trail
verifies with proofs against block headers on another organization's node."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cornerstone.localnet import Localnet
from cornerstone.localnet.ports import find_free_base_port

pytestmark = pytest.mark.network

DATA = b"meter,kwh\nM-1,120\nM-2,98\n" * 50


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    network = Localnet.create(
        tmp_path_factory.mktemp("datashare"), orgs=4, base_port=find_free_base_port(4)
    )
    try:
        network.start()
        yield network
    finally:
        network.stop()


def cornerstone(
    net: Localnet, org: int, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, through organization `org`'s own node."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "cornerstone.cli",
            *args,
            "--home",
            str(net.home),
            "--node",
            net.node(org).rpc_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CORNERSTONE_HOME": str(net.home)},
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_two_organizations_share_a_dataset_end_to_end(net: Localnet, tmp_path: Path) -> None:
    store = net.node(1).blob_url
    for org in (1, 2):
        cornerstone(net, org, "data", "keys", "register", "--key", f"org{org}")
    source = tmp_path / "meters.csv"
    source.write_bytes(DATA)
    out = cornerstone(
        net,
        1,
        "data",
        "publish",
        str(source),
        "--title",
        "meter readings",
        "--key",
        "org1",
        "--json",
    ).stdout
    published = json.loads(out)
    dataset = published["dataset"]
    assert published["version"] == 1
    assert published["location"] == f"{store}/{published['cipher_hash']}", "node1's gateway"
    stored = net.node(1).gateway_dir / "blobs" / published["cipher_hash"]
    assert stored.is_file() and DATA not in stored.read_bytes()
    cornerstone(
        net, 1, "data", "grant", dataset, "--org", "org2", "--purpose", "billing", "--key", "org1"
    )
    cornerstone(net, 2, "data", "request", dataset, "--purpose", "billing", "--key", "org2")
    delivered = cornerstone(net, 1, "data", "deliver", "--key", "org1").stdout
    assert delivered.startswith(f"released {dataset} v1"), delivered
    fetched = tmp_path / "fetched.csv"
    cornerstone(net, 2, "data", "fetch", dataset, "--out", str(fetched), "--key", "org2")
    assert fetched.read_bytes() == DATA

    cornerstone(net, 1, "data", "revoke", dataset, "1", "--key", "org1")
    source.write_bytes(DATA + b"M-3,7\n")
    cornerstone(
        net,
        1,
        "data",
        "publish",
        str(source),
        "--dataset",
        dataset,
        "--key",
        "org1",
        "--store",
        store,
    )
    cornerstone(net, 2, "data", "request", dataset, "--purpose", "billing", "--key", "org2")
    refused = cornerstone(net, 1, "data", "deliver", "--key", "org1").stdout
    assert refused.startswith(f"refused {dataset} v2") and "revoked" in refused, refused
    second = tmp_path / "second.csv"
    failed = cornerstone(
        net, 2, "data", "fetch", dataset, "--out", str(second), "--key", "org2", check=False
    )
    assert failed.returncode == 1 and "step 3 (key release) failed" in failed.stderr
    assert not second.exists()

    trail = json.loads(cornerstone(net, 3, "data", "audit", "--dataset", dataset, "--json").stdout)
    assert [(e["version"], e["org"], e["grant"], e["purpose"]) for e in trail] == [
        (1, "org2", 1, "billing")
    ]
    assert trail[0]["proof"]["verified"] is True
    csv_rows = cornerstone(net, 4, "data", "audit", "--dataset", dataset, "--csv").stdout
    assert len(csv_rows.splitlines()) == 2 and dataset in csv_rows

    height = max(s.height for s in net.status() if s.height is not None)
    net.wait_for_height(height + 1, timeout=60)
    hashes = net.app_hashes(height)
    assert len(hashes) == 4 and len(set(hashes.values())) == 1, hashes
