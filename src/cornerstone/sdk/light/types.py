"""Signed headers, commits and validator sets as CometBFT v0.38 defines them, and their JSON
form (the RPC's `/commit` and `/validators` answers, the gateway's `/v1/light/{height}`).

Parsing is strict: a field of the wrong shape is a `MalformedLightBlockError` naming it, never a
KeyError. Times are kept as integer nanoseconds since the epoch, because the header hash covers
them to the nanosecond.
"""

from __future__ import annotations

import base64
import calendar
import enum
import hashlib
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from cornerstone.sdk.light.errors import MalformedLightBlockError, UnsupportedKeyError

ED25519_KEY_TYPE: Final = "tendermint/PubKeyEd25519"
"""The amino name CometBFT's JSON gives an Ed25519 public key."""
ADDRESS_SIZE: Final = 20
HASH_SIZE: Final = 32
ED25519_KEY_SIZE: Final = 32
ED25519_SIGNATURE_SIZE: Final = 64
BLOCK_PROTOCOL: Final = 11
"""CometBFT v0.38's block version: a header with another one is refused."""
NS: Final = 1_000_000_000
_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?Z")


class BlockIdFlag(enum.IntEnum):
    """How a validator took part in a commit."""

    ABSENT = 1
    COMMIT = 2
    NIL = 3


@dataclass(frozen=True, slots=True)
class PartSetHeader:
    total: int
    """Number of parts of the block."""
    hash: bytes
    """Merkle root of the parts."""


@dataclass(frozen=True, slots=True)
class BlockId:
    hash: bytes
    """The header's hash."""
    parts: PartSetHeader
    """The block's parts."""

    @property
    def is_zero(self) -> bool:
        return not self.hash and not self.parts.hash and self.parts.total == 0


@dataclass(frozen=True, slots=True)
class Header:
    """A block header: the 14 fields its hash covers."""

    version_block: int
    version_app: int
    chain_id: str
    height: int
    time_ns: int
    """Block time, nanoseconds since the epoch."""
    last_block_id: BlockId
    last_commit_hash: bytes
    data_hash: bytes
    validators_hash: bytes
    """Hash of the set that signs this block."""
    next_validators_hash: bytes
    """Hash of the set that signs the next block."""
    consensus_hash: bytes
    app_hash: bytes
    """The application's state root after the previous block."""
    last_results_hash: bytes
    evidence_hash: bytes
    proposer_address: bytes


@dataclass(frozen=True, slots=True)
class CommitSig:
    flag: BlockIdFlag
    validator_address: bytes
    time_ns: int
    """The vote's timestamp (signed with it)."""
    signature: bytes


@dataclass(frozen=True, slots=True)
class Commit:
    height: int
    round: int
    block_id: BlockId
    """The block the +2/3 precommitted."""
    signatures: tuple[CommitSig, ...]
    """One entry per validator of the signing set, in the set's order."""


@dataclass(frozen=True, slots=True)
class SignedHeader:
    header: Header
    commit: Commit


@dataclass(frozen=True, slots=True)
class Validator:
    pub_key: bytes
    """Ed25519 public key."""
    power: int
    """Voting power."""

    @property
    def address(self) -> bytes:
        """CometBFT's address of an Ed25519 key: the first 20 bytes of its SHA-256."""
        return hashlib.sha256(self.pub_key).digest()[:ADDRESS_SIZE]


@dataclass(frozen=True)
class ValidatorSet:
    """Validators in the set's order (voting power descending, then address), as CometBFT
    keeps and hashes them. Not slotted: it caches its lookups."""

    validators: tuple[Validator, ...]

    @cached_property
    def total_power(self) -> int:
        return sum(v.power for v in self.validators)

    @cached_property
    def by_address(self) -> dict[bytes, tuple[int, Validator]]:
        return {v.address: (i, v) for i, v in enumerate(self.validators)}

    @classmethod
    def sorted(cls, validators: tuple[Validator, ...]) -> ValidatorSet:
        """A set in CometBFT's order, for validators listed in another (a genesis file)."""
        return cls(tuple(sorted(validators, key=lambda v: (-v.power, v.address))))


