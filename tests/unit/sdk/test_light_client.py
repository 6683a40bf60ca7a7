"""The light client's plan from a root of trust to the header a proof needs: skipping with
bisection across validator-set changes, the roots (first use, a pinned hash, the genesis
file), the trust store, walking back by parent hashes; and `read_verified` refusing a node
that answers a forged header."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from cornerstone.errors import ProofError
from cornerstone.sdk import AsyncClient, Client
from cornerstone.sdk.light import (
    Fetch,
    GenesisRoot,
    LightBlock,
    LightClient,
    Trust,
    TrustedHash,
    header_hash,
    run,
)
from cornerstone.sdk.light.errors import LightClientError
from cornerstone.sdk.light.types import validators_json
from tests.conftest import digest, genesis
from tests.unit.cli.fake_rpc import URL, FakeRpc
from tests.unit.sdk.light_chain import LightChain, key
from tests.unit.sdk.test_light import NOW


class Source:
    """Answers the plan's fetches from a chain made in the test, and counts them."""

    def __init__(self, chain: LightChain) -> None:
        self.chain = chain
        self.fetched: list[int] = []

    def __call__(self, fetch: Fetch) -> LightBlock:
        self.fetched.append(fetch.height)
        block = self.chain.blocks[fetch.height]
        return block if fetch.validators else LightBlock(block.signed_header, None)


def code_of(exc: pytest.ExceptionInfo[LightClientError]) -> tuple[str, int]:
    return exc.value.codespace, exc.value.code


def rotating_chain() -> LightChain:
    """20 blocks; the validators are replaced entirely at height 8 and again at 15."""
    chain = LightChain.of(4)
    second = [key(f"second{i}") for i in range(4)]
    third = [key(f"third{i}") for i in range(4)]
    for height in range(1, 21):
        chain.next(next_keys=second if height == 7 else third if height == 14 else None)
    return chain


def test_skipping_bisects_across_validator_set_changes(tmp_path: Path) -> None:
    chain = rotating_chain()
    light = LightClient(Trust(store_dir=tmp_path))
    source = Source(chain)
    first = run(light.plan(chain.chain_id, 1, NOW), source)  # first use: pinned
    assert first == chain.blocks[1].header
    header = run(light.plan(chain.chain_id, 20, NOW), source)
    assert header == chain.blocks[20].header
    assert len(source.fetched) < 20  # skipped where the sets overlapped
    assert {7, 8, 14, 15} <= set(source.fetched)  # ... and stepped across the changes
    stored = json.loads((tmp_path / f"{chain.chain_id}.json").read_text())
    assert stored["height"] == 20  # the next run starts from the newest header


