"""The light client: which headers to fetch and in which order, from a root of trust to the
header a proof needs, keeping what it verified.

It does no I/O. `LightClient.plan(chain_id, height, now_ns)` is a generator that yields a
`Fetch` for each light block it wants and is sent the block back; `over_rpc` turns those into
CometBFT RPC calls (`/commit`, `/validators` paged), and `run`/`arun` drive a plan with a
blocking or an async caller. So `Client` and `AsyncClient` share every decision, and tests
drive the plan with headers they signed.

Roots of trust (`Trust.root`):
- `TrustedHash(height, hash)`: a header hash obtained out of band (another organization, a
  published checkpoint). The node's header at that height must hash to it. It is authoritative:
  the client starts from it even when the trust store holds another header.
- `GenesisRoot.load(path)`: the chain's genesis file; the first block must be signed by +2/3
  of its validators. It seeds an empty trust store; once the store holds a (newer) verified
  header, that one is used.
- None: trust on first use. The node's newest header is checked only against itself (its
  commit by the set it names) and pinned in the trust store; every later one must follow from
  it. A client that meets the network for the first time through a lying node is fooled, as
  with SSH's known_hosts; pass a root to close that gap.

The trust store (`<dir>/<chain id>.json`, dir = `Trust.store_dir`, else `$CORNERSTONE_TRUST_DIR`,
else `~/.cornerstone/trust`) holds the newest header verified, with its validator set: the next
run starts from it, so it stays within the trusting period as long as the client is used.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from cornerstone.sdk.light.errors import (
    BrokenHeaderChainError,
    MalformedLightBlockError,
    TrustLevelError,
    TrustRootMismatchError,
    TrustStoreError,
    UnexpectedHeightError,
    ValidatorSetMismatchError,
    WrongChainHeaderError,
)
from cornerstone.sdk.light.hashing import header_hash, validator_set_hash
from cornerstone.sdk.light.types import (
    Header,
    LightBlock,
    ValidatorSet,
    signed_header_from_json,
    signed_header_json,
    validators_from_json,
    validators_json,
)
from cornerstone.sdk.light.verify import (
    DEFAULT_CLOCK_DRIFT_NS,
    DEFAULT_TRUSTING_PERIOD_NS,
    Checks,
    check_not_expired,
    verify,
    verify_self,
)

TRUST_DIR_ENV: Final = "CORNERSTONE_TRUST_DIR"
VALIDATORS_PER_PAGE: Final = 100
"""The most CometBFT's `/validators` answers in one page."""
_CHAIN_ID_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")

T = TypeVar("T")
Q = TypeVar("Q")


@dataclass(frozen=True, slots=True)
class TrustedHash:
    """A header hash the user trusts, from a source other than the node."""

    height: int
    hash: bytes


