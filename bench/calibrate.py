"""How fast this machine is right now, in two numbers that `make bench` prints before it starts.

A shared virtual machine's speed drifts from hour to hour: on 2026-12-01 our measured capacity
went from 720 to 531 tx/s between 20:08 and 21:26 with no change to the code on its path, and
kvstore's from 1,806 to 1,590. Capacities measured at different times only compare with the
machine's speed beside them:

- `ed25519_verify_us`: one signature check as CheckTx does it (libsodium, C code);
- `decode_tx_us`: decoding one notary anchor as CheckTx does (pure Python, the kind of work
  most of a node's time goes to).

Each is the best of several rounds, so a moment's contention does not count.

    .venv/bin/python -m bench.calibrate
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cornerstone.crypto import PrivateKey
from cornerstone.tx import decode_transaction, sign_transaction

ROUNDS = 5
CALLS = 400


def _best_us(call: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.perf_counter()
        for _ in range(CALLS):
            call()
        best = min(best, time.perf_counter() - began)
    return best / CALLS * 1e6


def machine_speed() -> dict[str, float]:
    """The two timings, in microseconds (about a second in all)."""
    key = PrivateKey.from_seed(b"c" * 32)
    tx = sign_transaction(
        key,
        chain_id="calibrate",
        nonce=7,
        module="notary",
        operation="anchor",
        args={"digest": b"\x11" * 32, "metadata": {}},
        gas_limit=30_000,
    )
    raw = tx.encode()
    public = tx.sender.public_key
    verify = _best_us(lambda: public.verify(tx.signature, tx.signing_hash))
    decode = _best_us(lambda: decode_transaction(raw))
    return {"ed25519_verify_us": round(verify, 1), "decode_tx_us": round(decode, 1)}


def describe(speed: dict[str, float]) -> str:
    return (
        f"machine speed now: one Ed25519 verification {speed['ed25519_verify_us']:.1f} µs, "
        f"decoding one transaction {speed['decode_tx_us']:.1f} µs (bench.calibrate)"
    )


if __name__ == "__main__":
    print(describe(machine_speed()))
