"""The gateway's calls to its node turn every failure into a gateway error at the boundary."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cornerstone.gateway import Node
from cornerstone.gateway.errors import CommitTimeoutError, NodeRefusedError, NodeUnavailableError
from tests.unit.cli.fake_rpc import URL
from tests.unit.gateway.fake_node import FakeNode


@pytest.fixture
def rpc(node: FakeNode) -> Iterator[Node]:
    client = Node(URL, transport=node.transport)
    yield client
    client.close()


def test_an_error_answer_is_a_refusal_and_silence_is_unavailability(
    node: FakeNode, rpc: Node
) -> None:
    with pytest.raises(NodeRefusedError, match="the node refused the call nothing"):
        rpc.call("nothing")
    node.reachable = False
    with pytest.raises(NodeUnavailableError, match=f"the node at {URL} does not answer"):
        rpc.height()


def test_waiting_for_a_transaction_that_never_commits_ends_at_the_deadline(rpc: Node) -> None:
    with pytest.raises(CommitTimeoutError, match=r"was not committed within 0\.05 s"):
        rpc.wait_for_commit(b"\x01" * 32, timeout=0.05)
