"""Data sharing on a real four-organization network, driven through the CLI as people run it:
org1 publishes a dataset to its own gateway's store (the default: no store server), grants org2,
org2 requests, and fetches the ciphertext from org1's gateway and the key through its own node;
org1 revokes, publishes the next version, and org2's fetch of it is refused; the audit trail
verifies with proofs against block headers on another organization's node.

On the same network: a grant to holders of a credential, proved by org3 with a presentation
and refused once the issuer revokes the credential; and a dataset whose ciphertext is in an
S3 bucket (a real S3-compatible server), fetched by another organization with its own
endpoint setting and credentials."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cornerstone.localnet import Localnet
from cornerstone.localnet.ports import find_free_base_port
from tests.unit.datashare.s3server import (  # noqa: F401 - pytest finds the fixture here
    S3Server,
    s3_server_fixture,
)

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
    net: Localnet,
    org: int,
    *args: str,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, through organization `org`'s own node (in `env`,
    default this process's environment)."""
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
        env={**(os.environ if env is None else env), "CORNERSTONE_HOME": str(net.home)},
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


COMMITTED = re.compile(r"committed at height (\d+)")


class Steps:
    """CLI commands through the nodes of several organizations, each node first waiting until
    it has every block a step before it committed (a node may trail another by a block)."""

    def __init__(self, net: Localnet) -> None:
        self.net = net
        self.height = 0

    def run(
        self, org: int, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        if self.height:
            self.net.wait_for_height(self.height, timeout=60, nodes=[org])
        result = cornerstone(self.net, org, *args, check=check, env=env)
        for height in COMMITTED.findall(result.stdout + result.stderr):
            self.height = max(self.height, int(height))
        return result


def test_a_credential_holder_gets_a_dataset_until_the_credential_is_revoked(
    net: Localnet, tmp_path: Path
) -> None:
    """org1 issues a CustomsBroker credential to org3's DID (the consortium trusts org1 as its
    issuer), grants the dataset to holders of that type; org3 requests with a presentation,
    org1 releases, org3 fetches. Then org3 asks for the next version, org1 revokes the
    credential, and the release is refused with its code; the receipt names the credential."""
    steps = Steps(net)
    issuer = steps.run(1, "did", "create", "--key", "org1", "--name", "broker-issuer")
    issuer_did = issuer.stdout.split()[0]
    holder = steps.run(3, "did", "create", "--key", "org3", "--name", "broker")
    holder_did = holder.stdout.split()[0]
    assert issuer_did.startswith("did:cornerstone:") and holder_did.endswith(":org3.broker")
    proposed = steps.run(
        1,
        "proposal",
        "new",
        "did",
        "trust_issuer",
        "--key",
        "org1-admin",
        "--arg",
        "credential_type=CustomsBroker",
        "--arg",
        f"issuer={issuer_did}",
    )
    [proposal] = re.findall(r"proposal (\d+)", proposed.stdout)[:1]
    for org in (2, 3):
        steps.run(org, "proposal", "vote", proposal, "--key", f"org{org}-admin")
    trusted = steps.run(4, "did", "trusted", "--type", "CustomsBroker").stdout
    assert issuer_did in trusted, trusted

    subject = tmp_path / "subject.json"
    subject.write_text(json.dumps({"id": holder_did, "licence": "CB-77"}))
    credential = tmp_path / "broker.json"
    steps.run(
        1,
        "vc",
        "issue",
        "--key",
        "org1",
        "--issuer",
        issuer_did,
        "--type",
        "CustomsBroker",
        "--subject",
        str(subject),
        "--id",
        "urn:uuid:broker-network-1",
        "--out",
        str(credential),
    )
    for org in (1, 3):
        steps.run(org, "data", "keys", "register", "--key", f"org{org}")
    source = tmp_path / "manifest.csv"
    source.write_bytes(DATA)
    published = steps.run(
        1, "data", "publish", str(source), "--title", "manifests", "--key", "org1", "--json"
    )
    dataset = json.loads(published.stdout)["dataset"]
    steps.height = max(steps.height, json.loads(published.stdout)["height"])
    granted = steps.run(
        1,
        "data",
        "grant",
        dataset,
        "--credential-type",
        "CustomsBroker",
        "--issuer",
        issuer_did,
        "--purpose",
        "clearance",
        "--key",
        "org1",
    ).stdout
    assert f"credential CustomsBroker issued by {issuer_did}" in granted

    def request(version: str) -> str:
        return steps.run(
            3,
            "data",
            "request",
            dataset,
            "--version",
            version,
            "--purpose",
            "clearance",
            "--credential",
            str(credential),
            "--holder",
            holder_did,
            "--key",
            "org3",
        ).stdout

    assert "as holder of urn:uuid:broker-network-1" in request("1")
    delivered = steps.run(1, "data", "deliver", "--dataset", dataset, "--key", "org1").stdout
    assert delivered.startswith(f"released {dataset} v1"), delivered
    fetched = tmp_path / "fetched.csv"
    steps.run(3, "data", "fetch", dataset, "--out", str(fetched), "--key", "org3")
    assert fetched.read_bytes() == DATA

    source.write_bytes(DATA + b"M-9,1\n")
    steps.run(1, "data", "publish", str(source), "--dataset", dataset, "--key", "org1")
    assert "as holder of urn:uuid:broker-network-1" in request("2")
    revoked = steps.run(1, "vc", "revoke", str(credential), "--key", "org1").stdout
    assert revoked.startswith("revoked status"), revoked
    refused = steps.run(1, "data", "deliver", "--dataset", dataset, "--key", "org1").stdout
    assert refused.startswith(f"refused {dataset} v2"), refused
    assert "datashare code 7008" in refused and "revoked by its issuer" in refused, refused
    second = tmp_path / "second.csv"
    failed = steps.run(
        3, "data", "fetch", dataset, "--out", str(second), "--key", "org3", check=False
    )
    assert failed.returncode == 1 and "step 3 (key release) failed" in failed.stderr
    assert not second.exists()
    again = steps.run(
        3,
        "data",
        "request",
        dataset,
        "--purpose",
        "clearance",
        "--credential",
        str(credential),
        "--holder",
        holder_did,
        "--key",
        "org3",
        check=False,
    )
    assert again.returncode == 1 and "7013" in again.stderr and "vc 5106" in again.stderr

    trail = json.loads(steps.run(2, "data", "audit", "--dataset", dataset, "--json").stdout)
    assert [(e["version"], e["org"], e["credential"]["id"]) for e in trail] == [
        (1, "org3", "urn:uuid:broker-network-1")
    ]
    assert trail[0]["proof"]["verified"] is True


def test_a_dataset_in_an_s3_bucket_is_fetched_with_the_readers_own_endpoint(
    net: Localnet, tmp_path: Path, s3_server: S3Server
) -> None:
    """org1 publishes to an S3 bucket with its credentials file; the chain records
    s3://bucket/prefix/<sha256> and no endpoint; org4 fetches with its own endpoint setting
    and its own (read-only) credentials from the AWS variables."""
    steps = Steps(net)
    bucket = s3_server.new_bucket()
    for org in (1, 4):
        steps.run(org, "data", "keys", "register", "--key", f"org{org}")
    source = tmp_path / "invoices.csv"
    source.write_bytes(DATA)
    published = json.loads(
        steps.run(
            1,
            "data",
            "publish",
            str(source),
            "--title",
            "invoices",
            "--key",
            "org1",
            "--store",
            f"s3://{bucket}/org1",
            "--s3-endpoint",
            s3_server.endpoint,
            "--s3-credentials-file",
            str(s3_server.credentials_file("writer")),
            "--json",
        ).stdout
    )
    steps.height = max(steps.height, published["height"])
    dataset = published["dataset"]
    assert published["location"] == f"s3://{bucket}/org1/{published['cipher_hash']}"
    steps.run(1, "data", "grant", dataset, "--org", "org4", "--purpose", "tax", "--key", "org1")
    steps.run(4, "data", "request", dataset, "--purpose", "tax", "--key", "org4")
    delivered = steps.run(1, "data", "deliver", "--dataset", dataset, "--key", "org1").stdout
    assert delivered.startswith(f"released {dataset} v1"), delivered
    reader = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    reader.update(s3_server.env("reader"), AWS_ENDPOINT_URL_S3=s3_server.endpoint)
    fetched = tmp_path / "fetched.csv"
    steps.run(4, "data", "fetch", dataset, "--out", str(fetched), "--key", "org4", env=reader)
    assert fetched.read_bytes() == DATA
    reader["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
    refused = steps.run(
        4,
        "data",
        "fetch",
        dataset,
        "--out",
        str(tmp_path / "no.csv"),
        "--key",
        "org4",
        check=False,
        env=reader,
    )
    assert refused.returncode == 1 and "does not accept the credentials" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "no.csv").exists()
