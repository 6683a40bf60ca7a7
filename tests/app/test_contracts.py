"""Contracts on chain, through the whole application: the governed lifecycle (install, upgrade
with a migration, freeze, unfreeze, revoke), calls with their gas, policies and events, read-only
queries, contracts that misbehave, the examples, and determinism across independent nodes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone import encoding
from cornerstone.contracts import (
    ContractAbortedError,
    ContractFailedError,
    ContractLimitError,
    ContractOutOfGasError,
    ContractRefusedError,
    UnknownFunctionError,
    compile_contract,
)
from cornerstone.crypto import PrivateKey
from cornerstone.errors import ConfigError
from cornerstone.modules.contracts import MODULE as CONTRACTS
from cornerstone.modules.contracts import host
from cornerstone.modules.contracts.errors import (
    CallNotPermittedError,
    ContractExistsError,
    ContractFrozenError,
    ContractNotFoundError,
    ContractRevokedError,
    InvalidCallPolicyError,
    MigrationOnlyError,
    SameVersionError,
    StatusChangeError,
)
from cornerstone.modules.contracts.state import iter_data
from cornerstone.state import MemoryStore
from cornerstone.testing import TestChain
from cornerstone.tx import sign_transaction
from tests.app.test_application import check_invariants
from tests.app.test_governance import Members
from tests.conftest import CHAIN_ID, ORGS, admin_key, genesis, org_key

EXAMPLES: Final = Path(__file__).parents[2] / "examples" / "contracts"
API: Final = "from cornerstone_contract import Map, call, context, emit, export, query, require\n"

COUNTER: Final = (
    API
    + """
counter = Map("counter", key=str, value=int)


@export
def bump(by: int = 1) -> int:
    counter["n"] = counter.get("n", 0) + by
    emit("bumped", by=by, now=counter["n"])
    return counter["n"]


@query
def value() -> int:
    return counter.get("n", 0)


@export
def fail_after_write() -> int:
    counter["n"] = 1000
    return 1 // 0


@export
def refuse() -> None:
    counter["n"] = 1000
    require(False, "never")


@export
def spin() -> None:
    counter["n"] = 1000
    while True:
        pass


@export
def dive(depth: int) -> int:
    counter["n"] = 1000
    return dive(depth + 1)


@export
def grow_text() -> None:
    counter["n"] = 1000
    text = "x"
    while True:
        text = text + text


@export
def grow_list() -> None:
    counter["n"] = 1000
    items = [0]
    while True:
        items = items + items
"""
)
"""A counter, with one function for each way a contract can misbehave (each writes first)."""

COUNTER_V2: Final = (
    API
    + """
counter = Map("counter", key=str, value=int)
history = Map("history", key=str, value=list)


@export
def bump(by: int = 1) -> int:
    counter["n"] = counter.get("n", 0) + 2 * by
    return counter["n"]


@export
def migrate() -> None:
    history["migrations"] = history.get("migrations", []) + [counter.get("n", 0)]
    counter["n"] = counter.get("n", 0) * 10


@query
def value() -> int:
    return counter.get("n", 0)


@query
def migrations() -> list:
    return history.get("migrations", [])
"""
)

RELAY: Final = (
    API
    + """
@export
def relay(by: int) -> int:
    emit("relayed", by=by)
    return call("counter", "bump", by=by)
"""
)

MAJORITY_VOTERS: Final = ("org2", "org3")
"""With org1's approval as proposer, three of four organizations: a MAJORITY."""


