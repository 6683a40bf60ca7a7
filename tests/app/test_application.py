"""The whole application driven through ABCI requests, in-process and over a real socket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import (
    BadSignatureError,
    FutureNonceError,
    GasLimitTooHighError,
    GasLimitTooLowError,
    InvalidArgumentsError,
    MalformedTransactionError,
    OutOfGasError,
    OversizedTransactionError,
    QueryFailedError,
    StaleNonceError,
    TransactionError,
    UnknownModuleError,
    UnknownOperationError,
    UnknownSenderError,
    WrongChainError,
)
from cornerstone.execution import Block, execute_proposal, prepare_block, select_transactions
from cornerstone.modules import MODULES
from cornerstone.modules.notary.errors import AlreadyAnchoredError, NotOwnerError
from cornerstone.modules.notary.keys import doc_key
from cornerstone.state import State, Store, verify_proof
from cornerstone.state.proof import Proof
from cornerstone.testing import GENESIS_TIME_NS, TestChain
from cornerstone.tx import Transaction
from cornerstone.types import Height, Timestamp
from tests.conftest import admin_key, digest, genesis, make_tx


@pytest.fixture(params=["in_process", "over_socket"])
def chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestChain]:
    store = Store(tmp_path / "state")
    made = getattr(TestChain, request.param)(store)
    made.init_chain(genesis())
    yield made
    made.close()
    store.close()


def check_invariants(chain: TestChain) -> None:
    for module in MODULES:
        for name, invariant in module.invariants.items():
            try:
                invariant(chain.app.store)
            except AssertionError as exc:
                raise AssertionError(f"{module.name}.{name}: {exc}") from exc


def test_a_notary_anchor_commits_and_can_be_looked_up(chain: TestChain, alice: PrivateKey) -> None:
    tx = make_tx(alice, 0, args={"digest": digest("contract.pdf"), "metadata": {"title": "c"}})
    assert chain.check_tx(tx.encode()).code == 0
    result = chain.produce_block([tx.encode()])
    assert [r.code for r in result.tx_results] == [0]
    assert {e.type for e in result.tx_results[0].events} == {"tx", "notary.anchored"}
    found = chain.query("/notary/lookup", encoding.encode({"digest": digest("contract.pdf")}))
    record = encoding.decode(found.value)
    assert isinstance(record, dict)
    assert record["owner"] == alice.public_key.fingerprint and record["org"] == "org1"
    assert record["metadata"] == {"title": "c"}
    assert chain.info().last_block_height == 1
    check_invariants(chain)


def test_only_the_owner_can_revise(chain: TestChain, alice: PrivateKey, bob: PrivateKey) -> None:
    original = digest("v1")
    chain.produce_block([make_tx(alice, 0, args={"digest": original}).encode()])
    by_bob = make_tx(bob, 0, "revise", {"document": original, "digest": digest("v2-bob")})
    by_alice = make_tx(alice, 1, "revise", {"document": original, "digest": digest("v2")})
    result = chain.produce_block([by_bob.encode(), by_alice.encode()])
    assert result.tx_results[0].code == NotOwnerError.code
    assert result.tx_results[0].codespace == "notary"
    assert "only the owner" in result.tx_results[0].log
    assert result.tx_results[1].code == 0
    again = make_tx(alice, 2, args={"digest": digest("v2")})
    assert chain.produce_block([again.encode()]).tx_results[0].code == AlreadyAnchoredError.code
    check_invariants(chain)


def test_check_tx_refuses_each_bad_transaction_with_its_code(
    chain: TestChain, alice: PrivateKey
) -> None:
    stranger = PrivateKey.from_seed(b"\x07" * 32)
    good = make_tx(alice, 0)
    forged = bytearray(good.encode())
    forged[-1] ^= 1
    cases: dict[str, tuple[Transaction | bytes, type[TransactionError]]] = {
        "wrong chain": (make_tx(alice, 0, chain_id="other-chain"), WrongChainError),
        "bad signature": (bytes(forged), BadSignatureError),
        "unknown sender": (make_tx(stranger, 0), UnknownSenderError),
        "future nonce": (make_tx(alice, 5), FutureNonceError),
        "unknown module": (make_tx(alice, 0, module="nosuch"), UnknownModuleError),
        "unknown operation": (make_tx(alice, 0, "burn"), UnknownOperationError),
        "bad arguments": (make_tx(alice, 0, args={"digest": b"short"}), InvalidArgumentsError),
        "gas too low": (make_tx(alice, 0, gas_limit=10), GasLimitTooLowError),
        "gas too high": (make_tx(alice, 0, gas_limit=10**12), GasLimitTooHighError),
        "oversized": (make_tx(alice, 0, args={"x": b"\x00" * 70_000}), OversizedTransactionError),
        "malformed": (b"\x01garbage", MalformedTransactionError),
    }
    for name, (tx, error) in cases.items():
        raw = tx if isinstance(tx, bytes) else tx.encode()
        response = chain.check_tx(raw)
        assert (response.code, response.codespace) == (error.code, error.codespace), name
        assert response.log, name
    # none of them consumed alice's nonce
    assert chain.check_tx(good.encode()).code == 0
    assert chain.check_tx(good.encode()).code == StaleNonceError.code
    chain.produce_block([good.encode()])
    assert chain.check_tx(good.encode()).code == StaleNonceError.code, "a replay is refused"


def test_mempool_accepts_a_sequence_of_nonces_and_rechecks_after_commit(
    chain: TestChain, alice: PrivateKey
) -> None:
    txs = [make_tx(alice, n).encode() for n in range(3)]
    assert [chain.check_tx(raw).code for raw in txs] == [0, 0, 0]
    chain.produce_block(txs[:1])
    assert [chain.check_tx(raw, recheck=True).code for raw in txs[1:]] == [0, 0]


def test_prepare_drops_invalid_and_what_does_not_fit(chain: TestChain, alice: PrivateKey) -> None:
    valid = [make_tx(alice, n).encode() for n in range(3)]
    stale = make_tx(alice, 0, args={"digest": digest("other")}).encode()
    assert chain.prepare([valid[0], stale, valid[1], valid[2]]) == valid
    assert chain.prepare(valid, max_tx_bytes=len(valid[0]) * 2) == valid[:2]


def test_prepare_respects_the_block_gas_limit(tmp_path: Path, alice: PrivateKey) -> None:
    store = Store(tmp_path / "state")
    chain = TestChain.in_process(store)
    chain.init_chain(genesis(), max_gas=250_000)
    txs = [make_tx(alice, n, gas_limit=100_000).encode() for n in range(4)]
    assert chain.prepare(txs) == txs[:2]
    assert not chain.process(txs), "a block over its gas limit is rejected"
    store.close()


def test_process_rejects_a_block_with_an_invalid_transaction(
    chain: TestChain, alice: PrivateKey
) -> None:
    ok = make_tx(alice, 0).encode()
    assert chain.process([ok])
    assert not chain.process([ok, ok]), "a replay inside the block"
    assert not chain.process([make_tx(alice, 1).encode()]), "a nonce gap"
    assert not chain.process([b"\x01junk"])


def test_finalize_runs_the_decided_block_not_another_proposal_it_executed(
    chain: TestChain, alice: PrivateKey, tmp_path: Path
) -> None:
    # ProcessProposal executes each proposal; FinalizeBlock may reuse that only for the same
    # block. Three proposals at one height (three rounds), then the second one is decided.
    proposals = [
        [make_tx(alice, 0, args={"digest": digest(name), "metadata": {}}).encode()]
        for name in ("first", "second", "third")
    ]
    for txs in proposals:
        assert chain.process(txs)
    decided = chain.finalize(proposals[1])
    chain.commit()
    assert [
        chain.app.store.get(doc_key(digest(n))) is not None for n in ("first", "second", "third")
    ] == [False, True, False]

    # The same block run with no proposal step at all ends with the same results and hash.
    store = Store(tmp_path / "fresh")
    fresh = TestChain.in_process(store)
    fresh.init_chain(genesis())
    assert fresh.finalize(proposals[1]) == decided
    store.close()


def test_a_proposal_is_chosen_by_checks_unless_one_of_its_transactions_may_change_them(
    chain: TestChain, alice: PrivateKey, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cornerstone.abci.app as app_module

    executed: list[int] = []
    real = execute_proposal

    def counting(*args: Any, **kwargs: Any) -> Any:
        executed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(app_module, "execute_proposal", counting)
    anchors = [make_tx(alice, n).encode() for n in range(3)]
    stale = make_tx(alice, 0, args={"digest": digest("other")}).encode()
    # Anchors only: chosen by checking; the proposer runs the block in ProcessProposal as
    # every node does.
    assert chain.prepare([anchors[0], stale, anchors[1], anchors[2]]) == anchors
    assert chain.process(anchors) and executed == [1]

    # A governance transaction in it: PrepareProposal executes the block, and the proposer's
    # own ProcessProposal of that block takes the result.
    propose = make_tx(
        admin_key("org1"),
        0,
        module="governance",
        operation="propose",
        args={"module": "membership", "action": "remove_organization", "args": {"id": "org4"}},
        gas_limit=5_000_000,
    ).encode()
    chosen = chain.prepare([propose, anchors[0], stale, *anchors[1:]])
    assert chosen == [propose, *anchors]
    assert chain.process(chosen) and executed == [1], "its own proposal: PrepareProposal ran it"
    assert chain.process(anchors[:2]) and executed == [1, 1], "another proposal is executed"
    decided = chain.finalize(chosen)
    chain.commit()

    # A node that only ever saw the decided block ends with the same results and hash.
    store = Store(tmp_path / "other")
    other = TestChain.in_process(store)
    other.init_chain(genesis())
    assert other.process(chosen)
    assert other.finalize(chosen) == decided
    store.close()


def test_choosing_by_checks_picks_what_executing_picks(
    chain: TestChain, alice: PrivateKey, bob: PrivateKey
) -> None:
    chain.produce_block([])  # genesis committed: the store holds the whole state
    mempool = [
        make_tx(alice, 0).encode(),
        make_tx(alice, 0, args={"digest": digest("replay")}).encode(),  # stale once 0 is in
        make_tx(bob, 0).encode(),
        make_tx(alice, 2).encode(),  # a gap: refused
        b"\x01junk",
        make_tx(alice, 1).encode(),
        make_tx(bob, 1, args={"digest": digest(f"{alice.public_key.hex()}/0")}).encode(),
        make_tx(alice, 2).encode(),  # follows now
        make_tx(bob, 2, gas_limit=900_000).encode(),
    ]
    block = Block(height=Height(2), time=Timestamp(GENESIS_TIME_NS + 2), txs=tuple(mempool))
    for max_bytes in (-1, 10**6, len(mempool[0]) * 3, len(mempool[0]) * 5 + 9):
        for max_gas in (-1, 2_500_000, 10**9):
            quick = select_transactions(
                State(chain.app.store), block, max_bytes=max_bytes, max_gas=max_gas
            )
            run = prepare_block(State(chain.app.store), block, max_bytes=max_bytes, max_gas=max_gas)
            assert quick == run.txs, (max_bytes, max_gas)
    everything = select_transactions(State(chain.app.store), block, max_bytes=-1, max_gas=-1)
    assert everything == tuple(mempool[i] for i in (0, 2, 5, 6, 7, 8))


def test_out_of_gas_rolls_back_the_handler_but_uses_the_nonce(
    chain: TestChain, alice: PrivateKey
) -> None:
    raw = make_tx(alice, 0).encode()
    tight = make_tx(alice, 0, gas_limit=10_000 + 10 * (len(raw) + 5) + 50).encode()
    result = chain.produce_block([tight])
    assert result.tx_results[0].code == OutOfGasError.code
    assert chain.app.store.get(doc_key(digest(f"{alice.public_key.hex()}/0"))) is None
    assert chain.check_tx(make_tx(alice, 1).encode()).code == 0


def test_store_queries_prove_presence_and_absence(chain: TestChain, alice: PrivateKey) -> None:
    anchored = digest(f"{alice.public_key.hex()}/0")
    chain.produce_block([make_tx(alice, 0).encode()])
    root = chain.app.store.root
    for key, expected in [(doc_key(anchored), True), (doc_key(digest("never")), False)]:
        response = chain.query("/store", key, prove=True)
        assert response.code == 0 and response.height == 1
        (op,) = response.proof_ops.ops
        proof = Proof.decode(op.data)
        value = response.value if expected else None
        assert (response.log == "exists") is expected
        verify_proof(root, key, value, proof)


def test_bad_queries_get_a_code_and_a_sentence(chain: TestChain) -> None:
    assert chain.query("/nosuch/thing").code == UnknownModuleError.code
    assert chain.query("/notary/nosuch").code == UnknownOperationError.code
    response = chain.query("/notary/lookup", encoding.encode({"digest": 5}))
    assert response.code == InvalidArgumentsError.code and "digest" in response.log
    assert "no query at the path" in chain.query("/a/b/c").log
    assert "no state is kept" in chain.query("/store", b"k", height=99).log
    odd = chain.query("/did/trusted", encoding.encode({"credential_type": "\u0080"}))
    assert odd.code == InvalidArgumentsError.code and "credential type" in odd.log


def test_a_query_that_breaks_answers_with_a_code_and_the_node_keeps_serving(
    chain: TestChain, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # An exception answer would make CometBFT exit: a query must never give one.
    notary = next(module for module in MODULES if module.name == "notary")

    def broken(state: object, query: object) -> None:
        raise RuntimeError("a bug in a query")

    query = notary.queries["lookup"]
    monkeypatch.setitem(notary.queries, "lookup", replace(query, handler=broken))
    response = chain.query("/notary/lookup", encoding.encode({"digest": digest("x")}))
    assert (response.codespace, response.code) == ("query", QueryFailedError.code)
    assert "could not answer" in response.log and "bug" not in response.log
    assert "a bug in a query" in caplog.text
    monkeypatch.undo()
    assert chain.query("/notary/lookup", encoding.encode({"digest": digest("x")})).code == 0


def test_a_restarted_cometbft_can_resend_what_its_lost_mempool_held(
    chain: TestChain, alice: PrivateKey
) -> None:
    held = make_tx(alice, 0).encode()
    assert chain.check_tx(held).code == 0
    chain.info()  # anyone may ask (the /abci_info RPC): the mempool's view must not change
    assert chain.check_tx(make_tx(alice, 1).encode()).code == 0
    chain.app.connected()  # CometBFT restarted and reconnected: its mempool is gone
    assert chain.check_tx(make_tx(alice, 0, args={"digest": digest("resent")}).encode()).code == 0
