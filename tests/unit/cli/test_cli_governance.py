"""`cornerstone org` and `cornerstone proposal` (and `tx notary --cert`) as a user runs them,
against the real application behind an in-memory CometBFT RPC (`fake_rpc.py`).

Commands are written as a shell line (split with shlex) and get `--home` of a folder whose
keys/ holds each organization's client and admin key, named as a local network names them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cornerstone.cli import cli, main
from cornerstone.cli import common as cli_common
from cornerstone.crypto import PrivateKey, save_key
from cornerstone.errors import (
    ClientError,
    NotPermittedError,
    TransactionRejectedError,
    UnknownSenderError,
)
from cornerstone.identity.ca import CertificateAuthority
from cornerstone.identity.errors import RoleNotAllowedError
from cornerstone.identity.roles import Role
from cornerstone.modules import BY_NAME
from tests.conftest import ORGS, admin_key, genesis, member_certificate, org_key, root_certificate
from tests.unit.cli.fake_rpc import URL, FakeRpc


@dataclass(frozen=True, slots=True)
class Net:
    """A chain of four organizations, and the home folder the commands use."""

    rpc: FakeRpc
    """The node the commands talk to."""
    home: Path
    """Its keys/ holds org<i> and org<i>-admin, as a local network's does."""

    def argv(self, command: str) -> list[str]:
        return [*shlex.split(command), "--home", str(self.home)]

    def run(self, command: str) -> Result:
        return CliRunner().invoke(cli, self.argv(command))

    def ok(self, command: str) -> str:
        result = self.run(command)
        assert result.exit_code == 0, result.output
        return result.output

    def json(self, command: str) -> Any:
        return json.loads(self.ok(command + " --json"))

    def add_key(self, name: str, key: PrivateKey) -> None:
        save_key(self.home / "keys" / f"{name}.json", key, name=name)


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Net:
    rpc = FakeRpc.started(genesis())
    made = Net(rpc=rpc, home=tmp_path / "net")
    for org in ORGS:
        made.add_key(org, org_key(org))
        made.add_key(f"{org}-admin", admin_key(org))
    # The one seam between the commands and the network.
    monkeypatch.setattr(cli_common, "connect", lambda _home, _node: rpc.client())
    return made


def refusal(result: Result) -> TransactionRejectedError:
    """The chain's refusal, raised by the command for `main()` to print."""
    assert isinstance(result.exception, TransactionRejectedError), result.output
    return result.exception


