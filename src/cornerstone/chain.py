"""State that belongs to the chain itself rather than to a module.

core/chain_id              -> str
core/params                -> {"max_tx_bytes": int, "block_max_gas": int}
core/time                  -> int, the time of the last block (genesis time before the first),
                              nanoseconds since the epoch: CheckTx judges validity by it
core/nonce/<identity id>   -> int, the sender's next nonce (identity id: its key's fingerprint)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cornerstone import encoding
from cornerstone.module import Reader, Writer
from cornerstone.types import Gas, Nonce, Timestamp

CHAIN_ID_KEY = b"core/chain_id"
PARAMS_KEY = b"core/params"
TIME_KEY = b"core/time"
NONCE_PREFIX = b"core/nonce/"


@dataclass(frozen=True, slots=True)
class ChainParams:
    """Limits every node enforces the same way."""

    max_tx_bytes: int
    """Largest transaction accepted."""
    block_max_gas: Gas
    """Most gas the transactions of one block may ask for together."""


def get_chain_id(state: Reader) -> str:
    raw = state.get(CHAIN_ID_KEY)
    assert raw is not None, "the chain id is written at genesis"
    return _chain_id(raw)


@functools.lru_cache(maxsize=8)
def _chain_id(raw: bytes) -> str:
    # Read for every transaction in every phase; the bytes almost never change.
    value = encoding.decode(raw)
    assert isinstance(value, str)
    return value


def put_chain_id(state: Writer, chain_id: str) -> None:
    state.set(CHAIN_ID_KEY, encoding.encode(chain_id))


def get_params(state: Reader) -> ChainParams:
    raw = state.get(PARAMS_KEY)
    assert raw is not None, "chain parameters are written at genesis"
    return _params(raw)


@functools.lru_cache(maxsize=8)
def _params(raw: bytes) -> ChainParams:
    record = encoding.decode(raw)
    assert isinstance(record, dict)
    max_tx_bytes, block_max_gas = record["max_tx_bytes"], record["block_max_gas"]
    assert isinstance(max_tx_bytes, int) and isinstance(block_max_gas, int)
    return ChainParams(max_tx_bytes=max_tx_bytes, block_max_gas=Gas(block_max_gas))


def put_params(state: Writer, params: ChainParams) -> None:
    record: dict[str, encoding.Value] = {
        "max_tx_bytes": params.max_tx_bytes,
        "block_max_gas": params.block_max_gas,
    }
    state.set(PARAMS_KEY, encoding.encode(record))


def get_nonce(state: Reader, sender: bytes) -> Nonce:
    raw = state.get(NONCE_PREFIX + sender)
    if raw is None:
        return Nonce(0)
    return Nonce(encoding.decode_int(raw))


def put_nonce(state: Writer, sender: bytes, nonce: Nonce) -> None:
    state.set(NONCE_PREFIX + sender, encoding.encode_int(nonce))


def get_block_time(state: Reader) -> Timestamp:
    raw = state.get(TIME_KEY)
    return Timestamp(0 if raw is None else encoding.decode_int(raw))


def put_block_time(state: Writer, time: Timestamp) -> None:
    state.set(TIME_KEY, encoding.encode_int(time))
