"""The checks of CometBFT's light client (light/verifier.go, types/validation.go), as pure
functions of headers, validator sets and the time: no I/O, so each refusal has a unit test.

- `verify_commit` (VerifyCommitLight): more than 2/3 of the power of the set that a header
  names signed its block. Entries pair with the set by index; only COMMIT votes count.
- `verify_commit_trusting` (VerifyCommitLightTrusting): more than `trust` of the power of an
  older, trusted set signed it; entries are matched by address, strangers skipped, and a
  validator met twice refuses the commit.
- `verify_adjacent` and `verify_non_adjacent`: a new header from a trusted one, by the set the
  trusted header announced, or by skipping (1/3 of the trusted set and 2/3 of the new one).

Unlike CometBFT, every counted signature is checked rather than stopping at the threshold: a
single forged vote refuses the commit, for a few more microseconds per validator.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from nacl.exceptions import BadSignatureError as NaclBadSignature
from nacl.signing import VerifyKey

from cornerstone.sdk.light.errors import (
    BadVoteSignatureError,
    DuplicateVoteError,
    FutureHeaderError,
    HeaderHashMismatchError,
    MalformedLightBlockError,
    NextValidatorsMismatchError,
    NotEnoughPowerError,
    TimeNotMonotonicError,
    TrustExpiredError,
    TrustLevelError,
    UnexpectedHeightError,
    ValidatorSetMismatchError,
    WrongChainHeaderError,
)
from cornerstone.sdk.light.hashing import header_hash, validator_set_hash, vote_sign_bytes
from cornerstone.sdk.light.types import (
    BLOCK_PROTOCOL,
    NS,
    BlockIdFlag,
    Commit,
    Header,
    LightBlock,
    ValidatorSet,
    format_time,
)

DEFAULT_TRUST_LEVEL: Final = Fraction(1, 3)
"""Of a trusted set's power that must sign a header skipped to (CometBFT's default)."""
DEFAULT_TRUSTING_PERIOD_NS: Final = 14 * 24 * 3600 * NS
"""Two weeks: how long a verified header may serve as a root. It must stay below the time in
which validators that left could still be punished for signing a fork (unbonding)."""
DEFAULT_CLOCK_DRIFT_NS: Final = 10 * NS
"""How far ahead of this machine's clock a header's time may be."""


@dataclass(frozen=True, slots=True)
class Checks:
    """The parameters of a verification."""

    now_ns: int
    """This machine's time, nanoseconds since the epoch."""
    trusting_period_ns: int = DEFAULT_TRUSTING_PERIOD_NS
    clock_drift_ns: int = DEFAULT_CLOCK_DRIFT_NS
    trust_level: Fraction = DEFAULT_TRUST_LEVEL