# ---------------------------------------------------------------------------- helpers
class Consortium(Members):
    """Members that also install contracts through proposals and call them, with any gas."""

    def tx(
        self,
        key: PrivateKey,
        module: str,
        operation: str,
        args: Mapping[str, encoding.Value],
        *,
        certificate: bytes | None = None,
        nonce: int | None = None,
        gas_limit: int = 5_000_000,
    ) -> bytes:
        sender = key.public_key.fingerprint
        return sign_transaction(
            key,
            chain_id=CHAIN_ID,
            nonce=self.nonces.get(sender, 0) if nonce is None else nonce,
            module=module,
            operation=operation,
            args=args,
            gas_limit=gas_limit,
            certificate=certificate,
        ).encode()

    def send_with(
        self,
        key: PrivateKey,
        module: str,
        operation: str,
        args: Mapping[str, encoding.Value],
        gas_limit: int,
    ) -> pb.ExecTxResult:
        raw = self.tx(key, module, operation, args, gas_limit=gas_limit)
        assert self.chain.check_tx(raw).code == 0
        sender = key.public_key.fingerprint
        self.nonces[sender] = self.nonces.get(sender, 0) + 1
        self.last = self.chain.produce_block([raw])
        check_invariants(self.chain)
        return self.last.tx_results[0]

    def passed(self, action: str, args: Mapping[str, Any]) -> pb.ExecTxResult:
        """Propose a contracts action as org1 and approve it until it executes; the result of
        the vote that executed it."""
        proposal = self.propose("org1", "contracts", action, args)
        results = [self.vote(org, proposal) for org in MAJORITY_VOTERS]
        assert all(r.code == 0 for r in results), [r.log for r in results]
        status = self.proposal(proposal)
        assert status["status"] == "executed", status["outcome"]
        return results[-1]

    def install(self, name: str, source: str, **more: Any) -> pb.ExecTxResult:
        return self.passed("install", {"name": name, "version": "1.0", "source": source, **more})

    def refused_proposal(self, action: str, args: Mapping[str, Any]) -> pb.ExecTxResult:
        result = self.send(
            admin_key("org1"),
            "governance",
            "propose",
            {"module": "contracts", "action": action, "args": args},
        )
        assert result.code != 0, "the proposal is refused at once"
        return result

    def call(
        self, name: str, function: str, args: Mapping[str, Any] | None = None, **kw: Any
    ) -> pb.ExecTxResult:
        org = kw.pop("org", "org1")
        key = kw.pop("key", org_key(org))
        return self.send(
            key, "contracts", "call", {"contract": name, "function": function, "args": args or {}}
        )

    def query(self, name: str, function: str, **args: encoding.Value) -> encoding.Value:
        answer = self.chain.query(
            "/contracts/query",
            encoding.encode({"contract": name, "function": function, "args": args}),
        )
        assert answer.code == 0, answer.log
        return encoding.decode(answer.value)

    def ask(self, query: str, **args: encoding.Value) -> Any:
        answer = self.chain.query(f"/contracts/{query}", encoding.encode(args))
        assert answer.code == 0, answer.log
        return encoding.decode(answer.value)


def code_of(result: pb.ExecTxResult | pb.ResponseQuery) -> tuple[str, int]:
    return (result.codespace, result.code)


def events_of(result: pb.ExecTxResult) -> dict[str, dict[str, str]]:
    return {e.type: {a.key: a.value for a in e.attributes} for e in result.events}


def data_of(chain: TestChain, name: str) -> dict[bytes, bytes]:
    return dict(iter_data(chain.app.store, name))


@pytest.fixture
def chain() -> Iterator[TestChain]:
    made = TestChain.in_process(MemoryStore())
    made.init_chain(genesis())
    yield made


@pytest.fixture
def net(chain: TestChain) -> Consortium:
    return Consortium(chain)