@dataclass(frozen=True, slots=True)
class LightBlock:
    """A signed header with the validator set of its height (None when only the header is
    needed, to walk back a hash chain)."""

    signed_header: SignedHeader
    validators: ValidatorSet | None

    @property
    def header(self) -> Header:
        return self.signed_header.header

    @property
    def height(self) -> int:
        return self.signed_header.header.height


# ---------------------------------------------------------------------------- time
def parse_time(text: Any, what: str = "time") -> int:
    """RFC 3339 UTC with up to nanoseconds, as CometBFT writes it, in nanoseconds."""
    match = _TIME.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise MalformedLightBlockError(what=what, reason=f"{str(text)[:40]!r} is not a UTC time")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    return seconds * NS + int((match.group(7) or "0").ljust(9, "0"))


def format_time(time_ns: int) -> str:
    """RFC 3339 with as many fraction digits as needed, as Go's RFC3339Nano writes it."""
    seconds, nanos = divmod(time_ns, NS)
    text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    fraction = f"{nanos:09d}".rstrip("0")
    return f"{text}.{fraction}Z" if fraction else f"{text}Z"


# ---------------------------------------------------------------------------- from JSON
def _field(obj: Any, name: str, what: str) -> Any:
    if not isinstance(obj, Mapping) or name not in obj:
        raise MalformedLightBlockError(what=what, reason=f"it has no {name!r}")
    return obj[name]


def _int(obj: Any, name: str, what: str) -> int:
    value = _field(obj, name, what)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise MalformedLightBlockError(what=what, reason=f"{name} is not an integer") from None


def _hex(obj: Any, name: str, what: str, size: int | None = HASH_SIZE) -> bytes:
    value = _field(obj, name, what) or ""
    try:
        raw = bytes.fromhex(value)
    except (TypeError, ValueError):
        raise MalformedLightBlockError(what=what, reason=f"{name} is not hex") from None
    if size is not None and raw and len(raw) != size:
        raise MalformedLightBlockError(what=what, reason=f"{name} is not {size} bytes")
    return raw


def _b64(obj: Any, name: str, what: str) -> bytes:
    value = _field(obj, name, what) or ""
    try:
        return base64.b64decode(value, validate=True)
    except (TypeError, ValueError):
        raise MalformedLightBlockError(what=what, reason=f"{name} is not base64") from None


def block_id_from_json(raw: Any, what: str) -> BlockId:
    parts = _field(raw, "parts", what)
    return BlockId(
        hash=_hex(raw, "hash", what),
        parts=PartSetHeader(total=_int(parts, "total", what), hash=_hex(parts, "hash", what)),
    )


def header_from_json(raw: Any) -> Header:
    what = "header"
    version = _field(raw, "version", what)
    chain_id = _field(raw, "chain_id", what)
    if not isinstance(chain_id, str):
        raise MalformedLightBlockError(what=what, reason="chain_id is not a string")
    return Header(
        version_block=_int(version, "block", what),
        version_app=int(version.get("app") or 0),
        chain_id=chain_id,
        height=_int(raw, "height", what),
        time_ns=parse_time(_field(raw, "time", what), what),
        last_block_id=block_id_from_json(_field(raw, "last_block_id", what), what),
        last_commit_hash=_hex(raw, "last_commit_hash", what),
        data_hash=_hex(raw, "data_hash", what),
        validators_hash=_hex(raw, "validators_hash", what),
        next_validators_hash=_hex(raw, "next_validators_hash", what),
        consensus_hash=_hex(raw, "consensus_hash", what),
        app_hash=_hex(raw, "app_hash", what, size=None),
        last_results_hash=_hex(raw, "last_results_hash", what),
        evidence_hash=_hex(raw, "evidence_hash", what),
        proposer_address=_hex(raw, "proposer_address", what, size=ADDRESS_SIZE),
    )


def commit_from_json(raw: Any) -> Commit:
    what = "commit"
    signatures = _field(raw, "signatures", what)
    if not isinstance(signatures, list):
        raise MalformedLightBlockError(what=what, reason="signatures is not a list")
    return Commit(
        height=_int(raw, "height", what),
        round=_int(raw, "round", what),
        block_id=block_id_from_json(_field(raw, "block_id", what), what),
        signatures=tuple(_commit_sig(sig) for sig in signatures),
    )


