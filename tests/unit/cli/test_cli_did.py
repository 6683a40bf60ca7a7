"""`cornerstone did` and `cornerstone vc` as organizations run them, against the real
application behind an in-memory CometBFT RPC (`fake_rpc.py`): create and show DIDs, trust an
issuer by proposal, issue, verify, suspend, reinstate, revoke, present, and refuse a change by
a key that does not control the DID."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cornerstone.cli import cli
from cornerstone.cli import common as cli_common
from cornerstone.crypto import save_key
from cornerstone.errors import TransactionFailedError
from tests.conftest import ORGS, admin_key, genesis, org_key
from tests.unit.cli.fake_rpc import FakeRpc

PREFIX = "did:cornerstone:test-chain:"
ISSUER = PREFIX + "org1.issuer"
HOLDER = PREFIX + "org2.holder"


@dataclass(frozen=True, slots=True)
class Net:
    rpc: FakeRpc
    home: Path

    def run(self, command: str) -> Result:
        return CliRunner().invoke(cli, [*shlex.split(command), "--home", str(self.home)])

    def ok(self, command: str) -> str:
        result = self.run(command)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    def json(self, command: str) -> Any:
        return json.loads(self.ok(command))


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Net:
    rpc = FakeRpc.started(genesis())
    made = Net(rpc=rpc, home=tmp_path / "net")
    for org in ORGS:
        save_key(made.home / "keys" / f"{org}.json", org_key(org), name=org)
        save_key(made.home / "keys" / f"{org}-admin.json", admin_key(org), name=f"{org}-admin")
    monkeypatch.setattr(cli_common, "connect", lambda _home, _node: rpc.client())
    return made


def test_dids_are_created_shown_changed_and_deactivated(net: Net) -> None:
    out = net.ok("did create --key org1 --name issuer --service hub=Hub=https://hub.example")
    assert out.splitlines()[0] == ISSUER
    document = net.json(f"did show {ISSUER}")
    assert (
        document["id"] == ISSUER
        and document["service"][0]["serviceEndpoint"] == "https://hub.example"
    )
    created_at = net.rpc.chain.height
    net.ok(
        f"did update {ISSUER} --key org1 --add-key key-2=org1-admin:assertionMethod "
        "--remove-service hub"
    )
    assert len(net.json(f"did show {ISSUER}")["verificationMethod"]) == 2
    assert len(net.json(f"did show {ISSUER} --height {created_at}")["verificationMethod"]) == 1
    assert net.run(f"did show {ISSUER} --height {created_at - 1}").exit_code == 1
    refused = net.run(f"did deactivate {ISSUER} --key org2")
    assert isinstance(refused.exception, TransactionFailedError)
    assert "did code 5002" in refused.exception.message
    net.ok(f"did bind {ISSUER} --org org1 --key org1-admin")
    assert net.json(f"did show {ISSUER}")["alsoKnownAs"] == ["urn:cornerstone:test-chain:org:org1"]
    net.ok(f"did deactivate {ISSUER} --key org1")
    assert "deactivated" in net.ok(f"did history {ISSUER}").splitlines()[-1]
    assert net.json(f"did show {ISSUER} --metadata")["didDocumentMetadata"]["deactivated"] is True


def test_credentials_are_issued_verified_presented_and_revoked(net: Net, tmp_path: Path) -> None:
    net.ok("did create --key org1 --name issuer")
    net.ok("did create --key org2 --name holder")
    proposed = net.ok(
        "proposal new did trust_issuer --key org1-admin "
        f"--arg credential_type=MembershipCredential --arg issuer={ISSUER}"
    )
    proposal = int(proposed.split()[1].rstrip(":"))
    net.ok(f"proposal vote {proposal} --key org2-admin")
    net.ok(f"proposal vote {proposal} --key org3-admin")
    assert "MembershipCredential" in net.ok("did trusted")
    subject = tmp_path / "subject.json"
    subject.write_text(json.dumps({"id": HOLDER, "memberOf": "org2"}))
    credential = tmp_path / "credential.json"
    issued = net.ok(
        f"vc issue --key org1 --issuer {ISSUER} --type MembershipCredential "
        f"--subject {subject} --out {credential}"
    )
    assert "status index 0" in issued
    assert "verified: MembershipCredential" in net.ok(f"vc verify {credential}")

    presentation = tmp_path / "vp.json"
    net.ok(
        f"vc present {credential} --holder {HOLDER} --key org2 --challenge c1 "
        f"--domain verifier.example --out {presentation}"
    )
    assert "verified" in net.ok(
        f"vc verify {presentation} --challenge c1 --domain verifier.example"
    )
    replayed = net.run(f"vc verify {presentation} --challenge c2 --domain verifier.example")
    assert replayed.exit_code == 1 and "vc code 5110" in replayed.output

    net.ok(f"vc suspend {credential} --key org1")
    suspended = net.run(f"vc verify {credential} --json")
    assert suspended.exit_code == 1 and json.loads(suspended.output)["code"] == 5107
    net.ok(f"vc reinstate {credential} --key org1")
    net.ok(f"vc verify {credential}")
    net.ok(f"vc revoke {credential} --key org1")
    revoked = net.run(f"vc verify {credential}")
    assert revoked.exit_code == 1 and "revoked" in revoked.output
    again = net.run(f"vc reinstate --issuer {ISSUER} --index 0 --key org1")
    assert isinstance(again.exception, TransactionFailedError)

    status_list = net.json(f"vc status-list {ISSUER} --key org1")
    assert status_list["proof"]["cryptosuite"] == "eddsa-jcs-2022"

    tampered = json.loads(credential.read_text())
    tampered["credentialSubject"]["memberOf"] = "org3"
    credential.write_text(json.dumps(tampered))
    assert "vc code 5101" in net.run(f"vc verify {credential}").output