def _verify_signature(pub_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        VerifyKey(pub_key).verify(message, signature)
    except (NaclBadSignature, ValueError):
        return False
    return True


def verify_commit(chain_id: str, validators: ValidatorSet, header: Header, commit: Commit) -> None:
    """More than 2/3 of `validators`' power signed `commit`, which is for `header`."""
    if len(commit.signatures) != len(validators.validators):
        raise MalformedLightBlockError(
            what="commit",
            reason=f"it has {len(commit.signatures)} entries for "
            f"{len(validators.validators)} validators",
        )
    if commit.height != header.height:
        raise UnexpectedHeightError(what="the commit", wanted=header.height, got=commit.height)
    signed = commit.block_id.hash
    if signed != header_hash(header):
        raise HeaderHashMismatchError(
            height=header.height, signed=signed.hex(), header=header_hash(header).hex()
        )
    tallied = 0
    for sig, validator in zip(commit.signatures, validators.validators, strict=True):
        if sig.flag is not BlockIdFlag.COMMIT:
            continue  # absent, or voted nil: neither signs this block
        if sig.validator_address != validator.address:
            raise MalformedLightBlockError(
                what="commit",
                reason=f"entry for {validator.address.hex()} names {sig.validator_address.hex()}",
            )
        if not _verify_signature(
            validator.pub_key, vote_sign_bytes(chain_id, commit, sig), sig.signature
        ):
            raise BadVoteSignatureError(address=validator.address.hex(), height=commit.height)
        tallied += validator.power
    needed = validators.total_power * 2 // 3
    if tallied <= needed:
        raise NotEnoughPowerError(
            height=commit.height, got=tallied, total=validators.total_power, needed=needed
        )


def verify_commit_trusting(
    chain_id: str, trusted: ValidatorSet, commit: Commit, trust_level: Fraction
) -> None:
    """More than `trust_level` of the trusted set's power signed `commit` (any set may have
    made it: its entries are matched to `trusted` by address)."""
    needed = trusted.total_power * trust_level.numerator // trust_level.denominator
    seen: set[bytes] = set()
    tallied = 0
    for sig in commit.signatures:
        if sig.flag is not BlockIdFlag.COMMIT:
            continue
        found = trusted.by_address.get(sig.validator_address)
        if found is None:
            continue  # a validator the trusted set does not know adds nothing
        if sig.validator_address in seen:
            raise DuplicateVoteError(address=sig.validator_address.hex(), height=commit.height)
        seen.add(sig.validator_address)
        _index, validator = found
        if not _verify_signature(
            validator.pub_key, vote_sign_bytes(chain_id, commit, sig), sig.signature
        ):
            raise BadVoteSignatureError(address=validator.address.hex(), height=commit.height)
        tallied += validator.power
    if tallied <= needed:
        raise TrustLevelError(
            height=commit.height, got=tallied, total=trusted.total_power, needed=needed
        )


def check_not_expired(trusted: Header, checks: Checks, where: str = "") -> None:
    """The trusted header is younger than the trusting period."""
    if trusted.time_ns + checks.trusting_period_ns <= checks.now_ns:
        raise TrustExpiredError(
            height=trusted.height,
            time=format_time(trusted.time_ns),
            period=f"{checks.trusting_period_ns / NS / 86400:g} days",
            where=where,
        )


def verify_self(chain_id: str, block: LightBlock) -> None:
    """A header and commit that agree with each other and with the set the header names: all
    a root taken on trust can be checked for."""
    header = block.header
    if header.chain_id != chain_id:
        raise WrongChainHeaderError(got=header.chain_id, expected=chain_id)
    if header.version_block != BLOCK_PROTOCOL:
        raise MalformedLightBlockError(
            what="header", reason=f"block protocol {header.version_block}, not {BLOCK_PROTOCOL}"
        )
    if block.validators is None:
        raise MalformedLightBlockError(what="light block", reason="it has no validator set")
    got = validator_set_hash(block.validators)
    if got != header.validators_hash:
        raise ValidatorSetMismatchError(
            height=header.height, got=got.hex(), expected=header.validators_hash.hex()
        )
    verify_commit(chain_id, block.validators, header, block.signed_header.commit)


def _verify_new(trusted: Header, new: LightBlock, checks: Checks) -> None:
    header = new.header
    if header.chain_id != trusted.chain_id:
        raise WrongChainHeaderError(got=header.chain_id, expected=trusted.chain_id)
    if header.height <= trusted.height:
        raise UnexpectedHeightError(
            what=f"a header after {trusted.height}", wanted=trusted.height + 1, got=header.height
        )
    if header.time_ns <= trusted.time_ns:
        raise TimeNotMonotonicError(
            height=header.height,
            got=format_time(header.time_ns),
            trusted=format_time(trusted.time_ns),
        )
    if header.time_ns >= checks.now_ns + checks.clock_drift_ns:
        raise FutureHeaderError(
            height=header.height, got=format_time(header.time_ns), now=format_time(checks.now_ns)
        )


def verify_adjacent(trusted: LightBlock, new: LightBlock, checks: Checks) -> None:
    """`new`, at the height after `trusted`, is signed by +2/3 of the set `trusted` announced."""
    check_not_expired(trusted.header, checks)
    _verify_new(trusted.header, new, checks)
    if new.height != trusted.height + 1:
        raise UnexpectedHeightError(
            what="the next header", wanted=trusted.height + 1, got=new.height
        )
    if new.header.validators_hash != trusted.header.next_validators_hash:
        raise NextValidatorsMismatchError(
            height=new.height,
            got=new.header.validators_hash.hex(),
            expected=trusted.header.next_validators_hash.hex(),
        )
    verify_self(trusted.header.chain_id, new)


def verify_non_adjacent(trusted: LightBlock, new: LightBlock, checks: Checks) -> None:
    """`new`, further ahead, is signed by more than the trust level of `trusted`'s set (so at
    least one honest validator vouches for it) and by +2/3 of its own set."""
    check_not_expired(trusted.header, checks)
    _verify_new(trusted.header, new, checks)
    if trusted.validators is None:
        raise MalformedLightBlockError(what="trusted block", reason="it has no validator set")
    got = validator_set_hash(new.validators) if new.validators is not None else b""
    if got != new.header.validators_hash:
        raise ValidatorSetMismatchError(
            height=new.height, got=got.hex(), expected=new.header.validators_hash.hex()
        )
    # Header hash first: a commit for another block must not pass as a trust-level failure.
    if new.signed_header.commit.block_id.hash != header_hash(new.header):
        raise HeaderHashMismatchError(
            height=new.height,
            signed=new.signed_header.commit.block_id.hash.hex(),
            header=header_hash(new.header).hex(),
        )
    verify_commit_trusting(
        trusted.header.chain_id, trusted.validators, new.signed_header.commit, checks.trust_level
    )
    verify_self(trusted.header.chain_id, new)


def verify(trusted: LightBlock, new: LightBlock, checks: Checks) -> None:
    """`new` from `trusted`: adjacent or by skipping, as CometBFT's `light.Verify`."""
    if new.height == trusted.height + 1:
        verify_adjacent(trusted, new, checks)
    else:
        verify_non_adjacent(trusted, new, checks)
