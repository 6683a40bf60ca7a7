"""Determinism (independent apps agree byte for byte) and restart from disk at every point of a
block's life (what CometBFT's handshake replay relies on)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from tendermint.abci import types_pb2 as pb

from cornerstone.crypto import PrivateKey
from cornerstone.modules import MODULES
from cornerstone.state import MemoryStore, Store
from cornerstone.testing import TestChain
from tests.conftest import ORGS, digest, genesis, make_tx, org_key


def workload(seed: int, blocks: int) -> list[list[bytes]]:
    """Blocks of anchors and revisions from four organizations, some of which fail in their
    handler (a revision by a non-owner, a digest anchored twice)."""
    rng = random.Random(seed)
    keys = [org_key(org) for org in ORGS]
    nonces = dict.fromkeys(range(len(keys)), 0)
    anchored: list[tuple[int, bytes]] = []
    out: list[list[bytes]] = []
    for b in range(blocks):
        block: list[bytes] = []
        for t in range(rng.randint(0, 12)):
            who = rng.randrange(len(keys))
            key: PrivateKey = keys[who]
            if anchored and rng.random() < 0.3:
                _owner, doc = rng.choice(anchored)
                args = {"document": doc, "digest": digest(f"rev/{b}/{t}")}
                tx = make_tx(key, nonces[who], "revise", args)
            else:
                label = f"doc/{rng.randrange(40)}"  # repeats make some anchors fail
                tx = make_tx(key, nonces[who], args={"digest": digest(label)})
                anchored.append((who, digest(label)))
            nonces[who] += 1
            block.append(tx.encode())
        out.append(block)
    return out


def run(chain: TestChain, blocks: list[list[bytes]]) -> list[tuple[bytes, bytes]]:
    """Per block: the app hash and the exact bytes of the FinalizeBlock response. Every
    module's invariants are checked after every block."""
    outcomes = []
    for block in blocks:
        result = chain.produce_block(block)
        for module in MODULES:
            for name, invariant in module.invariants.items():
                try:
                    invariant(chain.app.store)
                except AssertionError as exc:
                    raise AssertionError(f"{module.name}.{name}: {exc}") from exc
        outcomes.append((result.app_hash, result.SerializeToString()))
    return outcomes


def test_independent_apps_end_byte_identical(tmp_path: Path) -> None:
    blocks = workload(seed=7, blocks=25)
    stores: list[Store | MemoryStore] = [
        Store(tmp_path / "a"),
        Store(tmp_path / "b"),
        MemoryStore(),
    ]
    chains = [TestChain.in_process(store) for store in stores]
    outcomes = []
    for chain in chains:
        chain.init_chain(genesis())
        outcomes.append(run(chain, blocks))
    assert outcomes[0] == outcomes[1] == outcomes[2]
    codes = [
        r.code
        for _, raw in outcomes[0]
        for r in pb.ResponseFinalizeBlock.FromString(raw).tx_results
    ]
    assert 0 in codes and any(code >= 1000 for code in codes), "some handlers fail on purpose"
    dumps = [list(store.iterate(b"")) for store in stores]
    assert dumps[0] == dumps[1] == dumps[2]
    assert len({store.root for store in stores}) == 1
    for store in stores:
        store.close()


BLOCKS = workload(seed=11, blocks=6)
STAGES = ["after_check", "after_proposal", "after_finalize", "after_commit"]


def reference_hashes(tmp_path: Path) -> list[bytes]:
    store = Store(tmp_path / "reference")
    chain = TestChain.in_process(store)
    chain.init_chain(genesis())
    hashes = [app_hash for app_hash, _ in run(chain, BLOCKS)]
    store.close()
    return hashes


@pytest.mark.parametrize("crash_at", [(height, stage) for height in (1, 4) for stage in STAGES])
def test_restart_at_any_point_resumes_with_the_same_app_hash(
    tmp_path: Path, crash_at: tuple[int, str]
) -> None:
    expected = reference_hashes(tmp_path)
    crash_height, stage = crash_at
    path = tmp_path / "node"
    store = Store(path)
    chain = TestChain.in_process(store)
    chain.init_chain(genesis())
    for height, block in enumerate(BLOCKS, start=1):
        if height < crash_height:
            chain.produce_block(block)
            continue
        for raw in block:
            chain.check_tx(raw)
        if stage != "after_check":
            chosen = chain.prepare(block)
            assert chain.process(chosen)
        if stage in ("after_finalize", "after_commit"):
            chain.finalize(block)
        if stage == "after_commit":
            chain.commit()
        break
    store.close()  # the process dies here; only what is on disk survives

    # Restart as CometBFT's handshake does: ask Info, replay the blocks the app lacks.
    store = Store(path)
    chain = TestChain.in_process(store)
    info = chain.info()
    committed = info.last_block_height
    assert committed == (crash_height if stage == "after_commit" else crash_height - 1)
    if committed == 0:
        chain.init_chain(genesis())
    else:
        assert info.last_block_app_hash == expected[committed - 1]
    for block in BLOCKS[committed:]:
        chain.produce_block(block)
    assert store.root == expected[-1]
    store.close()
