"""The bytes CometBFT v0.38 hashes and signs, rebuilt from a header, a validator set and a commit:
`header_hash` (types/block.go `Header.Hash`), `validator_set_hash` (types/validator_set.go
`ValidatorSet.Hash`) and `vote_sign_bytes` (types/vote.go `VoteSignBytes`). The protobuf
classes are the ones generated at setup from CometBFT's own `.proto` files, so the encodings are
CometBFT's field for field; the network test checks our hashes against a real chain's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

from google.protobuf import timestamp_pb2, wrappers_pb2
from tendermint.crypto import keys_pb2
from tendermint.types import canonical_pb2, types_pb2, validator_pb2
from tendermint.version import types_pb2 as version_pb2

from cornerstone.sdk.light.types import NS, BlockId, Commit, CommitSig, Header, ValidatorSet

LEAF_PREFIX: Final = b"\x00"
INNER_PREFIX: Final = b"\x01"


def merkle_root(items: Sequence[bytes]) -> bytes:
    """RFC 6962's tree hash, as CometBFT's `merkle.HashFromByteSlices` computes it: leaves and
    inner nodes hashed with distinct prefixes, split at the largest power of two below n."""
    if not items:
        return hashlib.sha256(b"").digest()
    if len(items) == 1:
        return hashlib.sha256(LEAF_PREFIX + items[0]).digest()
    split = 1 << ((len(items) - 1).bit_length() - 1)
    return hashlib.sha256(
        INNER_PREFIX + merkle_root(items[:split]) + merkle_root(items[split:])
    ).digest()


def _timestamp(time_ns: int) -> timestamp_pb2.Timestamp:
    seconds, nanos = divmod(time_ns, NS)
    return timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)


def _block_id(block_id: BlockId) -> types_pb2.BlockID:
    message = types_pb2.BlockID(hash=block_id.hash)
    # gogoproto writes a non-nullable field even when empty (`12 00` for a zero BlockID).
    message.part_set_header.SetInParent()
    message.part_set_header.total = block_id.parts.total
    message.part_set_header.hash = block_id.parts.hash
    return message


def _bytes(value: bytes) -> bytes:
    """types/encoding_helper.go `cdcEncode` of bytes: a BytesValue, empty for empty."""
    return wrappers_pb2.BytesValue(value=value).SerializeToString(deterministic=True)


def header_hash(h: Header) -> bytes:
    """The block's hash: the Merkle root over the encodings of the header's 14 fields."""
    return merkle_root(
        [
            version_pb2.Consensus(block=h.version_block, app=h.version_app).SerializeToString(
                deterministic=True
            ),
            wrappers_pb2.StringValue(value=h.chain_id).SerializeToString(deterministic=True),
            wrappers_pb2.Int64Value(value=h.height).SerializeToString(deterministic=True),
            _timestamp(h.time_ns).SerializeToString(deterministic=True),
            _block_id(h.last_block_id).SerializeToString(deterministic=True),
            _bytes(h.last_commit_hash),
            _bytes(h.data_hash),
            _bytes(h.validators_hash),
            _bytes(h.next_validators_hash),
            _bytes(h.consensus_hash),
            _bytes(h.app_hash),
            _bytes(h.last_results_hash),
            _bytes(h.evidence_hash),
            _bytes(h.proposer_address),
        ]
    )


def validator_set_hash(validators: ValidatorSet) -> bytes:
    """The Merkle root over each validator's `SimpleValidator{pub_key, voting_power}`, in the
    set's order."""
    return merkle_root(
        [
            validator_pb2.SimpleValidator(
                pub_key=keys_pb2.PublicKey(ed25519=v.pub_key), voting_power=v.power
            ).SerializeToString(deterministic=True)
            for v in validators.validators
        ]
    )


def vote_sign_bytes(chain_id: str, commit: Commit, sig: CommitSig) -> bytes:
    """What a validator signed for a COMMIT vote of `commit`: a length-delimited
    `CanonicalVote` (height and round as sfixed64, the timestamp always present)."""
    vote = canonical_pb2.CanonicalVote(
        type=types_pb2.SIGNED_MSG_TYPE_PRECOMMIT,
        height=commit.height,
        round=commit.round,
        chain_id=chain_id,
    )
    if not commit.block_id.is_zero:  # a zero BlockID is left out (CanonicalizeBlockID)
        vote.block_id.hash = commit.block_id.hash
        vote.block_id.part_set_header.SetInParent()
        vote.block_id.part_set_header.total = commit.block_id.parts.total
        vote.block_id.part_set_header.hash = commit.block_id.parts.hash
    vote.timestamp.CopyFrom(_timestamp(sig.time_ns))
    vote.timestamp.SetInParent()
    body = vote.SerializeToString(deterministic=True)
    return _uvarint(len(body)) + body


def _uvarint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)
