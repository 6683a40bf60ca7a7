"""The light client refuses every header that more than 2/3 of a trusted validator set did not
sign, each refusal with its stable code; and its hashes are CometBFT's (golden vectors from
CometBFT v0.38's own tests; the network test checks a real chain's)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest

from cornerstone.errors import ProofError
from cornerstone.sdk.light import (
    LightBlock,
    header_hash,
)
from cornerstone.sdk.light.errors import LightClientError
from cornerstone.sdk.light.hashing import vote_sign_bytes
from cornerstone.sdk.light.types import (
    NS,
    BlockId,
    BlockIdFlag,
    Commit,
    CommitSig,
    Header,
    PartSetHeader,
    SignedHeader,
    parse_time,
    signed_header_from_json,
    signed_header_json,
    validators_from_json,
    validators_json,
)
from cornerstone.sdk.light.verify import Checks, verify, verify_commit_trusting, verify_self
from tests.unit.sdk.light_chain import LightChain, key, sign_commit, validator_set

NOW = time.time_ns()


def checks(now_ns: int = NOW) -> Checks:
    return Checks(now_ns=now_ns)


@contextmanager
def refused(code: int) -> Iterator[None]:
    """Expect a LightClientError of `code` (codespace "light")."""
    with pytest.raises(LightClientError) as caught:
        yield
    assert (caught.value.codespace, caught.value.code) == ("light", code), caught.value.message
    assert isinstance(caught.value, ProofError)  # callers refusing bad proofs refuse these too


def with_commit(block: LightBlock, commit: Commit) -> LightBlock:
    return LightBlock(SignedHeader(block.header, commit), block.validators)


def with_header(block: LightBlock, header: Header) -> LightBlock:
    return LightBlock(SignedHeader(header, block.signed_header.commit), block.validators)


# ---------------------------------------------------------------------------- CometBFT's bytes
def test_header_hash_is_cometbfts() -> None:
    """types/block_test.go TestHeaderHash, "Generates expected hash"."""

    def sha(text: str) -> bytes:
        return hashlib.sha256(text.encode()).digest()

    header = Header(
        version_block=1,
        version_app=2,
        chain_id="chainId",
        height=3,
        time_ns=parse_time("2019-10-13T16:14:44Z"),
        last_block_id=BlockId(bytes(32), PartSetHeader(6, bytes(32))),
        last_commit_hash=sha("last_commit_hash"),
        data_hash=sha("data_hash"),
        validators_hash=sha("validators_hash"),
        next_validators_hash=sha("next_validators_hash"),
        consensus_hash=sha("consensus_hash"),
        app_hash=sha("app_hash"),
        last_results_hash=sha("last_results_hash"),
        evidence_hash=sha("evidence_hash"),
        proposer_address=sha("proposer_address")[:20],
    )
    assert header_hash(header).hex().upper() == (
        "F740121F553B5418C3EFBD343C2DBFE9E007BB67B0D020A0741374BAB65242A4"
    )


def test_vote_sign_bytes_are_cometbfts() -> None:
    """types/vote_test.go TestVoteSignBytesTestVectors, case 1 (a zero time is Go's year 1)."""
    commit = Commit(height=1, round=1, block_id=BlockId(b"", PartSetHeader(0, b"")), signatures=())
    sig = CommitSig(BlockIdFlag.COMMIT, bytes(20), parse_time("0001-01-01T00:00:00Z"), b"")
    assert vote_sign_bytes("", commit, sig) == bytes(
        [
            *(0x21, 0x8, 0x2, 0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0x19, 1, 0, 0, 0, 0, 0, 0, 0, 0x2A),
            *(0xB, 0x8, 0x80, 0x92, 0xB8, 0xC3, 0x98, 0xFE, 0xFF, 0xFF, 0xFF, 0x1),  # time 0001
        ]
    )


def test_json_round_trip_keeps_the_hash() -> None:
    block = LightChain.of(3).next()
    assert block.validators is not None
    parsed = signed_header_from_json(
        json.loads(json.dumps(signed_header_json(block.signed_header)))
    )
    assert parsed == block.signed_header
    assert validators_from_json(validators_json(block.validators)) == block.validators


# ---------------------------------------------------------------------------- one commit
def test_a_commit_of_all_validators_verifies() -> None:
    chain = LightChain.of(4)
    verify_self(chain.chain_id, chain.next())


def test_just_over_two_thirds_verifies_and_exactly_two_thirds_does_not() -> None:
    four = LightChain.of(4)
    verify_self(four.chain_id, four.next(signers=four.keys[:3]))  # 30 of 40 > 26
    three = LightChain.of(3)
    with refused(4):
        verify_self(three.chain_id, three.next(signers=three.keys[:2]))  # 20 of 30 is 2/3


def test_absent_and_nil_votes_are_not_counted_nor_their_signatures_checked() -> None:
    chain = LightChain.of(4)
    block = chain.next()
    assert block.validators is not None
    commit = sign_commit(
        chain.chain_id, block.header, block.validators, chain.keys[:3], nil=chain.keys[3:]
    )
    sigs = list(commit.signatures)
    nil_at = next(i for i, s in enumerate(sigs) if s.flag is BlockIdFlag.NIL)
    sigs[nil_at] = replace(sigs[nil_at], signature=b"\x01" * 64)  # garbage, and ignored
    verify_self(chain.chain_id, with_commit(block, replace(commit, signatures=tuple(sigs))))
    two = sign_commit(
        chain.chain_id, block.header, block.validators, chain.keys[:2], nil=chain.keys[2:]
    )
    with refused(4):  # nil votes do not make up the missing power
        verify_self(chain.chain_id, with_commit(block, two))


def test_a_tampered_app_hash_is_refused() -> None:
    chain = LightChain.of(4)
    block = chain.next()
    forged = with_header(block, replace(block.header, app_hash=b"\x66" * 32))
    with refused(1):
        verify_self(chain.chain_id, forged)


def test_a_commit_for_another_header_is_refused() -> None:
    chain = LightChain.of(4)
    block = chain.next()
    other = chain.next()
    with refused(1):
        verify_self(
            chain.chain_id, with_commit(block, replace(other.signed_header.commit, height=1))
        )


def test_a_header_of_another_chain_is_refused() -> None:
    chain = LightChain.of(4, chain_id="other-chain")
    with refused(2):
        verify_self("light-chain", chain.next())


def test_a_signature_by_a_non_member_is_refused() -> None:
    chain = LightChain.of(4)
    block = chain.next()
    assert block.validators is not None
    stranger = key("stranger")
    commit = block.signed_header.commit
    first = commit.signatures[0]
    forged = stranger.sign(vote_sign_bytes(chain.chain_id, commit, first)).signature
    sigs = (replace(first, signature=forged), *commit.signatures[1:])
    with refused(5):
        verify_self(chain.chain_id, with_commit(block, replace(commit, signatures=sigs)))


def test_a_validator_set_that_is_not_the_headers_is_refused() -> None:
    chain = LightChain.of(4)
    block = chain.next()
    with refused(7):
        verify_self(chain.chain_id, LightBlock(block.signed_header, validator_set(chain.keys[:3])))


def test_only_ed25519_validators_are_accepted() -> None:
    listed = [{"pub_key": {"type": "tendermint/PubKeySecp256k1", "value": "AA=="}, "power": "1"}]
    with refused(13):
        validators_from_json(listed)


# ---------------------------------------------------------------------------- from a trusted one
def test_skipping_needs_a_third_of_the_trusted_set() -> None:
    old = [key(f"old{i}") for i in range(4)]
    new = [key(f"new{i}") for i in range(4)]
    chain = LightChain.of(4)
    chain.keys = chain.next_keys = old
    trusted = chain.next(next_keys=[*old[:2], *new[:2]])
    chain.next()
    half_old = chain.next(next_keys=[*old[:1], *new[:3]])  # old0 and old1: 20 of 40 > 13
    quarter_old = chain.next()  # old0 only: 10 of 40 is not more than a third
    verify(trusted, half_old, checks())
    with refused(9):
        verify(trusted, quarter_old, checks())


def test_a_duplicated_vote_is_refused() -> None:
    chain = LightChain.of(4)
    trusted = chain.next()
    chain.next()
    block = chain.next()
    assert trusted.validators is not None
    commit = block.signed_header.commit
    doubled = replace(commit, signatures=(commit.signatures[0], *commit.signatures[:3]))
    with refused(6):
        verify_commit_trusting(chain.chain_id, trusted.validators, doubled, checks().trust_level)


def test_an_adjacent_header_must_be_signed_by_the_announced_set() -> None:
    chain = LightChain.of(4)
    trusted = chain.next()
    impostors = LightChain.of(4, chain_id=chain.chain_id)
    impostors.keys = impostors.next_keys = [key(f"x{i}") for i in range(4)]
    impostors.blocks[1] = trusted
    with refused(8):
        verify(trusted, impostors.next(), checks())


def test_an_expired_trusted_header_is_refused() -> None:
    chain = LightChain.of(4)
    trusted = chain.next()
    chain.next()
    block = chain.next()
    verify(trusted, block, checks())
    with refused(10):
        verify(trusted, block, checks(now_ns=trusted.header.time_ns + 15 * 86400 * NS))


def test_time_must_move_forward_and_not_be_in_the_future() -> None:
    chain = LightChain.of(4)
    trusted = chain.next()
    back = chain.next(time_ns=trusted.header.time_ns)
    with refused(11):
        verify(trusted, back, checks())
    ahead = chain.next(time_ns=NOW + 60 * NS)
    with refused(12):
        verify(trusted, ahead, checks())