@dataclass(frozen=True, slots=True)
class GenesisRoot:
    """The genesis file's chain id, first height and validators."""

    chain_id: str
    initial_height: int
    validators: ValidatorSet

    @classmethod
    def load(cls, path: Path) -> GenesisRoot:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TrustStoreError(path=str(path), reason=f"not a genesis file ({exc})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("chain_id"), str):
            raise TrustStoreError(path=str(path), reason="not a genesis file (no chain_id)")
        return cls(
            chain_id=raw["chain_id"],
            initial_height=int(raw.get("initial_height") or 1),
            validators=ValidatorSet.sorted(validators_from_json(raw.get("validators")).validators),
        )


@dataclass(frozen=True, slots=True)
class Trust:
    """How a client decides which headers to believe."""

    root: TrustedHash | GenesisRoot | None = None
    """Where trust starts; None: on first use (see the module's docstring)."""
    store_dir: Path | None = None
    """The trust store's folder; None: $CORNERSTONE_TRUST_DIR, else ~/.cornerstone/trust."""
    persist: bool = True
    """Keep the newest verified header in the trust store (False: this process only)."""
    trusting_period_ns: int = DEFAULT_TRUSTING_PERIOD_NS
    clock_drift_ns: int = DEFAULT_CLOCK_DRIFT_NS

    def store_path(self, chain_id: str) -> Path:
        if not _CHAIN_ID_FILE.fullmatch(chain_id):
            raise TrustStoreError(path=chain_id[:60], reason="the chain id is not a file name")
        folder = self.store_dir or Path(
            os.environ.get(TRUST_DIR_ENV) or Path.home() / ".cornerstone" / "trust"
        )
        return folder / f"{chain_id}.json"


@dataclass(frozen=True, slots=True)
class Fetch:
    """A light block the plan needs."""

    height: int
    validators: bool = True
    """Also the validator set (not needed to walk a hash chain back)."""


Plan = Generator[Fetch, LightBlock, T]


class LightClient:
    """Verified headers of one chain, from a root of trust forward (and back by hash links)."""

    def __init__(self, trust: Trust | None = None) -> None:
        self.trust = trust or Trust()
        self.chain_id: str | None = None
        self._anchors: dict[int, LightBlock] = {}
        """Verified blocks with their validator sets: where forward verification starts."""
        self._headers: dict[int, Header] = {}
        """Every header verified so far."""

    def plan(
        self, chain_id: str, height: int, now_ns: int, *, latest: int | None = None
    ) -> Plan[Header]:
        """The header of `height`, verified; a LightClientError says why not. `latest`, the
        node's newest height, is where a first use pins its root (the freshest header, so the
        root stays within the trusting period; older heights follow by parent hashes)."""
        checks = Checks(
            now_ns=now_ns,
            trusting_period_ns=self.trust.trusting_period_ns,
            clock_drift_ns=self.trust.clock_drift_ns,
        )
        if self.chain_id is None:
            yield from self._start(chain_id, max(height, latest or 0), checks)
        elif chain_id != self.chain_id:
            raise WrongChainHeaderError(got=chain_id, expected=self.chain_id)
        if height not in self._headers:
            below = [h for h in self._anchors if h < height]
            if below:
                yield from self._forward(self._anchors[max(below)], height, checks)
            else:
                yield from self._backward(height)
        return self._headers[height]

    # ------------------------------------------------------------------ steps
    def _fetch(self, height: int, *, validators: bool = True) -> Plan[LightBlock]:
        block = yield Fetch(height, validators)
        if block.height != height or block.signed_header.commit.height != height:
            raise UnexpectedHeightError(what="a light block", wanted=height, got=block.height)
        return block

    def _start(self, chain_id: str, height: int, checks: Checks) -> Plan[None]:
        root = self.trust.root
        path = self.trust.store_path(chain_id) if self.trust.persist else None
        # The stored header was verified from a root before and is newer: it wins over the
        # genesis (which may be past the trusting period), never over a pinned hash.
        if not isinstance(root, TrustedHash) and path is not None and path.exists():
            self._keep(_load(path, chain_id))
            self.chain_id = chain_id
            return
        if isinstance(root, GenesisRoot):
            if root.chain_id != chain_id:
                raise WrongChainHeaderError(got=chain_id, expected=root.chain_id)
            block = yield from self._fetch(root.initial_height, validators=False)
            got = block.header.validators_hash
            if got != validator_set_hash(root.validators):
                raise ValidatorSetMismatchError(
                    height=block.height,
                    got=validator_set_hash(root.validators).hex(),
                    expected=got.hex(),
                )
            block = LightBlock(block.signed_header, root.validators)
        elif isinstance(root, TrustedHash):
            block = yield from self._fetch(root.height)
            got = header_hash(block.header)
            if got != root.hash:
                raise TrustRootMismatchError(
                    height=root.height, got=got.hex(), expected=root.hash.hex()
                )
        else:  # first use: the newest header, checked against itself only
            block = yield from self._fetch(height)
        verify_self(chain_id, block)
        check_not_expired(block.header, checks)
        self.chain_id = chain_id
        self._keep(block)
        self._save(block)

    def _forward(self, trusted: LightBlock, height: int, checks: Checks) -> Plan[None]:
        """CometBFT's skipping verification: try the target straight from the trusted block;
        when too little of the trusted set signed it, verify a block halfway first."""
        pending = [(yield from self._fetch(height))]
        stored = self.trust.persist and not isinstance(self.trust.root, TrustedHash)
        where = f" (or delete {self._path_text()})" if stored else ""
        while pending:
            candidate = pending[-1]
            try:
                check_not_expired(trusted.header, checks, where)
                verify(trusted, candidate, checks)
            except TrustLevelError:
                pivot = trusted.height + (candidate.height - trusted.height) // 2
                pending.append((yield from self._fetch(pivot)))
                continue
            self._keep(candidate)
            trusted = pending.pop()
        self._save(trusted)

    def _backward(self, height: int) -> Plan[None]:
        """A header older than every trusted one: follow the parent hashes down to it."""
        above = min(h for h in self._headers if h > height)
        child = self._headers[above]
        for at in range(above - 1, height - 1, -1):
            block = yield from self._fetch(at, validators=False)
            got = header_hash(block.header)
            if got != child.last_block_id.hash:
                raise BrokenHeaderChainError(
                    height=at, got=got.hex(), expected=child.last_block_id.hash.hex()
                )
            self._headers[at] = block.header
            child = block.header

    # ------------------------------------------------------------------ memory and store
    def _keep(self, block: LightBlock) -> None:
        self._anchors[block.height] = block
        self._headers[block.height] = block.header

    def _path_text(self) -> str:
        return str(self.trust.store_path(self.chain_id or ""))

    def _save(self, block: LightBlock) -> None:
        """Keep `block` as the store's root when it is newer than the stored one."""
        if not self.trust.persist or self.chain_id is None:
            return
        path = self.trust.store_path(self.chain_id)
        if path.exists() and _load(path, self.chain_id).height >= block.height:
            return
        assert block.validators is not None  # anchors always have their set
        record = {
            "chain_id": self.chain_id,
            "height": block.height,
            "hash": header_hash(block.header).hex(),
            "signed_header": signed_header_json(block.signed_header),
            "validators": validators_json(block.validators),
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            temporary.write_text(json.dumps(record, indent=1), encoding="utf-8")
            os.replace(temporary, path)  # readers see the old file or the new, never half
        except OSError as exc:
            raise TrustStoreError(path=str(path), reason=exc.strerror or str(exc)) from None


def _load(path: Path, chain_id: str) -> LightBlock:
    """The stored root, checked to be one consistent block of `chain_id`."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        block = LightBlock(
            signed_header_from_json(raw["signed_header"]),
            validators_from_json(raw["validators"]),
        )
        verify_self(chain_id, block)
    except (OSError, ValueError, KeyError, TypeError, MalformedLightBlockError) as exc:
        reason = exc.message if isinstance(exc, MalformedLightBlockError) else str(exc)
        raise TrustStoreError(path=str(path), reason=f"{reason}; delete it to start over") from None
    except WrongChainHeaderError:
        raise TrustStoreError(path=str(path), reason=f"it is not for chain {chain_id}") from None
    return block


# ---------------------------------------------------------------------------- transports
@dataclass(frozen=True, slots=True)
class RpcCall:
    """One CometBFT RPC call."""

    method: str
    params: dict[str, str]


def rpc_light_block(fetch: Fetch) -> Generator[RpcCall, Any, LightBlock]:
    """A light block from CometBFT's RPC: `/commit`, then `/validators` page by page."""
    answer = yield RpcCall("commit", {"height": str(fetch.height)})
    if not isinstance(answer, dict) or "signed_header" not in answer:
        raise MalformedLightBlockError(what="commit answer", reason="no signed_header")
    signed_header = signed_header_from_json(answer["signed_header"])
    if not fetch.validators:
        return LightBlock(signed_header, None)
    listed: list[Any] = []
    page = 1
    while True:
        params = {"height": str(fetch.height), "page": str(page), "per_page": "100"}
        answer = yield RpcCall("validators", params)
        batch = answer.get("validators") if isinstance(answer, dict) else None
        if not isinstance(batch, list):
            raise MalformedLightBlockError(what="validators answer", reason="no validators")
        listed.extend(batch)
        if not batch or len(listed) >= int(answer.get("total") or 0):
            break
        page += 1
    return LightBlock(signed_header, validators_from_json(listed))


def light_block_from_json(raw: Any) -> LightBlock:
    """The gateway's `/v1/light/{height}` answer."""
    if not isinstance(raw, dict) or "signed_header" not in raw or "validators" not in raw:
        raise MalformedLightBlockError(what="light block", reason="no signed_header/validators")
    return LightBlock(
        signed_header_from_json(raw["signed_header"]), validators_from_json(raw["validators"])
    )


def over_rpc(plan: Plan[T]) -> Generator[RpcCall, Any, T]:
    """`plan` with each fetch made of CometBFT RPC calls."""
    try:
        fetch = next(plan)
        while True:
            block = yield from rpc_light_block(fetch)
            fetch = plan.send(block)
    except StopIteration as done:
        result: T = done.value
        return result


def run(plan: Generator[Q, Any, T], answer: Callable[[Q], Any]) -> T:
    """Drive `plan`, answering each request with `answer` (blocking)."""
    try:
        request = next(plan)
        while True:
            request = plan.send(answer(request))
    except StopIteration as done:
        result: T = done.value
        return result


async def arun(plan: Generator[Q, Any, T], answer: Callable[[Q], Awaitable[Any]]) -> T:
    """Drive `plan`, answering each request with the coroutine `answer`."""
    try:
        request = next(plan)
        while True:
            request = plan.send(await answer(request))
    except StopIteration as done:
        result: T = done.value
        return result
