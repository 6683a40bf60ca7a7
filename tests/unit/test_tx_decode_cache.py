"""Decoding remembers the parts senders repeat (head, names); it must decide exactly as without."""

from __future__ import annotations

import random

from cornerstone import tx as txmod
from cornerstone.errors import CornerstoneError
from tests.conftest import make_tx, org_key


def _outcome(raw: bytes) -> str:
    try:
        tx = txmod.decode_transaction(raw)
    except CornerstoneError as error:
        return f"{error.code} {error.message}"
    fields = (tx.chain_id, tx.sender, tx.nonce, tx.module, tx.operation, tx.args, tx.gas_limit)
    return repr((*fields, tx.signature))


def _forget() -> None:
    for cache in (txmod._HEADS, txmod._MODULE_NAMES, txmod._OPERATION_NAMES):
        cache.clear()


def test_remembered_parts_decode_as_fresh_ones_even_for_damaged_bytes() -> None:
    rng = random.Random(5)
    valid = [make_tx(org_key(org), n).encode() for org in ("org1", "org2") for n in range(3)]
    cases = list(valid)
    for _ in range(1500):
        damaged = bytearray(rng.choice(valid))
        where = rng.randrange(len(damaged))
        kind = rng.randrange(3)
        if kind == 0:
            damaged[where] = rng.randrange(256)
        elif kind == 1:
            del damaged[where:]
        else:
            damaged[where:where] = rng.randbytes(rng.randrange(1, 3))
        cases.append(bytes(damaged))
    fresh = []
    for raw in cases:
        _forget()
        fresh.append(_outcome(raw))
    _forget()
    for raw in valid:
        _outcome(raw)  # every valid head and name is remembered now
    assert [_outcome(raw) for raw in cases] == fresh
    assert sum(not outcome[0].isdigit() for outcome in fresh) >= len(valid)
