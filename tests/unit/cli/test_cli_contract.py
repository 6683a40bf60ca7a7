"""`cornerstone contract` as an author and the organizations' admins run it: the local commands
on files, and the lifecycle, calls and queries against the real application behind an in-memory
CometBFT RPC (`fake_rpc.py`), through the one seam `cornerstone.cli.common.connect`."""

from __future__ import annotations

import importlib
import json
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from click.testing import CliRunner, Result

from cornerstone.cli import cli, main
from cornerstone.cli import common as cli_common
from cornerstone.crypto import save_key
from cornerstone.errors import TransactionFailedError
from tests.conftest import ORGS, admin_key, genesis, org_key
from tests.unit.cli.fake_rpc import FakeRpc

EXAMPLES: Final = Path(__file__).parents[3] / "examples" / "contracts"
COUNTER: Final = '''"""A counter per organization."""

from cornerstone_contract import Map, context, emit, export, query, require

counts = Map("counts", key=str, value=int)


@export
def add(amount: int, note: str = "") -> int:
    require(amount > 0, "add a positive amount")
    counts[context.org] = counts.get(context.org, 0) + amount
    emit("added", org=context.org, amount=amount, note=note)
    return counts[context.org]


@query
def total(org: str) -> int:
    return counts.get(org, 0)
'''
COUNTER_V2: Final = COUNTER.replace(
    "@query\ndef total",
    '@export\ndef double_all() -> None:\n    for org in ["org1", "org2"]:\n'
    "        counts[org] = counts.get(org, 0) * 2\n\n\n@query\ndef total",
)


@dataclass(frozen=True, slots=True)
class Net:
    """A chain of four organizations, and the home folder the commands use."""

    rpc: FakeRpc
    home: Path
    """Its keys/ holds org<i> and org<i>-admin, as a local network's does."""

    def argv(self, command: str) -> list[str]:
        return [*shlex.split(command), "--home", str(self.home)]

    def run(self, command: str) -> Result:
        return CliRunner().invoke(cli, self.argv(command))

    def ok(self, command: str) -> str:
        result = self.run(command)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    def json(self, command: str) -> Any:
        return json.loads(self.ok(command + " --json"))

    def passed(self, command: str) -> str:
        """Propose as org1's admin, then approve as org2's and org3's: a MAJORITY of four."""
        out = self.ok(f"{command} --key org1-admin")
        proposal = int(out.split()[1].rstrip(":"))
        self.ok(f"contract vote {proposal} --key org2-admin")
        last = self.ok(f"contract vote {proposal} --key org3-admin")
        assert "status  executed" in last, last
        return out