# ---------------------------------------------------------------------------- lifecycle
def test_install_call_and_query_through_governance(net: Consortium) -> None:
    proposal = net.propose(
        "org1",
        "contracts",
        "install",
        {
            "name": "assets",
            "version": "1.0",
            "source": (EXAMPLES / "asset_registry.py").read_text(),
        },
    )
    assert net.ask("contract", contract="assets") is None, "not before the votes"
    net.vote("org2", proposal)
    executed = net.vote("org3", proposal)
    assert executed.code == 0
    installed = events_of(executed)["contracts.installed"]
    assert installed["contract"] == "assets" and installed["org"] == "org3"

    result = net.call("assets", "register", {"asset": "crane", "description": "a crane"})
    assert result.code == 0, result.log
    events = events_of(result)
    assert events["contracts.called"]["function"] == "register"
    assert events["contract.assets.registered"] == {"asset": "crane", "owner": "org1"}
    assert result.gas_used > 10_000

    assert net.query("assets", "lookup", asset="crane") == {
        "owner": "org1",
        "description": "a crane",
        "registered": net.chain.height,
        "transfers": 0,
    }
    meta = net.ask("contract", contract="assets")
    assert meta["status"] == "active" and meta["version"] == "1.0"
    assert [f["name"] for f in meta["functions"]] == ["register", "transfer", "lookup", "held_by"]
    assert meta["functions"][0]["params"] == [
        {"name": "asset", "type": "str"},
        {"name": "description", "type": "str"},
    ]
    source = net.ask("source", contract="assets")
    assert source["source"] == (EXAMPLES / "asset_registry.py").read_text()
    assert source["code_hash"] == meta["code_hash"]
    assert [c["name"] for c in net.ask("contracts")] == ["assets"]


def test_a_source_the_checker_refuses_is_refused_at_propose_time(net: Consortium) -> None:
    bad = API + "import os\n\n@export\ndef f() -> None:\n    pass\n"
    refused = net.refused_proposal("install", {"name": "bad", "version": "1", "source": bad})
    assert code_of(refused) == ("contract", ContractRefusedError.code)
    assert "bad.py:2:0: [import]" in refused.log
    assert net.ask("contracts") == []
    assert net.chain.query("/governance/proposals").value == encoding.encode([])


def test_a_name_is_installed_once_and_revoked_names_stay_taken(net: Consortium) -> None:
    net.install("counter", COUNTER)
    again = net.refused_proposal("install", {"name": "counter", "version": "2", "source": COUNTER})
    assert code_of(again) == ("contract", ContractExistsError.code)
    net.passed("revoke", {"name": "counter", "reason": "retired"})
    again = net.refused_proposal("install", {"name": "counter", "version": "3", "source": COUNTER})
    assert code_of(again) == ("contract", ContractExistsError.code)
    assert "revoked" in again.log


def test_upgrade_keeps_the_state_and_runs_its_migration_once(net: Consortium) -> None:
    net.install("counter", COUNTER)
    assert net.call("counter", "bump", {"by": 4}).code == 0
    before = net.ask("contract", contract="counter")["code_hash"]

    same = net.refused_proposal(
        "upgrade", {"name": "counter", "version": "1.0", "source": COUNTER_V2}
    )
    assert code_of(same) == ("contract", SameVersionError.code)
    broken = net.refused_proposal(
        "upgrade", {"name": "counter", "version": "2.0", "source": COUNTER_V2 + "\nx = 1.5\n"}
    )
    assert code_of(broken) == ("contract", ContractRefusedError.code)
    missing = net.refused_proposal(
        "upgrade",
        {"name": "counter", "version": "2.0", "source": COUNTER_V2, "migration": "nothing"},
    )
    assert code_of(missing) == ("contract", UnknownFunctionError.code)

    executed = net.passed(
        "upgrade",
        {"name": "counter", "version": "2.0", "source": COUNTER_V2, "migration": "migrate"},
    )
    assert {"contracts.upgraded", "contracts.migrated"} <= set(events_of(executed))
    meta = net.ask("contract", contract="counter")
    assert meta["version"] == "2.0" and meta["code_hash"] != before
    assert meta["upgraded_at"] == net.chain.height and meta["migration"] == "migrate"
    assert net.query("counter", "value") == 40, "the state was kept, then migrated"
    assert net.query("counter", "migrations") == [4], "the migration ran once"

    again = net.call("counter", "migrate")
    assert code_of(again) == ("contract", MigrationOnlyError.code)
    assert net.call("counter", "bump", {"by": 1}).code == 0
    assert net.query("counter", "value") == 42, "the new code runs"
    assert net.query("counter", "migrations") == [4]


