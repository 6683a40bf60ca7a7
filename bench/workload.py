"""The transactions of a benchmark run, all signed and encoded before the clock starts.

- Ours: notary anchors of fresh digests. Organization i's transactions go to node i, its own
  node, with nonces 0, 1, 2, ... in that stream's order.
- kvstore: unique `key=value` transactions of the same size as ours, spread the same way.
"""

from __future__ import annotations

import hashlib
import os
from typing import Final

from bench.loadgen import Schedule, Stream
from cornerstone.crypto import load_key
from cornerstone.localnet import Localnet
from cornerstone.tx import sign_transaction

GAS_LIMIT: Final = 30_000
"""An anchor with empty metadata uses ~15,500 gas. A tight limit matters: a block holds at most
block_max_gas / gas_limit transactions (1e9 / 3e4 = 33,333, never reached here; the SDK's
default of 1,000,000 would cap a block at 1,000)."""


def notary_streams(net: Localnet, schedule: Schedule) -> list[Stream]:
    """Per node, its organization's anchor transactions in nonce order."""
    count = schedule.count(len(net.nodes))
    salt = os.urandom(8).hex()
    streams = []
    for node in net.nodes:
        key = load_key(net.key_file(node.index))
        txs = tuple(
            sign_transaction(
                key,
                chain_id=net.chain_id,
                nonce=nonce,
                module="notary",
                operation="anchor",
                args={
                    "digest": hashlib.sha256(f"{salt}/{node.org}/{nonce}".encode()).digest(),
                    "metadata": {},
                },
                gas_limit=GAS_LIMIT,
            ).encode()
            for nonce in range(count)
        )
        streams.append(Stream(rpc_url=node.rpc_url, txs=txs))
    return streams


def kvstore_streams(net: Localnet, schedule: Schedule, *, tx_size: int) -> list[Stream]:
    """Per node, unique `key=value` transactions of `tx_size` bytes."""
    count = schedule.count(len(net.nodes))
    salt = os.urandom(4).hex()
    streams = []
    for node in net.nodes:
        txs = []
        for k in range(count):
            key = f"bench-{salt}-{node.index}-{k:08d}="
            filler = hashlib.sha256(key.encode()).hexdigest() * (tx_size // 64 + 1)
            txs.append((key + filler)[:tx_size].encode())
        streams.append(Stream(rpc_url=node.rpc_url, txs=tuple(txs)))
    return streams


def mean_size(streams: list[Stream]) -> int:
    sizes = [len(tx) for stream in streams for tx in stream.txs]
    return round(sum(sizes) / len(sizes))