def usage_error(result: Result) -> str:
    """The one `Error: ` line of a usage error (exit status 2, no traceback)."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit), result.exception
    [line] = [line for line in result.output.splitlines() if line.startswith("Error: ")]
    return line


def main_says(
    net: Net, command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> str:
    """What the real entry point prints on stderr when `command` fails (exit status 1)."""
    monkeypatch.setattr(sys, "argv", ["cornerstone", *net.argv(command)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    out, err = capsys.readouterr()
    assert out == ""
    return err


def pem_file(path: Path, der: bytes) -> Path:
    path.write_bytes(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM))
    return path


# ---------------------------------------------------------------------------- org
def test_org_list_and_show_with_a_verified_proof(net: Net) -> None:
    table = net.ok("org list").splitlines()
    assert table[0].split() == ["ID", "NAME", "STATUS", "SINCE", "NODES", "VALIDATORS"]
    assert [row.split()[0] for row in table[1:]] == list(ORGS)
    assert all("active" in row for row in table[1:])
    assert net.json("org list")[1]["root_certificate"] == root_certificate("org2").hex()

    shown = net.ok("org show org2 --prove")
    assert f"sha256 {hashlib.sha256(root_certificate('org2')).hexdigest()}" in shown
    assert f"admin     {admin_key('org2').public_key.hex()} (ed25519)  admin" in shown
    assert f"client    {org_key('org2').public_key.hex()} (ed25519)  client" in shown
    assert "proof: verified against app hash" in shown

    document = net.json("org show org2 --prove")
    proof = document["proof"]
    assert proof["app_hash"] == net.rpc.app_hashes[proof["height"]].hex()
    assert sorted(m["role"] for m in document["members"]) == ["admin", "client"]

    missing = net.run("org show org9 --prove")
    assert missing.exit_code == 1 and "Traceback" not in missing.output
    assert "there is no organization org9 (proven absent at height" in missing.output
    assert "is not an organization id" in usage_error(net.run("org show Org/9"))


def test_an_admin_registers_and_removes_a_member(net: Net) -> None:
    service = PrivateKey.generate()
    net.add_key("svc", service)
    key = service.public_key.hex()
    registered = net.ok(
        f"org member register org1 --key org1-admin --public-key {key} --role client --name svc"
    )
    assert f"registered {key} as client 'svc' of org1" in registered
    assert "committed at height" in registered
    [member] = [m for m in net.json("org show org1")["members"] if m["public_key"] == key]
    assert (member["role"], member["name"], member["suite"]) == ("client", "svc", "ed25519")
    anchor = f"tx notary anchor --key svc --node {URL} --digest"
    assert "committed at height" in net.ok(f"{anchor} {'11' * 32}")

    removed = net.ok(f"org member remove org1 --key org1-admin --public-key {key}")
    assert f"removed {key} from org1" in removed
    refused = refusal(net.run(f"{anchor} {'22' * 32}"))
    assert refused.fields["tx_code"] == UnknownSenderError.code


def test_registering_a_member_needs_an_admin_of_that_organization(
    net: Net, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    register = f"org member register org1 --public-key {'ab' * 32} --role client --name svc"
    by_client = refusal(net.run(f"{register} --key org1"))
    assert (by_client.fields["codespace"], by_client.fields["tx_code"]) == (
        "identity",
        RoleNotAllowedError.code,
    )
    by_other_admin = refusal(net.run(f"{register} --key org2-admin"))
    assert by_other_admin.fields["tx_code"] == NotPermittedError.code

    said = main_says(net, f"{register} --key org1", monkeypatch, capsys)
    assert said.startswith(
        f"error: the transaction was refused (identity code {RoleNotAllowedError.code}): "
    )
    assert said.count("\n") == 1 and "client" in said


def test_cert_status_of_a_valid_then_a_revoked_certificate(net: Net, tmp_path: Path) -> None:
    holder = PrivateKey.generate()
    certificate = pem_file(
        tmp_path / "holder.pem", member_certificate("org2", holder, Role.CLIENT, serial=0x1092)
    )
    status = f"org cert-status org2 1092 --cert {certificate}"
    valid = net.ok(status)
    assert "certificate 0000000000001092 of org2: not revoked" in valid
    assert "the chain's verdict on it now: valid: member 4242 (client) of org2" in valid
    assert "proof: verified against app hash" in valid

    revoked = net.ok(
        "proposal new --key org2-admin membership revoke_certificate "
        "--arg org=org2 --arg serial=1092 --arg 'reason=key lost'"
    )
    assert "status  executed at height" in revoked, "org2's own admin suffices"

    document = net.json(status)
    assert document["revoked"] is True
    assert document["revocation"]["reason"] == "key lost"
    assert document["certificate"]["status"] == "revoked"
    assert document["certificate"]["public_key"] == holder.public_key.hex()
    line = net.ok("org cert-status org2 0x1092").splitlines()[0]
    assert line.startswith("certificate 0000000000001092 of org2: revoked at height ")
    assert line.endswith("(key lost)")

    other = net.run(f"org cert-status org2 1093 --cert {certificate}")
    assert "is certificate 0000000000001092 of org2, not 0000000000001093" in usage_error(other)
    assert "is not a serial" in usage_error(net.run("org cert-status org2 xyz"))


def test_tx_notary_anchor_as_a_certificate_holder(net: Net, tmp_path: Path) -> None:
    holder = PrivateKey.generate()
    net.add_key("holder", holder)
    certificate = pem_file(tmp_path / "holder.pem", member_certificate("org3", holder))
    anchor = f"tx notary anchor --cert {certificate} --node {URL}"
    sent = net.ok(f"{anchor} --key holder --digest {'33' * 32}")
    assert "committed at height" in sent and '"org": "org3"' in sent
    found = net.ok(f"query notary --digest {'33' * 32} --node {URL}")
    assert '"org": "org3"' in found and "proof: verified" in found

    wrong = net.run(f"{anchor} --key org1 --digest {'44' * 32}")
    assert "certifies the key" in usage_error(wrong)
    assert net.rpc.broadcasts == 1


def test_tx_notary_anchor_sends_several_documents_and_says_what_became_of_each(
    net: Net, tmp_path: Path
) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF quarterly report")
    anchor = f"tx notary anchor --key org1 --node {URL} --meta batch=q3"
    sent = net.run(f"{anchor} --file {report} --digest {'55' * 32} --digest {'55' * 32}")
    lines = sent.output.splitlines()
    assert lines[0].startswith(f"{report}: committed at height ")
    assert lines[1].startswith(f"{'55' * 32}: committed at height ")
    assert lines[2] == (
        f"{'55' * 32}: the transaction was committed at height {net.rpc.chain.height} but "
        f"failed (notary code 1000): the digest {'55' * 32} is already anchored (document "
        f"{'55' * 32}, revision 0)"
    )
    assert isinstance(sent.exception, ClientError) and sent.exit_code == 1
    assert sent.exception.message == "1 of 3 documents were not anchored"
    found = net.ok(f"query notary --file {report} --node {URL}")
    assert '"batch": "q3"' in found and "proof: verified" in found

    assert "give a document" in usage_error(net.run(f"{anchor}"))


# ---------------------------------------------------------------------------- proposals
def test_a_parameter_proposal_is_voted_and_executed(net: Net) -> None:
    proposed = net.ok(
        "proposal new governance set_param --key org1-admin "
        "--arg name=max_tx_bytes --arg value=2048 --title 'smaller transactions'"
    )
    assert proposed.startswith("proposal 1: governance set_param\n")
    assert "status  open until height" in proposed
    assert "votes   1 of the 3 approvals it needs (org1); eligible: org1, org2, org3, org4" in (
        proposed
    )
    assert "cornerstone proposal vote 1 --key NAME" in proposed

    voted = net.ok("proposal vote 1 --key org2-admin")
    assert "2 of the 3 approvals it needs (org1, org2)" in voted
    assert [p["id"] for p in net.json("proposal list --status open")] == [1]
    executed = net.ok("proposal vote 1 --key org3-admin")
    assert "voted to approve proposal 1: governance set_param" in executed
    assert "status  executed at height" in executed

    assert net.json("proposal params")["max_tx_bytes"] == 2048
    assert "max_tx_bytes   2048" in net.ok("proposal params")
    shown = net.ok("proposal show 1 --prove")
    assert "proposal 1: governance set_param  'smaller transactions'" in shown
    assert "policy    MAJORITY of all organizations (admin)" in shown
    assert "value = 2048" in shown
    for org in ("org1", "org2", "org3"):
        assert f"{org}     approve  at height" in shown
    assert "proof: verified against app hash" in shown

    document = net.json("proposal show 1 --prove")
    assert document["status"] == "executed"
    assert document["args"] == {"name": "max_tx_bytes", "value": 2048}
    assert sorted(document["votes"]) == ["org1", "org2", "org3"]
    assert document["proof"]["app_hash"] == net.rpc.app_hashes[document["proof"]["height"]].hex()
    assert [p["id"] for p in net.json("proposal list --status executed")] == [1]
    assert "no open proposals" in net.ok("proposal list --status open")


def test_an_organization_with_a_new_ca_is_admitted_despite_one_rejection(
    net: Net, tmp_path: Path
) -> None:
    authority = CertificateAuthority.create(tmp_path / "ca" / "org5", "org5")
    validator = PrivateKey.generate().public_key.raw
    args = {"id": "org5", "name": "Organization 5", "validators": [f"hex:{validator.hex()}"]}
    proposed = net.ok(
        f"proposal new --key org1-admin membership add_organization "
        f"--args-json {shlex.quote(json.dumps(args))} "
        f"--arg root_certificate=@{authority.directory / 'ca.crt'} --arg nodes={'ab' * 20}"
    )
    assert proposed.startswith("proposal 1: membership add_organization")
    assert "voted to reject proposal 1" in net.ok("proposal vote 1 --key org4-admin --reject")
    voted = net.ok("proposal vote 1 --key org2-admin")
    assert "(org1, org2); against: org4;" in voted
    assert "executed at height" in net.ok("proposal vote 1 --key org3-admin")

    shown = net.ok("proposal show 1")
    assert "org4     reject" in shown and "concerns org5" in shown
    assert f"validators = [{validator.hex()}]" in shown
    document = net.json("proposal show 1")
    assert document["args"]["root_certificate"] == authority.certificate_der.hex()
    assert document["votes"]["org4"]["approve"] is False
    [row] = [row for row in net.ok("org list").splitlines() if row.startswith("org5")]
    assert row.split()[-2:] == ["1", "1"], "one node, one validator"


def test_a_vote_by_a_client_key_is_refused(
    net: Net, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    net.ok(
        "proposal new governance set_param --key org1-admin "
        """--args-json '{"name": "voting_period", "value": 5}'"""
    )
    refused = refusal(net.run("proposal vote 1 --key org2"))
    assert (refused.fields["codespace"], refused.fields["tx_code"]) == (
        "identity",
        RoleNotAllowedError.code,
    )
    said = main_says(net, "proposal vote 1 --key org2", monkeypatch, capsys)
    assert said.startswith("error: the transaction was refused (identity code ")
    assert said.count("\n") == 1
    assert net.json("proposal show 1")["votes"].keys() == {"org1"}


def test_a_policy_proposal_takes_the_policy_as_json(net: Net) -> None:
    policy = {"rule": "ALL", "orgs": ["org1", "org2"], "roles": ["admin"]}
    net.ok(
        "proposal new --key org1-admin governance set_policy "
        f"--arg resource=governance.set_param --arg policy={shlex.quote(json.dumps(policy))}"
    )
    net.ok("proposal vote 1 --key org2-admin")
    net.ok("proposal vote 1 --key org3-admin")
    policies = net.ok("proposal policies").splitlines()
    [row] = [line for line in policies if line.startswith("governance.set_param")]
    assert row.split(maxsplit=1)[1] == "ALL of org1, org2 (admin)"
    [row] = [line for line in policies if line.startswith("membership.add_organization")]
    assert row.split(maxsplit=1)[1] == "MAJORITY of all organizations (admin)"


def test_policies_and_params(net: Net) -> None:
    assert net.json("proposal policies")["membership.register_member"] == {
        "rule": "ANY",
        "orgs": "self",
        "roles": ["admin"],
    }
    assert net.json("proposal params")["voting_period"] == 100
    assert net.json("proposal list") == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ("governance set_param --args-json '{not json'", "it is not JSON"),
        ("governance set_param --args-json '[1]'", "is a JSON object"),
        ("governance set_param --arg name", "'name' is not NAME=VALUE"),
        (
            "governance set_param --arg name=max_tx_bytes --arg value=lots",
            "the argument 'value': 'lots' is not an integer",
        ),
        (
            """governance set_param --args-json '{"name": "max_tx_bytes", "value": 1.5}'""",
            "the argument 'value': give an integer",
        ),
        ("governance set_param --arg name=max_tx_bytes", "the argument 'value' is missing"),
        ("governance set_param --arg colour=red", "has no argument 'colour'"),
        ("membership no_such_thing", "there is no governance action membership no_such_thing"),
        (
            "membership add_organization --arg 'id=Org 5' --arg name=x --arg root_certificate=00",
            "is not an organization id",
        ),
        (
            "membership add_organization --arg root_certificate=@/no/such.pem",
            "there is no file /no/such.pem",
        ),
        (
            "membership set_validator --arg public_key=xyz",
            "'xyz' is not hex (or @FILE for a certificate file)",
        ),
        (
            "membership revoke_certificate --arg org=org1 --arg serial=zz",
            "hex digits, as `cornerstone ca list` shows them",
        ),
    ],
)
def test_bad_proposal_arguments_are_usage_errors(net: Net, args: str, says: str) -> None:
    line = usage_error(net.run(f"proposal new --key org1-admin {args}"))
    assert says in line
    assert net.rpc.broadcasts == 0, "nothing reaches the chain"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            "governance set_param --arg name=block_size --arg value=3",
            "(governance code 3008): there is no chain parameter block_size",
        ),
        (
            "governance set_param --arg name=max_tx_bytes --arg value=10",
            "(governance code 3009): the parameter max_tx_bytes must be 1024 to 1048576",
        ),
        (
            "governance set_policy --arg resource=notary.anchor "
            """--arg 'policy={"rule": "most", "orgs": "*", "roles": ["client"]}'""",
            "(governance code 3007): the policy for notary.anchor is refused: the rule 'most'",
        ),
        (
            "governance set_policy --arg resource=notary.burn "
            """--arg 'policy={"rule": "ANY", "orgs": "*", "roles": ["client"]}'""",
            "(governance code 3006): there is no resource notary.burn",
        ),
    ],
)
def test_a_proposal_its_action_would_refuse_is_refused_before_any_vote(
    net: Net, args: str, says: str
) -> None:
    result = net.run(f"proposal new --key org1-admin {args}")
    assert result.exit_code == 1
    assert says in str(result.exception)
    assert "[]" in net.run("proposal list --json").output, "nothing to vote on"


def test_the_help_of_proposal_new_names_every_action_and_its_arguments() -> None:
    text = CliRunner().invoke(cli, ["proposal", "new", "--help"]).output
    for module in BY_NAME.values():
        for action, spec in module.actions.items():
            [line] = [
                line.strip()
                for line in text.splitlines()
                if line.strip().startswith(f"{module.name} {action}  ")
            ]
            named = [part.split()[0] for part in line.split("  ", 1)[1].split(", ")]
            assert named == [f.name for f in dataclasses.fields(spec.message)], line
