"""A chain of signed headers made in the test: Ed25519 validator keys, headers linked by their
hashes, commits signed with CometBFT's vote sign bytes, for the light client to verify.

    chain = LightChain.of(4)
    block = chain.next(app_hash=b"...")            # signed by all four
    chain.next(signers=chain.keys[:2])             # signed by half

Validator sets change with `chain.next(next_keys=...)`: the header announces the new set, the
following one is signed by it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from nacl.signing import SigningKey

from cornerstone.sdk.light.hashing import header_hash, validator_set_hash, vote_sign_bytes
from cornerstone.sdk.light.types import (
    NS,
    BlockId,
    BlockIdFlag,
    Commit,
    CommitSig,
    Header,
    LightBlock,
    PartSetHeader,
    SignedHeader,
    Validator,
    ValidatorSet,
)

POWER = 10


def key(name: str) -> SigningKey:
    return SigningKey(hashlib.sha256(b"light test validator " + name.encode()).digest())


def validator_set(keys: Sequence[SigningKey], power: int = POWER) -> ValidatorSet:
    return ValidatorSet.sorted(tuple(Validator(bytes(k.verify_key), power) for k in keys))


def _digest(*parts: object) -> bytes:
    return hashlib.sha256(repr(parts).encode()).digest()


def sign_commit(
    chain_id: str,
    header: Header,
    validators: ValidatorSet,
    signers: Sequence[SigningKey],
    *,
    nil: Sequence[SigningKey] = (),
) -> Commit:
    """The commit of `header`: an entry per validator, COMMIT for `signers`, NIL for `nil`."""
    block_id = BlockId(header_hash(header), PartSetHeader(1, _digest("parts", header.height)))
    commit = Commit(height=header.height, round=0, block_id=block_id, signatures=())
    by_key = {bytes(k.verify_key): k for k in signers}
    nil_keys = {bytes(k.verify_key): k for k in nil}
    sigs = []
    for index, v in enumerate(validators.validators):
        signer = by_key.get(v.pub_key) or nil_keys.get(v.pub_key)
        if signer is None:
            sigs.append(CommitSig(BlockIdFlag.ABSENT, b"", 0, b""))
            continue
        flag = BlockIdFlag.COMMIT if v.pub_key in by_key else BlockIdFlag.NIL
        sig = CommitSig(flag, v.address, header.time_ns + 1000 + index, b"")
        signed_commit = commit if flag is BlockIdFlag.COMMIT else replace(commit, block_id=_zero())
        message = vote_sign_bytes(chain_id, signed_commit, sig)
        sigs.append(replace(sig, signature=signer.sign(message).signature))
    return replace(commit, signatures=tuple(sigs))


def _zero() -> BlockId:
    return BlockId(b"", PartSetHeader(0, b""))


@dataclass
class LightChain:
    chain_id: str
    keys: list[SigningKey]
    """The validators of the next block."""
    next_keys: list[SigningKey]
    start_ns: int
    blocks: dict[int, LightBlock] = field(default_factory=dict)

    @classmethod
    def of(
        cls, n: int, chain_id: str = "light-chain", *, start_ns: int | None = None
    ) -> LightChain:
        keys = [key(f"v{i}") for i in range(n)]
        start = time.time_ns() - 3600 * NS if start_ns is None else start_ns
        return cls(chain_id=chain_id, keys=keys, next_keys=keys, start_ns=start)

    @property
    def height(self) -> int:
        return max(self.blocks, default=0)

    def next(
        self,
        *,
        app_hash: bytes = b"",
        signers: Sequence[SigningKey] | None = None,
        next_keys: Sequence[SigningKey] | None = None,
        time_ns: int | None = None,
    ) -> LightBlock:
        """The next block, signed by `signers` (default: every validator)."""
        height = self.height + 1
        previous = self.blocks.get(height - 1)
        self.keys = list(self.next_keys)
        self.next_keys = list(next_keys) if next_keys is not None else self.keys
        validators = validator_set(self.keys)
        last_id = (
            previous.signed_header.commit.block_id
            if previous is not None
            else BlockId(b"", PartSetHeader(0, b""))
        )
        header = Header(
            version_block=11,
            version_app=1,
            chain_id=self.chain_id,
            height=height,
            time_ns=time_ns if time_ns is not None else self.start_ns + height * NS,
            last_block_id=last_id,
            last_commit_hash=_digest("last commit", height),
            data_hash=_digest("data", height),
            validators_hash=validator_set_hash(validators),
            next_validators_hash=validator_set_hash(validator_set(self.next_keys)),
            consensus_hash=_digest("consensus"),
            app_hash=app_hash or _digest("app", height),
            last_results_hash=_digest("results", height),
            evidence_hash=hashlib.sha256(b"").digest(),
            proposer_address=validators.validators[0].address,
        )
        commit = sign_commit(
            self.chain_id, header, validators, self.keys if signers is None else signers
        )
        block = LightBlock(SignedHeader(header, commit), validators)
        self.blocks[height] = block
        return block
