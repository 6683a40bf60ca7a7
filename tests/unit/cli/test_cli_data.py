"""`cornerstone data` as two organizations run it against the real application behind an
in-memory node (`fake_rpc.py`): keys, publish, grant, request, deliver, fetch, revoke, the
refused next version, audit with proofs; and a scan of everything the commands printed and
the chain holds for the plaintext and the keys."""

from __future__ import annotations

import base64
import importlib
import json
import re
import shlex
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cornerstone.cli import cli, main
from cornerstone.cli import common as cli_common
from cornerstone.cli.data import enckey_path
from cornerstone.crypto import save_key
from cornerstone.datashare import load_encryption_key
from cornerstone.vc import issue_credential
from tests.conftest import ORGS, admin_key, genesis, org_key
from tests.unit.cli.fake_rpc import FakeRpc

DATA = b"vessel,port,eta\nMSC-1,Rotterdam,2026-12-03\n" * 30


@dataclass
class Net:
    rpc: FakeRpc
    home: Path
    outputs: list[str] = field(default_factory=list)

    def argv(self, command: str) -> list[str]:
        return [*shlex.split(command), "--home", str(self.home)]

    def run(self, command: str) -> Result:
        result = CliRunner().invoke(cli, self.argv(command))
        self.outputs.append(result.output)
        return result

    def ok(self, command: str) -> str:
        result = self.run(command)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    def fails(self, command: str, capsys: pytest.CaptureFixture[str]) -> str:
        """Run through `main`, as the shell does: the error's sentence on stderr, exit 1."""
        capsys.readouterr()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sys, "argv", ["cornerstone", *self.argv(command)])
            with pytest.raises(SystemExit) as exited:
                main()
        assert exited.value.code == 1
        captured = capsys.readouterr()
        self.outputs.append(captured.out + captured.err)
        return captured.err


@pytest.fixture(name="net")
def net_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Net:
    rpc = FakeRpc.started(genesis())
    made = Net(rpc=rpc, home=tmp_path / "net")
    for org in ORGS:
        save_key(made.home / "keys" / f"{org}.json", org_key(org), name=org)
        save_key(made.home / "keys" / f"{org}-admin.json", admin_key(org), name=f"{org}-admin")
    monkeypatch.setattr(cli_common, "connect", lambda _home, _node: rpc.client())
    monkeypatch.delenv("CORNERSTONE_STORE", raising=False)
    return made


def published(out: str) -> str:
    found = re.search(r"published dataset ([0-9a-f]{32}) version (\d+)", out)
    assert found, out
    return found.group(1)