def test_a_migration_that_fails_fails_the_upgrade(net: Consortium) -> None:
    net.install("counter", COUNTER)
    failing = COUNTER_V2.replace(
        'counter["n"] = counter.get("n", 0) * 10', 'require(False, "cannot migrate")'
    )
    refused = net.refused_proposal(
        "upgrade", {"name": "counter", "version": "2", "source": failing, "migration": "migrate"}
    )
    assert code_of(refused) == ("contract", ContractAbortedError.code)
    assert "cannot migrate" in refused.log
    assert net.ask("contract", contract="counter")["version"] == "1.0"


def test_freeze_unfreeze_and_revoke(net: Consortium) -> None:
    net.install("counter", COUNTER)
    assert net.call("counter", "bump", {"by": 3}).code == 0
    net.passed("freeze", {"name": "counter", "reason": "audit"})
    frozen = net.call("counter", "bump")
    assert code_of(frozen) == ("contract", ContractFrozenError.code)
    assert net.query("counter", "value") == 3, "a frozen contract keeps its state"
    twice = net.refused_proposal("freeze", {"name": "counter"})
    assert code_of(twice) == ("contract", StatusChangeError.code)
    net.passed("upgrade", {"name": "counter", "version": "1.1", "source": COUNTER})
    assert net.ask("contract", contract="counter")["status"] == "frozen", "a fix keeps it frozen"

    net.passed("unfreeze", {"name": "counter"})
    assert net.call("counter", "bump").code == 0
    assert net.query("counter", "value") == 4

    net.passed("revoke", {"name": "counter", "reason": "replaced"})
    revoked = net.call("counter", "bump")
    assert code_of(revoked) == ("contract", ContractRevokedError.code)
    for action in ("unfreeze", "freeze", "revoke"):
        refused = net.refused_proposal(action, {"name": "counter"})
        assert code_of(refused) == ("contract", ContractRevokedError.code)
    upgrade = {"name": "counter", "version": "9", "source": COUNTER_V2}
    assert code_of(net.refused_proposal("upgrade", upgrade)) == (
        "contract",
        ContractRevokedError.code,
    )
    answer = net.chain.query(
        "/contracts/query", encoding.encode({"contract": "counter", "function": "value"})
    )
    assert code_of(answer) == ("contract", ContractRevokedError.code)
    assert net.ask("contract", contract="counter")["status"] == "revoked"
    assert data_of(net.chain, "counter"), "the state is kept"


def test_unknown_contracts(net: Consortium) -> None:
    assert code_of(net.call("nothing", "f")) == ("contract", ContractNotFoundError.code)
    for path, args in (
        ("/contracts/contract", {"contract": "Nö"}),
        ("/contracts/source", {"contract": "../x"}),
        ("/contracts/query", {"contract": "ok", "function": "_private"}),
    ):
        answer = net.chain.query(path, encoding.encode(args))
        assert code_of(answer) == ("tx", 42), path
    assert net.ask("contracts", start="é") == []
    net.install("relay", RELAY.replace('call("counter"', 'call("Nö"'))
    refused = net.call("relay", "relay", {"by": 1})
    assert code_of(refused) == ("contract", 4008), refused.log
    refused = net.refused_proposal("freeze", {"name": "nothing"})
    assert code_of(refused) == ("contract", ContractNotFoundError.code)
    answer = net.chain.query(
        "/contracts/query", encoding.encode({"contract": "nothing", "function": "f"})
    )
    assert code_of(answer) == ("contract", ContractNotFoundError.code)


