"""CheckTx's memo of admitted transactions: a recheck answers as the full check would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone.abci.wire import encode_tx_results
from cornerstone.crypto import PrivateKey
from cornerstone.errors import FutureNonceError, StaleNonceError, UnknownSenderError
from cornerstone.execution import TxResult, mempool
from cornerstone.module import Event
from cornerstone.state import Store
from cornerstone.testing import TestChain
from cornerstone.types import Gas
from tests.conftest import admin_key, genesis, make_tx


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[TestChain]:
    store = Store(tmp_path / "state")
    made = TestChain.over_socket(store)
    made.init_chain(genesis())
    made.produce_block([])  # genesis committed: the memo starts from the chain's rules
    yield made
    made.close()
    store.close()


def test_rechecks_consume_nonces_in_order_and_refuse_what_a_block_used(
    chain: TestChain, alice: PrivateKey
) -> None:
    txs = [make_tx(alice, n).encode() for n in range(4)]
    assert [chain.check_tx(raw).code for raw in txs] == [0, 0, 0, 0]
    assert chain.check_tx(txs[1]).code == StaleNonceError.code, "its nonce is pending"
    chain.produce_block(txs[:2])
    # What CometBFT rechecks after the block: the two left, in order, and answered like CheckTx.
    answers = [chain.check_tx(raw, recheck=True) for raw in txs[2:]]
    assert [(a.code, a.gas_wanted) for a in answers] == [(0, 1_000_000), (0, 1_000_000)]
    # A transaction the block used is refused with the full check's code and sentence.
    stale = chain.check_tx(txs[0], recheck=True)
    assert stale.code == StaleNonceError.code and "nonce" in stale.log
    # Rechecked out of order (a gap): the later one waits for the earlier.
    chain.produce_block([])
    gap = chain.check_tx(txs[3], recheck=True)
    assert gap.code == FutureNonceError.code
    assert chain.check_tx(txs[2], recheck=True).code == 0
    assert chain.check_tx(txs[3], recheck=True).code == 0


def test_a_block_that_removes_the_sender_makes_its_rechecks_fail(
    chain: TestChain, alice: PrivateKey
) -> None:
    pending = make_tx(alice, 0).encode()
    assert chain.check_tx(pending).code == 0
    removal = make_tx(
        admin_key("org1"),
        0,
        module="membership",
        operation="remove_member",
        args={"org": "org1", "public_key": alice.public_key.raw},
    ).encode()
    result = chain.produce_block([removal])
    assert [r.code for r in result.tx_results] == [0]
    # The memo admitted `pending` before; membership changed, so the full check runs again.
    refused = chain.check_tx(pending, recheck=True)
    assert refused.code == UnknownSenderError.code
    assert refused.codespace == UnknownSenderError.codespace


def test_notary_blocks_keep_the_memo_and_rechecks_stay_exact(
    chain: TestChain, alice: PrivateKey, bob: PrivateKey
) -> None:
    mine = [make_tx(alice, n).encode() for n in range(3)]
    theirs = [make_tx(bob, n).encode() for n in range(3)]
    for raw in mine + theirs:
        assert chain.check_tx(raw).code == 0
    for height in range(3):
        chain.produce_block([mine[height], theirs[height]])
        left = mine[height + 1 :] + theirs[height + 1 :]
        assert [chain.check_tx(raw, recheck=True).code for raw in left] == [0] * len(left)
    assert chain.check_tx(mine[2]).code == StaleNonceError.code


def test_tx_results_written_as_wire_bytes_equal_protobuf_objects() -> None:
    results = [
        TxResult(
            code=0,
            codespace="",
            log="",
            gas_wanted=Gas(30_000),
            gas_used=Gas(15_500),
            events=(
                Event("tx", (("module", "notary"), ("nonce", "300"), ("empty", ""))),
                Event("notary.anchored", (("digest", "ab" * 32), ("org", "org1"))),
                Event("", (("", "x"),)),
            ),
        ),
        TxResult(
            code=31,
            codespace="notary",
            log="already anchored — ünïcode",
            gas_wanted=Gas(1 << 40),
            gas_used=Gas(0),
            events=(),
        ),
        TxResult(code=0, codespace="", log="", gas_wanted=Gas(0), gas_used=Gas(0), events=()),
    ]
    expected = pb.ResponseFinalizeBlock(
        tx_results=[
            pb.ExecTxResult(
                code=r.code,
                codespace=r.codespace,
                log=r.log,
                gas_wanted=r.gas_wanted,
                gas_used=r.gas_used,
                events=[
                    pb.Event(
                        type=e.type,
                        attributes=[
                            pb.EventAttribute(key=k, value=v, index=True) for k, v in e.attributes
                        ],
                    )
                    for e in r.events
                ],
            )
            for r in results
        ]
    )
    written = encode_tx_results(results)
    assert written == expected.SerializeToString(deterministic=True)
    assert pb.ResponseFinalizeBlock.FromString(written) == expected


def test_a_full_memo_forgets_its_oldest_and_rechecks_stay_exact(
    chain: TestChain, alice: PrivateKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mempool, "MEMO_CAPACITY", 2)
    txs = [make_tx(alice, n).encode() for n in range(5)]
    assert [chain.check_tx(raw).code for raw in txs] == [0] * 5
    chain.produce_block(txs[:1])
    # The oldest admitted ones were forgotten (full check), the newest are remembered.
    assert [chain.check_tx(raw, recheck=True).code for raw in txs[1:]] == [0] * 4
    assert chain.check_tx(txs[4], recheck=True).code == StaleNonceError.code