@pytest.fixture
def net(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Net:
    rpc = FakeRpc.started(genesis())
    made = Net(rpc=rpc, home=tmp_path / "net")
    for org in ORGS:
        save_key(made.home / "keys" / f"{org}.json", org_key(org), name=org)
        save_key(made.home / "keys" / f"{org}-admin.json", admin_key(org), name=f"{org}-admin")
    monkeypatch.setattr(cli_common, "connect", lambda _home, _node: rpc.client())
    return made


@pytest.fixture
def counter(tmp_path: Path) -> Path:
    path = tmp_path / "counter.py"
    path.write_text(COUNTER)
    return path


# ---------------------------------------------------------------------------- local
def test_new_writes_a_contract_that_checks_and_whose_tests_pass(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["contract", "new", "ledger", "--dir", str(tmp_path)])
    assert made.exit_code == 0, made.output
    assert (tmp_path / "ledger.py").exists() and (tmp_path / "test_ledger.py").exists()
    checked = runner.invoke(cli, ["contract", "check", str(tmp_path / "ledger.py")])
    assert checked.exit_code == 0
    assert "ok (exports add; queries total)" in checked.output
    again = runner.invoke(cli, ["contract", "new", "ledger", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "exists already" in again.output
    bad_name = runner.invoke(cli, ["contract", "new", "Ledger", "--dir", str(tmp_path)])
    assert bad_name.exit_code == 2


def test_test_runs_the_authors_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A contract's tests are its test_<file> beside it, run by pytest in a process of its own
    (stubbed here; the next test runs it for real); a contract without tests is loaded."""
    runner = CliRunner()
    runner.invoke(cli, ["contract", "new", "ledger", "--dir", str(tmp_path)])
    ran: list[list[str]] = []

    def fake_run(command: list[str]) -> int:
        ran.append(command)
        return 0

    # The click group `contract` shadows its module's name in the package: patch the module.
    monkeypatch.setattr(importlib.import_module("cornerstone.cli.contract"), "run_pytest", fake_run)
    result = runner.invoke(cli, ["contract", "test", str(tmp_path / "ledger.py")])
    assert result.exit_code == 0, result.output
    assert ran == [
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(tmp_path / "test_ledger.py"),
        ]
    ]
    (tmp_path / "test_ledger.py").unlink()
    alone = runner.invoke(cli, ["contract", "test", str(tmp_path / "ledger.py")])
    assert alone.exit_code == 0 and "loads in the harness" in alone.output
    assert len(ran) == 1


def test_test_really_runs_pytest_on_the_starter(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["contract", "new", "ledger", "--dir", str(tmp_path)])
    result = runner.invoke(cli, ["contract", "test", str(tmp_path)])
    assert result.exit_code == 0, result.output


def test_check_prints_each_violation_and_exits_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\nx = 1.5\n")
    result = CliRunner().invoke(cli, ["contract", "check", str(bad)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(bad))]
    assert lines[0].startswith(f"{bad}:1:0: [import] ")
    assert lines[1].startswith(f"{bad}:3:4: [float] ")


# ---------------------------------------------------------------------------- the chain
def test_install_vote_call_query_show_and_list(net: Net, counter: Path) -> None:
    out = net.ok(f"contract install counter {counter} --version 1.0 --key org1-admin")
    assert out.startswith("proposal 1: contracts install counter")
    assert "1 of the 3 approvals it needs (org1)" in out
    assert "cornerstone contract vote 1 --key NAME" in out
    net.ok("contract vote 1 --key org2-admin")
    voted = net.ok("contract vote 1 --key org3-admin")
    assert "status  executed" in voted

    called = net.ok("contract call counter add --key org2 --arg amount=5 --arg note=first")
    assert "result  5" in called
    assert 'contract.counter.added {"org": "org2", "amount": "5", "note": "first"}' in called
    called = net.ok("contract call counter add --key org2 --args-json '{\"amount\": 2}'")
    assert "result  7" in called
    assert net.ok("contract query counter total --arg org=org2").strip() == "7"

    shown = net.ok("contract show counter")
    assert "contract counter 1.0" in shown
    assert "maintainer  org1" in shown, "the proposer's organization, by default"
    assert "export add(amount: int, note: str = '')" in shown
    assert "query  total(org: str)" in shown
    assert net.ok("contract show counter --source") == COUNTER
    assert net.json("contract show counter")["status"] == "active"
    listed = net.ok("contract list").splitlines()
    assert listed[0].split() == ["NAME", "VERSION", "STATUS", "ORG", "INSTALLED", "CODE", "HASH"]
    assert listed[1].split()[:4] == ["counter", "1.0", "active", "org1"]
    assert [c["name"] for c in net.json("contract list --status active")] == ["counter"]
    assert net.json("contract list --status frozen") == []


def test_a_source_the_checker_refuses_is_never_proposed(net: Net, tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n")
    result = net.run(f"contract install bad {bad} --version 1 --key org1-admin")
    assert result.exit_code == 1
    assert "nothing was proposed" in result.output
    assert net.rpc.broadcasts == 0


def test_upgrade_freeze_unfreeze_revoke(net: Net, counter: Path, tmp_path: Path) -> None:
    net.passed(f"contract install counter {counter} --version 1.0")
    net.ok("contract call counter add --key org1 --arg amount=3")
    v2 = tmp_path / "counter_v2.py"
    v2.write_text(COUNTER_V2)
    net.passed(f"contract upgrade counter {v2} --version 2.0 --migration double_all")
    assert net.ok("contract query counter total --arg org=org1").strip() == "6"
    assert "migration   double_all (ran once at the upgrade)" in net.ok("contract show counter")

    net.passed("contract freeze counter --reason audit")
    frozen = net.run("contract call counter add --key org1 --arg amount=1")
    assert isinstance(frozen.exception, TransactionFailedError)
    assert frozen.exception.fields["tx_code"] == 4012
    net.passed("contract unfreeze counter")
    assert "result  7" in net.ok("contract call counter add --key org1 --arg amount=1")
    net.passed("contract revoke counter --reason replaced")
    assert net.json("contract show counter")["status"] == "revoked"


def test_a_function_policy_given_at_install(net: Net, counter: Path) -> None:
    policy = json.dumps({"rule": "ANY", "orgs": ["org1"], "roles": ["admin"]})
    net.passed(f"contract install counter {counter} --version 1 --policy add='{policy}'")
    assert "add: ANY of org1 (admin)" in net.ok("contract show counter")
    refused = net.run("contract call counter add --key org1 --arg amount=1")
    assert isinstance(refused.exception, TransactionFailedError)
    assert refused.exception.fields["tx_code"] == 4014
    assert "result  1" in net.ok("contract call counter add --key org1-admin --arg amount=1")


def test_arguments_are_typed_by_the_functions_annotations(net: Net, counter: Path) -> None:
    net.passed(f"contract install counter {counter} --version 1")
    result = net.run("contract call counter add --key org1 --arg amount=many")
    assert result.exit_code == 2 and "amount" in result.output
    result = net.run("contract call counter add --key org1 --arg colour=red")
    assert result.exit_code == 2 and "no parameter 'colour'" in result.output
    result = net.run("contract call counter nothing --key org1")
    assert result.exit_code == 1 and "has no function 'nothing'" in result.output
    result = net.run("contract show nothing")
    assert result.exit_code == 1 and "no contract named 'nothing'" in result.output


def test_a_refused_call_prints_its_code(
    net: Net,
    counter: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    net.passed(f"contract install counter {counter} --version 1")
    monkeypatch.setattr(
        sys,
        "argv",
        ["cornerstone", *net.argv("contract call counter add --key org1 --arg amount=0")],
    )
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "failed (contract code 4002)" in err
    assert "add a positive amount" in err


def test_an_example_installs_and_runs(net: Net) -> None:
    source = EXAMPLES / "approvals.py"
    net.passed(f"contract install approvals {source} --version 1")
    args = json.dumps({"request": "r1", "summary": "buy", "approvers": ["org2"], "threshold": 1})
    net.ok(f"contract call approvals propose --key org1 --args-json '{args}'")
    assert 'result  "approved"' in net.ok(
        "contract call approvals approve --key org2 --arg request=r1"
    )
    status = json.loads(net.ok("contract query approvals status --arg request=r1"))
    assert status["state"] == "approved"