# ---------------------------------------------------------------------------- policies
def test_a_function_policy_is_enforced(net: Consortium) -> None:
    only_org1_admins = {"rule": "ANY", "orgs": ["org1"], "roles": ["admin"]}
    net.install("counter", COUNTER, policies={"bump": only_org1_admins})
    for org, key in (("org2", admin_key("org2")), ("org1", org_key("org1"))):
        refused = net.call("counter", "bump", key=key)
        assert code_of(refused) == ("contract", CallNotPermittedError.code), org
        assert "ANY of org1 (admin)" in refused.log
    assert net.call("counter", "bump", key=admin_key("org1")).code == 0
    assert net.query("counter", "value") == 1
    assert net.ask("contract", contract="counter")["policy_text"] == {"bump": "ANY of org1 (admin)"}


@pytest.mark.parametrize(
    ("function", "policy", "says"),
    [
        ("bump", {"rule": "MAJORITY", "orgs": "*", "roles": ["admin"]}, "several organizations"),
        ("bump", {"rule": "ANY", "orgs": "self", "roles": ["admin"]}, '"self" names none'),
        ("value", {"rule": "ANY", "orgs": "*", "roles": ["admin"]}, "exports no such function"),
    ],
)
def test_a_call_policy_one_transaction_cannot_meet_is_refused_at_install(
    net: Consortium, function: str, policy: dict[str, Any], says: str
) -> None:
    refused = net.refused_proposal(
        "install",
        {"name": "counter", "version": "1", "source": COUNTER, "policies": {function: policy}},
    )
    assert code_of(refused) == ("contract", InvalidCallPolicyError.code)
    assert says in refused.log


def test_an_upgrade_keeps_the_policies_unless_it_gives_new_ones(net: Consortium) -> None:
    only_org1 = {"rule": "ANY", "orgs": ["org1"], "roles": ["client"]}
    net.install("counter", COUNTER, policies={"bump": only_org1})
    net.passed("upgrade", {"name": "counter", "version": "2", "source": COUNTER_V2})
    assert code_of(net.call("counter", "bump", org="org2"))[1] == CallNotPermittedError.code
    net.passed("upgrade", {"name": "counter", "version": "3", "source": COUNTER_V2, "policies": {}})
    assert net.call("counter", "bump", org="org2").code == 0


# ---------------------------------------------------------------------------- gas and abuse
def test_out_of_gas_rolls_back_and_the_chain_goes_on(net: Consortium) -> None:
    net.install("counter", COUNTER)
    assert net.call("counter", "bump").code == 0
    stored = data_of(net.chain, "counter")
    args: dict[str, encoding.Value] = {"contract": "counter", "function": "spin", "args": {}}
    result = net.send_with(org_key("org2"), "contracts", "call", args, gas_limit=200_000)
    assert code_of(result) == ("contract", ContractOutOfGasError.code)
    assert result.gas_used == result.gas_wanted == 200_000, "all of it, and only once"
    assert data_of(net.chain, "counter") == stored
    assert net.call("counter", "bump").code == 0, "the chain keeps committing"
    assert net.query("counter", "value") == 2


def test_gas_is_charged_once(net: Consortium) -> None:
    """The tx pays its intrinsic gas, the metadata read, and the contract's own gas: nothing of
    the contract's state access twice."""
    net.install("counter", COUNTER)
    net.call("counter", "bump")
    first = net.call("counter", "bump")
    called = events_of(first)["contracts.called"]
    contract_gas = int(called["gas"])
    assert contract_gas > 1000
    overhead = first.gas_used - contract_gas
    assert 10_000 < overhead < 20_000, overhead  # TX_BASE, tx bytes, one metadata read
    second = net.call("counter", "bump")
    assert second.gas_used == first.gas_used