def test_without_a_change_one_step_is_enough(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    for _ in range(50):
        chain.next()
    light = LightClient(Trust(store_dir=tmp_path))
    source = Source(chain)
    run(light.plan(chain.chain_id, 2, NOW), source)
    run(light.plan(chain.chain_id, 50, NOW), source)
    assert source.fetched == [2, 50]


def test_the_trust_store_carries_over_and_catches_another_chain(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    for _ in range(5):
        chain.next()
    run(LightClient(Trust(store_dir=tmp_path)).plan(chain.chain_id, 3, NOW), Source(chain))
    fork = LightChain.of(4, chain_id=chain.chain_id)
    fork.keys = fork.next_keys = [key(f"fork{i}") for i in range(4)]
    for _ in range(5):
        fork.next()
    later = LightClient(Trust(store_dir=tmp_path))  # a new process: trusts the stored header
    with pytest.raises(LightClientError) as refused:
        run(later.plan(chain.chain_id, 5, NOW), Source(fork))
    # Too little trusted power at 5, so it bisects down to 4: not signed by the announced set.
    assert code_of(refused) == ("light", 8)


def test_an_expired_stored_root_says_what_to_do(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    for _ in range(5):
        chain.next()
    run(LightClient(Trust(store_dir=tmp_path)).plan(chain.chain_id, 2, NOW), Source(chain))
    month_later = NOW + 30 * 86400 * 10**9
    with pytest.raises(LightClientError) as refused:
        run(
            LightClient(Trust(store_dir=tmp_path)).plan(chain.chain_id, 5, month_later),
            Source(chain),
        )
    assert code_of(refused) == ("light", 10)
    assert str(tmp_path) in refused.value.message


def test_a_pinned_hash_must_match(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    for _ in range(5):
        chain.next()
    good = TrustedHash(2, header_hash(chain.blocks[2].header))
    trusted = LightClient(Trust(root=good, store_dir=tmp_path))
    assert run(trusted.plan(chain.chain_id, 5, NOW), Source(chain)) == chain.blocks[5].header
    wrong = LightClient(Trust(root=TrustedHash(2, b"\x00" * 32), persist=False))
    with pytest.raises(LightClientError) as refused:
        run(wrong.plan(chain.chain_id, 5, NOW), Source(chain))
    assert code_of(refused) == ("light", 15)


def test_the_genesis_validators_are_a_root(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    for _ in range(5):
        chain.next()
    first = chain.blocks[1].validators
    assert first is not None
    listed = validators_json(first)[::-1]  # a file's order is not the set's
    path = tmp_path / "genesis.json"
    for entry in listed:
        entry["power"] = entry.pop("voting_power")
    path.write_text(json.dumps({"chain_id": chain.chain_id, "validators": listed}))
    light = LightClient(Trust(root=GenesisRoot.load(path), persist=False))
    assert run(light.plan(chain.chain_id, 5, NOW), Source(chain)) == chain.blocks[5].header
    other = LightChain.of(4)
    other.keys = other.next_keys = [key(f"other{i}") for i in range(4)]
    other.next()
    with pytest.raises(LightClientError) as refused:
        run(
            LightClient(Trust(root=GenesisRoot.load(path), persist=False)).plan(
                chain.chain_id, 1, NOW
            ),
            Source(other),
        )
    assert code_of(refused) == ("light", 7)


def test_older_headers_follow_the_parent_hashes(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    for _ in range(8):
        chain.next()
    light = LightClient(Trust(store_dir=tmp_path))
    source = Source(chain)
    run(light.plan(chain.chain_id, 8, NOW), source)
    assert run(light.plan(chain.chain_id, 5, NOW), source) == chain.blocks[5].header
    forged = LightChain.of(4)  # same validators, other headers
    for _ in range(8):
        forged.next(app_hash=b"\x55" * 32)
    chain.blocks[4] = forged.blocks[4]
    with pytest.raises(LightClientError) as refused:
        run(light.plan(chain.chain_id, 3, NOW), source)
    assert code_of(refused) == ("light", 16)


def test_a_node_answering_another_height_is_refused() -> None:
    chain = LightChain.of(4)
    for _ in range(3):
        chain.next()
    light = LightClient(Trust(persist=False))
    with pytest.raises(LightClientError) as refused:
        run(light.plan(chain.chain_id, 2, NOW), lambda _fetch: chain.blocks[3])
    assert code_of(refused) == ("light", 3)


# ---------------------------------------------------------------------------- read_verified
def test_read_verified_accepts_signed_headers_and_refuses_a_forged_one() -> None:
    rpc = FakeRpc.started(genesis())
    key_read = b"notary/doc/" + digest("x")
    with Client(URL, transport=rpc.transport) as client:
        verified = client.read_verified(key_read)
        assert verified.app_hash == rpc.light_chain.blocks[verified.height + 1].header.app_hash
        rpc.forged[verified.height + 2] = b"\x01" * 32  # the node lies about the next header
        rpc.produce([])
        with pytest.raises(ProofError) as refused:
            client.read_verified(key_read, height=verified.height + 1)
        assert (refused.value.codespace, refused.value.code) == ("light", 1)

    async def read() -> None:
        async with AsyncClient(URL, transport=rpc.transport) as aclient:
            with pytest.raises(ProofError) as refused:
                await aclient.read_verified(key_read, height=verified.height + 1)
            assert (refused.value.codespace, refused.value.code) == ("light", 1)
            honest = await aclient.read_verified(key_read, height=verified.height)
            assert honest.app_hash == verified.app_hash

    asyncio.run(read())


def test_a_damaged_trust_file_is_named(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    chain.next()
    (tmp_path / f"{chain.chain_id}.json").write_text('{"signed_header": {}}')
    with pytest.raises(LightClientError) as refused:
        run(LightClient(Trust(store_dir=tmp_path)).plan(chain.chain_id, 1, NOW), Source(chain))
    assert code_of(refused) == ("light", 17)
    assert "delete it" in refused.value.message


def test_first_use_pins_the_newest_header_and_walks_back(tmp_path: Path) -> None:
    chain = LightChain.of(4)
    for _ in range(8):
        chain.next()
    light = LightClient(Trust(store_dir=tmp_path))
    source = Source(chain)
    header = run(light.plan(chain.chain_id, 5, NOW, latest=8), source)
    assert header == chain.blocks[5].header
    assert source.fetched == [8, 7, 6, 5]
    stored = json.loads((tmp_path / f"{chain.chain_id}.json").read_text())
    assert stored["height"] == 8
