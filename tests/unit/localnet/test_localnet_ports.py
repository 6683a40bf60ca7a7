"""The port layout of a local network, and the search for a free block of ports."""

from __future__ import annotations

import random
import socket

import pytest

from cornerstone.localnet.ports import (
    HOST,
    PORTS_PER_NODE,
    find_free_base_port,
    node_ports,
    port_is_free,
)
from tests.conftest import listening_on


def test_node_i_uses_ten_ports_from_its_base() -> None:
    first = node_ports(26600, 1)
    assert (first.p2p, first.rpc, first.abci, first.gateway) == (26600, 26601, 26602, 26603)
    fourth = node_ports(26600, 4)
    assert (fourth.p2p, fourth.rpc, fourth.abci, fourth.gateway) == (26630, 26631, 26632, 26633)


def test_nodes_never_share_a_port() -> None:
    layouts = [node_ports(30000, index) for index in range(1, 33)]
    ports = [port for p in layouts for port in (p.p2p, p.rpc, p.abci, p.gateway)]
    assert len(ports) == len(set(ports))


def test_node_indexes_start_at_one() -> None:
    with pytest.raises(ValueError, match="start at 1"):
        node_ports(26600, 0)


def test_a_listening_port_is_not_free() -> None:
    with socket.socket() as listener:
        listener.bind((HOST, 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free(port)
    assert port_is_free(port)


def test_a_free_base_has_its_whole_block_free() -> None:
    base = find_free_base_port(4, rng=random.Random(7))
    assert base % PORTS_PER_NODE == 0
    assert all(port_is_free(port) for port in range(base, base + 4 * PORTS_PER_NODE))


def test_the_search_skips_a_block_with_a_busy_port() -> None:
    first = find_free_base_port(4, rng=random.Random(11))
    with listening_on(first + 17):
        again = find_free_base_port(4, rng=random.Random(11))
    assert again != first