@pytest.mark.parametrize(
    ("function", "args", "error"),
    [
        ("fail_after_write", {}, ContractFailedError),
        ("refuse", {}, ContractAbortedError),
        ("spin", {}, ContractOutOfGasError),
        ("dive", {"depth": 0}, ContractLimitError),
        ("grow_text", {}, ContractLimitError),
        ("grow_list", {}, ContractLimitError),
    ],
)
def test_a_misbehaving_contract_is_aborted_with_its_code_and_changes_nothing(
    net: Consortium, function: str, args: dict[str, Any], error: type[Exception]
) -> None:
    net.install("counter", COUNTER)
    assert net.call("counter", "bump", {"by": 5}).code == 0
    stored = data_of(net.chain, "counter")
    result = net.call("counter", function, args)
    assert code_of(result) == ("contract", error.code), result.log  # type: ignore[attr-defined]
    assert f"counter.{function}" in result.log
    assert data_of(net.chain, "counter") == stored
    assert net.query("counter", "value") == 5
    assert net.call("counter", "bump").code == 0


def test_contracts_call_each_other_and_their_events_are_the_transactions(
    net: Consortium,
) -> None:
    net.install("counter", COUNTER)
    net.install("relay", RELAY)
    result = net.call("relay", "relay", {"by": 7})
    assert result.code == 0, result.log
    types = [e.type for e in result.events]
    assert types == ["tx", "contracts.called", "contract.relay.relayed", "contract.counter.bumped"]
    assert events_of(result)["contracts.called"]["result"] == "7"
    assert net.query("counter", "value") == 7
    net.passed("freeze", {"name": "counter"})
    refused = net.call("relay", "relay", {"by": 1})
    assert code_of(refused)[1] == 4008, "a frozen contract cannot be called by another either"


def test_queries_are_read_only_and_have_a_budget(net: Consortium) -> None:
    net.install("counter", COUNTER)
    answer = net.chain.query(
        "/contracts/query", encoding.encode({"contract": "counter", "function": "bump"})
    )
    assert code_of(answer) == ("contract", UnknownFunctionError.code), "bump is no query"
    assert net.ask("contract", contract="counter")["gas_budget_of_queries"] == host.QUERY_GAS


def test_contracts_are_compiled_once_per_node(
    net: Consortium, monkeypatch: pytest.MonkeyPatch
) -> None:
    net.install("counter", COUNTER)
    compiled: list[str] = []
    original = compile_contract

    def counting(source: str, filename: str) -> Any:
        compiled.append(filename)
        return original(source, filename)

    monkeypatch.setattr("cornerstone.modules.contracts.host.compile_contract", counting)
    for _ in range(3):
        assert net.call("counter", "bump").code == 0
    assert compiled == []
    host.clear_cache()
    for _ in range(3):
        assert net.call("counter", "bump").code == 0
    assert compiled == ["counter.py"]


# ---------------------------------------------------------------------------- the examples
def test_the_example_contracts_run_on_chain(net: Consortium) -> None:
    net.install("asset_registry", (EXAMPLES / "asset_registry.py").read_text())
    net.install(
        "escrow", (EXAMPLES / "escrow.py").read_text().replace('BANK = "bank"', 'BANK = "org4"')
    )
    net.install("approvals", (EXAMPLES / "approvals.py").read_text())

    register = {"asset": "truck", "description": "a truck"}
    assert net.call("asset_registry", "register", register).code == 0
    assert net.call("asset_registry", "transfer", {"asset": "truck", "to": "org2"}).code == 0
    assert net.query("asset_registry", "held_by", org="org2") == ["truck"]

    refused = net.call("escrow", "credit", {"org": "org1", "amount": "10.00"}, org="org1")
    assert code_of(refused) == ("contract", ContractAbortedError.code)
    credit = {"org": "org1", "amount": "100.00"}
    assert net.call("escrow", "credit", credit, key=admin_key("org4")).code == 0
    deal = {"deal": "d1", "seller": "org2", "amount": "40.50", "days": 10}
    assert net.call("escrow", "open_deal", deal).code == 0
    assert net.call("escrow", "release", {"deal": "d1"}).code == 0
    assert net.query("escrow", "balance", org="org2") == "40.50"
    assert net.query("escrow", "balance", org="org1") == "59.50"

    request = {"request": "r1", "summary": "buy", "approvers": ["org2", "org3"], "threshold": 2}
    assert net.call("approvals", "propose", request).code == 0
    assert net.call("approvals", "approve", {"request": "r1"}, org="org2").code == 0
    approved = net.call("approvals", "approve", {"request": "r1"}, org="org3")
    assert events_of(approved)["contracts.called"]["result"] == '"approved"'
    assert net.query("approvals", "status", request="r1")["state"] == "approved"  # type: ignore[index,call-overload]


