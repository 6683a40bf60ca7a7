"""`/batch`: many module queries in one ABCI query, as the gateway's indexer reads records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cornerstone import encoding
from cornerstone.crypto import PrivateKey
from cornerstone.errors import BadBatchError, LatestOnlyError, UnknownModuleError
from cornerstone.execution.query import BATCH_LIMIT
from cornerstone.state import Store
from cornerstone.testing import TestChain
from tests.conftest import digest, genesis, make_tx


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[TestChain]:
    store = Store(tmp_path / "state")
    made = TestChain.over_socket(store)
    made.init_chain(genesis())
    yield made
    made.close()
    store.close()


def lookup(label: str) -> list[encoding.Value]:
    return ["notary", "lookup", lookup_args(label)]


def lookup_args(label: str) -> bytes:
    return encoding.encode({"digest": digest(label)})


def test_a_batch_answers_each_query_in_order_as_alone(chain: TestChain, alice: PrivateKey) -> None:
    txs = [make_tx(alice, n, args={"digest": digest(f"d{n}"), "metadata": {}}) for n in range(3)]
    chain.produce_block([tx.encode() for tx in txs])
    questions: list[encoding.Value] = [
        lookup("d2"),
        lookup("absent"),
        ["nope", "lookup", b""],
        lookup("d0"),
    ]
    answer = chain.query("/batch", encoding.encode(questions))
    assert answer.code == 0 and answer.height == 1
    answers = encoding.decode(answer.value)
    assert isinstance(answers, list) and len(answers) == 4
    alone = [chain.query("/notary/lookup", lookup_args(label)).value for label in ("d2", "d0")]
    assert answers[0] == {"answer": alone[0]} and answers[3] == {"answer": alone[1]}
    assert answers[1] == {"answer": encoding.encode(None)}, "absent is an answer, not an error"
    refused = answers[2]
    assert isinstance(refused, dict)
    assert (refused["codespace"], refused["code"]) == ("tx", UnknownModuleError.code)
    assert "nope" in str(refused["log"])


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xff",  # not a canonical encoding
        encoding.encode({"not": "a list"}),
        encoding.encode([["notary", "lookup"]]),  # an item without arguments
        encoding.encode([lookup("x")] * (BATCH_LIMIT + 1)),
    ],
)
def test_a_malformed_batch_is_refused_with_its_code(chain: TestChain, data: bytes) -> None:
    answer = chain.query("/batch", data)
    assert (answer.codespace, answer.code) == ("query", BadBatchError.code)
    assert "batch query" in answer.log


def test_a_batch_answers_for_the_latest_height_only(chain: TestChain, alice: PrivateKey) -> None:
    chain.produce_block([])
    chain.produce_block([])
    answer = chain.query("/batch", encoding.encode([lookup("x")]), height=1)
    assert (answer.codespace, answer.code) == ("query", LatestOnlyError.code)