def test_two_organizations_share_a_dataset_through_the_cli(
    net: Net, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for org in ("org1", "org2"):
        out = net.ok(f"data keys register --key {org}")
        assert "registered encryption key" in out
        assert stat.S_IMODE(enckey_path(net.home, org).stat().st_mode) == 0o600
    source = tmp_path / "eta.csv"
    source.write_bytes(DATA)
    dataset = published(
        net.ok(f"data publish {source} --title 'vessel ETAs' --schema vessel,port,eta --key org1")
    )
    assert "grant 1 of" in net.ok(f"data grant {dataset} --org org2 --purpose planning --key org1")
    net.ok(f"data request {dataset} --purpose planning --key org2")
    delivered = net.ok("data deliver --key org1")
    assert delivered.startswith(f"released {dataset} v1")
    got = tmp_path / "got.csv"
    fetched = net.ok(f"data fetch {dataset} --out {got} --key org2")
    assert "content hash checked" in fetched and got.read_bytes() == DATA

    net.ok(f"data revoke {dataset} 1 --key org1")
    source.write_bytes(DATA + b"CMA-2,Hamburg,2026-12-09\n")
    assert published(net.ok(f"data publish {source} --dataset {dataset} --key org1")) == dataset
    net.ok(f"data request {dataset} --purpose planning --key org2")
    refused = net.ok("data deliver --key org1")
    assert refused.startswith(f"refused {dataset} v2") and "revoked at height" in refused
    err = net.fails(f"data fetch {dataset} --out {tmp_path / 'v2.csv'} --key org2", capsys)
    assert "step 3 (key release) failed" in err and "pending" in err
    assert not (tmp_path / "v2.csv").exists()

    shown = net.ok(f"data show {dataset}")
    assert "vessel ETAs" in shown and "planning" in shown
    table = net.ok(f"data audit --dataset {dataset}")
    assert "1 receipt(s); each proof: verified against app hash" in table
    rows = net.ok(f"data audit --dataset {dataset} --csv").splitlines()
    assert rows[0].split(",")[:3] == ["dataset", "version", "recipient"] and len(rows) == 2
    [entry] = json.loads(net.ok(f"data audit --dataset {dataset} --json"))
    assert entry["org"] == "org2" and entry["grant"] == 1 and entry["purpose"] == "planning"
    assert entry["proof"]["verified"] is True and entry["proof"]["height"] >= entry["height"]
    exported = tmp_path / "audit.csv"
    net.ok(
        f"data audit --recipient {org_key('org2').public_key.fingerprint.hex()} --out {exported}"
    )
    assert exported.read_text().startswith("dataset,")

    _nothing_secret_anywhere(net, dataset)


def _nothing_secret_anywhere(net: Net, dataset: str) -> None:
    """The plaintext, both data keys (recovered with the owner's key file) and both encryption
    private keys appear in no output, no transaction and no state value."""
    owner = load_encryption_key(enckey_path(net.home, "org1"))
    reader = load_encryption_key(enckey_path(net.home, "org2"))
    client = net.rpc.client()
    data_keys = []
    for version in (1, 2):
        record = client.query(
            "datashare", "version", dataset=bytes.fromhex(dataset), version=version
        )
        assert isinstance(record, dict) and isinstance(record["owner_key"], bytes)
        data_keys.append(owner.unwrap(record["owner_key"]).secret())
    secrets = [DATA, DATA[:32], *data_keys, bytes(owner._private), bytes(reader._private)]
    txs = [base64.b64decode(r["tx"]) for r in net.rpc.results.values()]
    logs = [r["tx_result"]["log"].encode() for r in net.rpc.results.values()]
    state = [k + v for k, v in net.rpc.chain.app.store.iterate(b"")]
    printed = [o.encode() for o in net.outputs]
    assert len(txs) >= 9
    for secret in secrets:
        for blob in (*txs, *logs, *state, *printed):
            assert secret not in blob and secret.hex().encode() not in blob


def test_fetch_names_the_step_that_failed_and_writes_nothing(
    net: Net, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for org in ("org1", "org2"):
        net.ok(f"data keys register --key {org}")
    source = tmp_path / "d.bin"
    source.write_bytes(DATA)
    dataset = published(net.ok(f"data publish {source} --title d --key org1"))
    net.ok(
        f"data grant {dataset} --member {org_key('org2').public_key.fingerprint.hex()} "
        "--purpose qa --key org1"
    )
    out = tmp_path / "out.bin"
    err = net.fails(f"data fetch {dataset} --out {out} --key org2", capsys)
    assert "step 3" in err and "cornerstone data request" in err
    net.ok(f"data request {dataset} --version 1 --purpose qa --key org2")
    net.ok("data deliver --key org1")
    [blob] = (net.home / "store").iterdir()
    good = blob.read_bytes()
    blob.write_bytes(good.replace(good[40:48], bytes(8)))
    err = net.fails(f"data fetch {dataset} --out {out} --key org2", capsys)
    assert "step 2 (ciphertext hash) failed" in err and not out.exists()
    blob.write_bytes(good)
    enckey_path(net.home, "org2").unlink()
    net.ok("data keys register --key org2")  # a new key: the release was sealed to the old one
    err = net.fails(f"data fetch {dataset} --out {out} --key org2", capsys)
    assert "step 4 (unwrap key) failed" in err and not out.exists()


def test_mistakes_get_a_sentence(
    net: Net, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "d.bin"
    source.write_bytes(DATA)
    assert "a new dataset needs a title" in net.run(f"data publish {source} --key org1").output
    assert "exactly one of" in net.run(f"data grant {'ab' * 16} --purpose x --key org1").output
    assert "32 hex" in net.run("data show abc").output
    err = net.fails(f"data publish {source} --title t --key org1", capsys)
    assert "no such file" in err and "data keys register" in err
    net.ok("data keys register --key org1")
    dataset = published(net.ok(f"data publish {source} --title t --key org1"))
    err = net.fails(
        f"data grant {dataset} --credential-type Kyc/Credential --purpose x --key org1", capsys
    )
    assert "credential type" in err
    err = net.fails(f"data grant {dataset} --org org2 --purpose x --key org2", capsys)
    assert "only the owner" in err
    assert "no access receipts" in net.ok("data audit")


def test_a_credential_holder_requests_with_a_presentation_through_the_cli(
    net: Net, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """org1 grants to holders of a CustomsBroker credential; org2's client, holding one from a
    trusted issuer, requests with a presentation made by the CLI and gets the data; the
    receipt names the credential. A presentation file made for another request is refused."""
    prefix = f"did:cornerstone:{net.rpc.chain.chain_id}:"
    issuer, holder = prefix + "org1.issuer", prefix + "org2.holder"
    net.ok("did create --key org1 --name issuer")
    net.ok("did create --key org2 --name holder")
    proposed = net.ok(
        "proposal new did trust_issuer --key org1-admin "
        f"--arg credential_type=CustomsBroker --arg issuer={issuer}"
    )
    proposal = int(proposed.split()[1].rstrip(":"))
    net.ok(f"proposal vote {proposal} --key org2-admin")
    net.ok(f"proposal vote {proposal} --key org3-admin")
    # Issued with the chain's (test) clock: the chain checks validity by block time.
    now = net.rpc.chain.time_ns
    credential = tmp_path / "broker.json"
    credential.write_text(
        json.dumps(
            issue_credential(
                issuer=issuer,
                key=org_key("org1"),
                verification_method=f"{issuer}#key-1",
                types=["CustomsBroker"],
                subject={"id": holder},
                valid_from_ns=now,
                valid_until_ns=now + 10**18,
                credential_id="urn:uuid:broker-1",
                created_ns=now,
            )
        )
    )
    for org in ("org1", "org2"):
        net.ok(f"data keys register --key {org}")
    source = tmp_path / "brokers.csv"
    source.write_bytes(DATA)
    dataset = published(net.ok(f"data publish {source} --title brokers --key org1"))
    granted = net.ok(
        f"data grant {dataset} --credential-type CustomsBroker --issuer {issuer} "
        "--purpose clearance --key org1"
    )
    assert f"credential CustomsBroker issued by {issuer}" in granted
    assert (
        "--issuer goes with"
        in net.run(
            f"data grant {dataset} --org org2 --issuer {issuer} --purpose x --key org1"
        ).output
    )

    challenge = net.ok(f"data request {dataset} --purpose clearance --show-challenge --key org2")
    assert re.search(r"challenge [0-9a-f]{64}", challenge) and "domain" in challenge
    foreign = tmp_path / "vp.json"
    net.ok(
        f"vc present {credential} --holder {holder} --key org2 --challenge c1 "
        f"--domain {net.rpc.chain.chain_id} --out {foreign}"
    )
    err = net.fails(
        f"data request {dataset} --purpose clearance --presentation {foreign} --key org2", capsys
    )
    assert "vc 5110" in err and "challenge" in err
    requested = net.ok(
        f"data request {dataset} --purpose clearance --credential {credential} "
        f"--holder {holder} --key org2"
    )
    assert "as holder of urn:uuid:broker-1" in requested
    assert net.ok("data deliver --key org1").startswith(f"released {dataset} v1")
    got = tmp_path / "got.csv"
    net.ok(f"data fetch {dataset} --out {got} --key org2")
    assert got.read_bytes() == DATA
    [entry] = json.loads(net.ok(f"data audit --dataset {dataset} --json"))
    assert entry["credential"]["id"] == "urn:uuid:broker-1" and entry["proof"]["verified"]
    rows = net.ok(f"data audit --dataset {dataset} --csv").splitlines()
    assert "credential" in rows[0].split(",") and "urn:uuid:broker-1" in rows[1]


def test_publish_finds_its_store_and_the_upload_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--store, else $CORNERSTONE_STORE, else the local network's first gateway (with the token
    from its node folder), else <home>/store; a token file is read for HTTP stores only."""
    from cornerstone.datashare import LocalBlobStore

    cli_data = importlib.import_module("cornerstone.cli.data")  # `cli.data` is the group

    monkeypatch.delenv("CORNERSTONE_STORE", raising=False)
    monkeypatch.delenv("CORNERSTONE_STORE_TOKEN_FILE", raising=False)
    opened: list[tuple[str, str | None]] = []

    def open_store(spec: str, *, token: str | None = None) -> LocalBlobStore:
        opened.append((spec, token))
        return LocalBlobStore(tmp_path / "unused")

    monkeypatch.setattr(cli_data, "open_store", open_store)
    home = tmp_path / "home"
    cli_data._upload_store(home, None, None)  # no local network here
    assert opened.pop() == (str(home / "store"), None)

    first, second = tmp_path / "node1.token", tmp_path / "node2.token"
    first.write_text("token-of-node1-gateway\n")
    second.write_text("token-of-node2-gateway\n")
    gateways = {"http://127.0.0.1:1/v1/blobs": first, "http://127.0.0.1:2/v1/blobs": second}
    monkeypatch.setattr(cli_data, "_local_gateways", lambda _home: gateways)
    cli_data._upload_store(home, None, None)
    assert opened.pop() == ("http://127.0.0.1:1/v1/blobs", "token-of-node1-gateway")
    cli_data._upload_store(home, "http://127.0.0.1:2/v1/blobs/", None)
    assert opened.pop() == ("http://127.0.0.1:2/v1/blobs/", "token-of-node2-gateway")
    cli_data._upload_store(home, "http://elsewhere/v1/blobs", None)
    assert opened.pop() == ("http://elsewhere/v1/blobs", None)
    cli_data._upload_store(home, "http://elsewhere/v1/blobs", second)
    assert opened.pop() == ("http://elsewhere/v1/blobs", "token-of-node2-gateway")
    monkeypatch.setenv("CORNERSTONE_STORE", str(tmp_path / "folder"))
    cli_data._upload_store(home, None, first)
    assert opened.pop() == (str(tmp_path / "folder"), None), "no token leaves for a folder"