# ---------------------------------------------------------------------------- determinism
def _blocks() -> list[list[bytes]]:
    """Install two contracts, then blocks of calls from every organization, some failing."""
    chain = TestChain.in_process(MemoryStore())
    chain.init_chain(genesis())
    recorder = Consortium(chain)
    blocks: list[list[bytes]] = []
    original = chain.produce_block

    def record(txs: Any) -> pb.ResponseFinalizeBlock:
        blocks.append(list(txs))
        return original(txs)

    chain.produce_block = record  # type: ignore[method-assign]
    recorder.install("counter", COUNTER)
    recorder.install("relay", RELAY)
    calls = [("counter", "bump", {"by": 2}), ("relay", "relay", {"by": 3}), ("counter", "spin", {})]
    calls += [("counter", "dive", {"depth": 0}), ("counter", "refuse", {})]
    for round_ in range(4):
        block = []
        for index, org in enumerate(ORGS):
            name, function, args = calls[(round_ + index) % len(calls)]
            raw = recorder.tx(
                org_key(org),
                "contracts",
                "call",
                {"contract": name, "function": function, "args": args},
                gas_limit=300_000,
            )
            recorder.nonces[org_key(org).public_key.fingerprint] = (
                recorder.nonces.get(org_key(org).public_key.fingerprint, 0) + 1
            )
            block.append(raw)
        blocks.append(block)
    return blocks


def test_independent_nodes_agree_byte_for_byte() -> None:
    blocks = _blocks()
    outcomes = []
    for _ in range(2):
        host.clear_cache()  # each node compiles for itself
        chain = TestChain.in_process(MemoryStore())
        chain.init_chain(genesis())
        outcome = []
        for block in blocks:
            result = chain.produce_block(block)
            check_invariants(chain)
            outcome.append((result.app_hash, result.SerializeToString()))
        outcomes.append(outcome)
    assert outcomes[0] == outcomes[1]
    last = pb.ResponseFinalizeBlock.FromString(outcomes[0][-1][1])
    codes = {r.code for r in last.tx_results}
    assert 0 in codes and codes - {0}, "some calls succeed and some fail, alike on both"


# ---------------------------------------------------------------------------- genesis
def test_an_exported_state_seeds_a_new_chain(net: Consortium) -> None:
    only_org1 = {"rule": "ANY", "orgs": ["org1"], "roles": ["client", "admin"]}
    net.install("counter", COUNTER, policies={"bump": only_org1})
    assert net.call("counter", "bump", {"by": 9}).code == 0
    net.passed("freeze", {"name": "counter"})
    exported = dict(CONTRACTS.genesis.export(net.chain.app.store))

    seeded = TestChain.in_process(MemoryStore())
    seeded.init_chain({**genesis(), "contracts": exported})
    seeded.produce_block([])
    assert dict(CONTRACTS.genesis.export(seeded.app.store)) == exported
    assert data_of(seeded, "counter") == data_of(net.chain, "counter")
    check_invariants(seeded)


def test_a_genesis_contract_is_checked_like_an_install() -> None:
    entry = {"name": "bad", "version": "1", "source": "import os\n", "org": "org1"}
    with pytest.raises(ConfigError, match=r"bad\.py:1:0: \[import\]"):
        CONTRACTS.genesis.validate({"contracts": [entry]})