def _commit_sig(raw: Any) -> CommitSig:
    what = "commit signature"
    try:
        flag = BlockIdFlag(_int(raw, "block_id_flag", what))
    except ValueError:
        raise MalformedLightBlockError(what=what, reason="unknown block_id_flag") from None
    sig = CommitSig(
        flag=flag,
        validator_address=_hex(raw, "validator_address", what, size=ADDRESS_SIZE),
        time_ns=parse_time(_field(raw, "timestamp", what), what),
        signature=_b64(raw, "signature", what),
    )
    # CometBFT's CommitSig.ValidateBasic, for the entries a verifier reads.
    if flag is not BlockIdFlag.ABSENT and (
        len(sig.validator_address) != ADDRESS_SIZE or not sig.signature
    ):
        raise MalformedLightBlockError(what=what, reason="a vote without address or signature")
    return sig


def signed_header_from_json(raw: Any) -> SignedHeader:
    return SignedHeader(
        header=header_from_json(_field(raw, "header", "signed header")),
        commit=commit_from_json(_field(raw, "commit", "signed header")),
    )


def validator_from_json(raw: Any) -> Validator:
    what = "validator"
    pub_key = _field(raw, "pub_key", what)
    key_type = _field(pub_key, "type", what)
    if key_type != ED25519_KEY_TYPE:
        raise UnsupportedKeyError(key_type=str(key_type)[:60])
    key = _b64(pub_key, "value", what)
    if len(key) != ED25519_KEY_SIZE:
        raise MalformedLightBlockError(what=what, reason="an Ed25519 key that is not 32 bytes")
    # The RPC says "voting_power", a genesis file "power".
    power = _int(raw, "voting_power" if "voting_power" in raw else "power", what)
    if power <= 0:
        raise MalformedLightBlockError(what=what, reason="a validator without voting power")
    return Validator(pub_key=key, power=power)


def validators_from_json(raw: Any) -> ValidatorSet:
    if not isinstance(raw, list) or not raw:
        raise MalformedLightBlockError(what="validator set", reason="it is empty or not a list")
    return ValidatorSet(tuple(validator_from_json(v) for v in raw))


# ---------------------------------------------------------------------------- to JSON
def block_id_json(block_id: BlockId) -> dict[str, Any]:
    return {
        "hash": block_id.hash.hex().upper(),
        "parts": {"total": block_id.parts.total, "hash": block_id.parts.hash.hex().upper()},
    }


def header_json(h: Header) -> dict[str, Any]:
    """The header as CometBFT's RPC writes it."""
    return {
        "version": {"block": str(h.version_block), "app": str(h.version_app)},
        "chain_id": h.chain_id,
        "height": str(h.height),
        "time": format_time(h.time_ns),
        "last_block_id": block_id_json(h.last_block_id),
        "last_commit_hash": h.last_commit_hash.hex().upper(),
        "data_hash": h.data_hash.hex().upper(),
        "validators_hash": h.validators_hash.hex().upper(),
        "next_validators_hash": h.next_validators_hash.hex().upper(),
        "consensus_hash": h.consensus_hash.hex().upper(),
        "app_hash": h.app_hash.hex().upper(),
        "last_results_hash": h.last_results_hash.hex().upper(),
        "evidence_hash": h.evidence_hash.hex().upper(),
        "proposer_address": h.proposer_address.hex().upper(),
    }


def commit_json(c: Commit) -> dict[str, Any]:
    return {
        "height": str(c.height),
        "round": c.round,
        "block_id": block_id_json(c.block_id),
        "signatures": [
            {
                "block_id_flag": int(s.flag),
                "validator_address": s.validator_address.hex().upper(),
                "timestamp": format_time(s.time_ns)
                if s.flag is not BlockIdFlag.ABSENT
                else "0001-01-01T00:00:00Z",
                "signature": base64.b64encode(s.signature).decode() if s.signature else None,
            }
            for s in c.signatures
        ],
    }


def signed_header_json(sh: SignedHeader) -> dict[str, Any]:
    return {"header": header_json(sh.header), "commit": commit_json(sh.commit)}


def validators_json(vs: ValidatorSet) -> list[dict[str, Any]]:
    return [
        {
            "address": v.address.hex().upper(),
            "pub_key": {"type": ED25519_KEY_TYPE, "value": base64.b64encode(v.pub_key).decode()},
            "voting_power": str(v.power),
            "proposer_priority": "0",
        }
        for v in vs.validators
    ]
