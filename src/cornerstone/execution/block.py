"""The one path for a block: `apply_block(state, block) -> BlockResult`.

FinalizeBlock calls it, tests call it, tools call it. A block runs each transaction through
`check_transaction` (the same check CheckTx, PrepareProposal and ProcessProposal use) and then
through its module's handler inside a state transaction that a failure rolls back. The app hash
is the root of the state after the block's writes.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cornerstone import gas
from cornerstone.chain import (
    ChainParams,
    get_chain_id,
    get_nonce,
    get_params,
    put_block_time,
    put_chain_id,
    put_nonce,
    put_params,
)
from cornerstone.errors import (
    BadSignatureError,
    ConfigError,
    FutureNonceError,
    GasLimitTooHighError,
    GasLimitTooLowError,
    InvalidArgumentsError,
    NeedsProposalError,
    NotPermittedError,
    StaleNonceError,
    TransactionError,
    UnknownModuleError,
    UnknownOperationError,
    WrongChainError,
)
from cornerstone.identity.roles import require_role
from cornerstone.module import Context, Event, Identity, Operation, parse_message
from cornerstone.modules import BY_NAME, MODULES
from cornerstone.modules.governance.state import get_policy
from cornerstone.modules.membership import active_org_ids, resolve_sender, take_validator_updates
from cornerstone.modules.membership.genesis import check_validators
from cornerstone.policy import ALL_ORGS, SUBJECT_ORG
from cornerstone.state import PendingCommit, State
from cornerstone.tx import MAX_TX_BYTES, Transaction, decode_transaction
from cornerstone.types import Gas, Height, Nonce, Timestamp


@dataclass(frozen=True, slots=True)
class Block:
    """What execution needs to know of a decided block."""

    height: Height
    """Its height."""
    time: Timestamp
    """Its time as CometBFT decided it, nanoseconds since the epoch."""
    txs: tuple[bytes, ...]
    """The transactions, as bytes, in block order."""


@dataclass(frozen=True, slots=True)
class TxResult:
    """The outcome of one transaction of a block."""

    code: int
    """0 on success, else the error's stable code."""
    codespace: str
    """Where the code is defined ("" on success)."""
    log: str
    """The error's sentence ("" on success)."""
    gas_wanted: Gas
    """The transaction's gas limit."""
    gas_used: Gas
    """Gas the transaction used."""
    events: tuple[Event, ...]
    """What happened, on success."""

    @classmethod
    def failed(cls, error: TransactionError, *, gas_wanted: int, gas_used: int) -> TxResult:
        return cls(
            code=error.code,
            codespace=error.codespace,
            log=error.message,
            gas_wanted=Gas(gas_wanted),
            gas_used=Gas(gas_used),
            events=(),
        )


@dataclass(frozen=True, slots=True)
class BlockResult:
    """The outcome of a block: per-transaction results and the new state root."""

    height: Height
    """The block's height."""
    txs: tuple[bytes, ...]
    """The transactions that were run, in block order (PrepareProposal's choice)."""
    tx_results: tuple[TxResult, ...]
    """One result per transaction, in block order."""
    events: tuple[Event, ...]
    """What the end of the block did (e.g. proposals that expired)."""
    validator_updates: tuple[tuple[bytes, int], ...]
    """Validator power changes for CometBFT (Ed25519 key, power; 0 removes), in key order."""
    app_hash: bytes
    """Root of the state after the block."""
    pending: PendingCommit
    """The writes and tree nodes to persist when the block commits."""


@dataclass(frozen=True, slots=True)
class CheckedTx:
    """A transaction that passed every check that does not need its handler."""

    tx: Transaction
    """The decoded transaction."""
    operation: Operation
    """The operation it calls."""
    message: Any
    """Its arguments, as the operation's message dataclass."""
    sender: Identity
    """Who sent it, as membership resolved it."""
    intrinsic_gas: Gas
    """Gas charged before the handler runs."""
    tx_hash: bytes
    """sha256 of its bytes, its hash everywhere."""


# ---------------------------------------------------------------------------- checks
@dataclass(frozen=True, slots=True)
class _Wellformed:
    """What the checks that do not read state concluded about some transaction bytes."""

    rules: tuple[str, ChainParams]
    """The chain id and parameters the bytes were checked under."""
    tx: Transaction
    operation: Operation
    message: Any
    intrinsic_gas: Gas
    tx_hash: bytes


_WELLFORMED_CAPACITY: Final = 100_000
_wellformed: OrderedDict[bytes, _Wellformed] = OrderedDict()
"""Transactions that passed the stateless checks, by hash. Those checks (decoding, routing,
arguments, gas bounds, the signature) are a pure function of the bytes and the chain's rules,
so remembering them between CheckTx, the proposal checks and FinalizeBlock cannot change an
outcome; it saves doing the same work four times per transaction on every node."""


def _check_wellformed(raw: bytes, chain_id: str, params: ChainParams) -> _Wellformed:
    tx_hash = hashlib.sha256(raw).digest()
    rules = (chain_id, params)
    known = _wellformed.get(tx_hash)
    if known is not None and known.rules == rules:
        return known
    tx = decode_transaction(raw, max_bytes=params.max_tx_bytes)
    if tx.chain_id != chain_id:
        raise WrongChainError(got=tx.chain_id, expected=chain_id)
    module = BY_NAME.get(tx.module)
    if module is None:
        raise UnknownModuleError(module=tx.module)
    operation = module.operations.get(tx.operation)
    if operation is None:
        raise UnknownOperationError(module=tx.module, operation=tx.operation)
    try:
        message = parse_message(operation.message, tx.args)
    except ValueError as exc:
        raise InvalidArgumentsError(
            module=tx.module, operation=tx.operation, reason=str(exc)
        ) from None
    intrinsic = gas.intrinsic_gas(len(raw))
    if tx.gas_limit < intrinsic:
        raise GasLimitTooLowError(gas_limit=tx.gas_limit, required=intrinsic)
    if tx.gas_limit > params.block_max_gas:
        raise GasLimitTooHighError(gas_limit=tx.gas_limit, limit=params.block_max_gas)
    if not tx.sender.public_key.verify(tx.signature, tx.signing_hash):
        raise BadSignatureError()
    checked = _Wellformed(
        rules=rules,
        tx=tx,
        operation=operation,
        message=message,
        intrinsic_gas=intrinsic,
        tx_hash=tx_hash,
    )
    if len(_wellformed) >= _WELLFORMED_CAPACITY:
        # OrderedDict: dropping a plain dict's first key again and again makes each next
        # lookup of the first key walk the holes left before it (~100 µs at this size).
        _wellformed.popitem(last=False)
    _wellformed[tx_hash] = checked
    return checked


def check_transaction(state: State, raw: bytes, time: Timestamp) -> CheckedTx:
    """Check `raw` against `state` at `time` and consume its nonce there; raise
    TransactionError if any check fails, with `state` unchanged.

    Shared by CheckTx (on the mempool's state, at the last block's time), PrepareProposal and
    ProcessProposal (on a scratch state of the proposed block) and apply_block (at the block's
    time), so all four agree on what is valid.
    """
    wellformed = _check_wellformed(raw, get_chain_id(state), get_params(state))
    tx = wellformed.tx
    sender = resolve_sender(state, tx.sender, time)
    _authorize(state, wellformed, sender)
    expected = get_nonce(state, sender.id)
    if tx.nonce < expected:
        raise StaleNonceError(got=tx.nonce, sender=sender.id.hex(), expected=expected)
    if tx.nonce > expected:
        raise FutureNonceError(got=tx.nonce, sender=sender.id.hex(), expected=expected)
    put_nonce(state, sender.id, Nonce(expected + 1))
    return CheckedTx(
        tx=tx,
        operation=wellformed.operation,
        message=wellformed.message,
        sender=sender,
        intrinsic_gas=wellformed.intrinsic_gas,
        tx_hash=wellformed.tx_hash,
    )


def _authorize(state: State, wellformed: _Wellformed, sender: Identity) -> None:
    """Refuse a sender the policy of the operation's resource does not let act alone."""
    operation = wellformed.operation
    resource = f"{wellformed.tx.module}.{wellformed.tx.operation}"
    policy = get_policy(state, resource) or operation.policy
    require_role(sender.role, operation=resource, allowed=policy.roles)
    subject = operation.subject(wellformed.message) if operation.subject else None
    if policy.orgs == SUBJECT_ORG:
        permitted = subject == sender.org
    else:
        permitted = policy.orgs == ALL_ORGS or sender.org in policy.orgs
    if not permitted:
        raise NotPermittedError(org=sender.org, resource=resource, policy=policy.describe())
    rule = policy.rule
    if rule.kind == "ANY" or (rule.kind == "count" and rule.numerator == 1):
        return  # one organization suffices, whatever the number of members
    needed = rule.threshold(len(policy.eligible(active_org_ids(state), subject)))
    if needed > 1:
        raise NeedsProposalError(resource=resource, needed=needed, policy=policy.describe())


# ---------------------------------------------------------------------------- blocks
def apply_block(state: State, block: Block) -> BlockResult:
    """Execute `block` on `state` and return its results and the new app hash.

    Deterministic: the same state and block give byte-identical results on every node.
    """
    return _run_block(state, block, _Limits.for_decided())


def execute_proposal(state: State, block: Block, *, max_gas: int) -> BlockResult:
    """ProcessProposal: execute a proposed block exactly as `apply_block` would, or raise
    InvalidProposal when a transaction fails its checks or the block asks for more than
    `max_gas` (negative: no limit).

    Executing here rather than only checking lets FinalizeBlock reuse the result when the
    same block is decided, so each node runs a block once instead of checking it and then
    running it.
    """
    return _run_block(state, block, _Limits.for_proposal(max_gas))


def select_transactions(
    state: State, block: Block, *, max_bytes: int, max_gas: int
) -> tuple[bytes, ...] | None:
    """PrepareProposal's quick choice: the transactions of `block` that pass their check in
    turn and fit its byte and gas limits (negative: no limit), by checking alone; None as soon
    as a chosen one belongs to a module that `changes_checks`, for then only executing the
    block (`prepare_block`) shows which later transactions are still valid.

    Checking alone is exact otherwise: a check reads the chain's rules, membership, policies
    and the sender's nonce; only checks write nonces, and only those modules' handlers write the
    rest, so running the handlers of the others would change no later check.
    """
    chosen: list[bytes] = []
    for raw, checked in _choose(state, block, max_bytes=max_bytes, max_gas=max_gas):
        if BY_NAME[checked.tx.module].changes_checks:
            return None
        chosen.append(raw)
    return tuple(chosen)


def prepare_block(state: State, block: Block, *, max_bytes: int, max_gas: int) -> BlockResult:
    """PrepareProposal when checking is not enough (`select_transactions` gave None): execute,
    in order, the transactions of `block` that are valid when their turn comes and fit its byte
    and gas limits (negative gas: no limit); leave out the others. `BlockResult.txs` are the
    chosen ones, and the result is exactly what `execute_proposal` gives for a block of them.

    A transaction can be made invalid by one before it in the same block (a vote that removes
    an organization, then a transaction from its member): only running the first shows it.
    """
    return _run_block(state, block, _Limits.for_selection(max_bytes, max_gas))


class InvalidProposal(Exception):
    """A proposed block that every correct node refuses."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Limits:
    """What running a block does with a transaction that fails its check or does not fit."""

    select: bool
    """Leave it out (PrepareProposal) rather than refuse the block or record the failure."""
    proposal: bool
    """Refuse the block (ProcessProposal); neither: record the failure (a decided block)."""
    max_bytes: int
    """Bytes the chosen transactions may take (when selecting); negative: no limit."""
    max_gas: int
    """Gas they may ask for; negative: no limit."""

    @classmethod
    def for_decided(cls) -> _Limits:
        return cls(select=False, proposal=False, max_bytes=-1, max_gas=-1)

    @classmethod
    def for_proposal(cls, max_gas: int) -> _Limits:
        return cls(select=False, proposal=True, max_bytes=-1, max_gas=max_gas)

    @classmethod
    def for_selection(cls, max_bytes: int, max_gas: int) -> _Limits:
        return cls(select=True, proposal=False, max_bytes=max_bytes, max_gas=max_gas)


def _run_block(state: State, block: Block, limits: _Limits) -> BlockResult:
    """The one path through a block's transactions, then the end of the block."""
    chain_id = get_chain_id(state)
    results: list[TxResult] = []
    if limits.select:
        chosen: list[bytes] = []
        # Lazily: each chosen transaction runs before the next one is checked.
        for raw, checked in _choose(
            state, block, max_bytes=limits.max_bytes, max_gas=limits.max_gas
        ):
            chosen.append(raw)
            results.append(_apply_transaction(state, block, chain_id, raw, checked))
        txs = tuple(chosen)
    else:
        txs = block.txs
        used_gas = 0
        for index, raw in enumerate(txs):
            try:
                checked = check_transaction(state, raw, block.time)
            except TransactionError as error:
                if limits.proposal:
                    raise InvalidProposal(f"transaction {index}: {error.message}") from None
                # Only a faulty proposer gets here: ProcessProposal refuses such blocks.
                results.append(TxResult.failed(error, gas_wanted=0, gas_used=0))
                continue
            used_gas += checked.tx.gas_limit
            if 0 <= limits.max_gas < used_gas:
                raise InvalidProposal(
                    f"the transactions ask for more than the block's {limits.max_gas} gas"
                )
            results.append(_apply_transaction(state, block, chain_id, raw, checked))
    events: list[Event] = []
    for module in MODULES:
        if module.end_block is not None:
            events.extend(module.end_block(state, block.height, block.time))
    updates = take_validator_updates(state)
    put_block_time(state, block.time)
    pending = state.commitment(block.height)
    return BlockResult(
        height=block.height,
        txs=txs,
        tx_results=tuple(results),
        events=tuple(events),
        validator_updates=updates,
        app_hash=pending.root,
        pending=pending,
    )


def _choose(
    state: State, block: Block, *, max_bytes: int, max_gas: int
) -> Iterator[tuple[bytes, CheckedTx]]:
    """The transactions of `block` that pass their check, in turn, and fit the byte and gas
    limits (negative: no limit), each with its check; the others leave `state` as it was (a
    check that passed but does not fit gives its nonce back). A transaction dropped for size or
    gas leaves the later ones of its sender out too: their nonces no longer follow."""
    used_bytes = 0
    used_gas = 0
    for raw in block.txs:
        if 0 <= max_bytes < used_bytes + len(raw):
            continue
        state.begin_transaction()
        try:
            checked = check_transaction(state, raw, block.time)
        except TransactionError:
            state.rollback_transaction()
            continue
        if 0 <= max_gas < used_gas + checked.tx.gas_limit:
            state.rollback_transaction()
            continue
        state.commit_transaction()
        used_bytes += len(raw)
        used_gas += checked.tx.gas_limit
        yield raw, checked


def _apply_transaction(
    state: State, block: Block, chain_id: str, raw: bytes, checked: CheckedTx
) -> TxResult:
    tx = checked.tx
    ctx = Context(
        chain_id=chain_id,
        height=block.height,
        time=block.time,
        sender=checked.sender,
        tx_hash=checked.tx_hash,
    )
    meter = gas.GasMeter(tx.gas_limit)
    meter.charge(checked.intrinsic_gas)
    state.begin_transaction()
    state.meter = meter
    try:
        events = tuple(checked.operation.handler(state, ctx, checked.message))
    except TransactionError as error:
        state.meter = None
        state.rollback_transaction()
        return TxResult.failed(error, gas_wanted=tx.gas_limit, gas_used=meter.used)
    state.meter = None
    state.commit_transaction()
    return TxResult(
        code=0,
        codespace="",
        log="",
        gas_wanted=tx.gas_limit,
        gas_used=meter.used,
        events=(_tx_event(checked), *events),
    )


def _tx_event(checked: CheckedTx) -> Event:
    tx = checked.tx
    return Event(
        "tx",
        (
            ("module", tx.module),
            ("operation", tx.operation),
            ("sender", checked.sender.id.hex()),
            ("nonce", str(tx.nonce)),
        ),
    )


# ---------------------------------------------------------------------------- genesis
def init_chain(
    state: State,
    *,
    chain_id: str,
    time: Timestamp,
    app_state: Mapping[str, Any],
    block_max_gas: int,
    validators: Sequence[tuple[bytes, int]],
) -> None:
    """Write the genesis state: chain id, parameters, genesis time, and each module's genesis
    document. `validators` are CometBFT's genesis validators (Ed25519 key, power): the
    organizations must list exactly those."""
    unknown = sorted(set(app_state) - {m.name for m in MODULES})
    if unknown:
        raise ConfigError(reason=f"genesis: app_state names no module {unknown[0]!r}")
    put_chain_id(state, chain_id)
    put_block_time(state, time)
    put_params(
        state,
        ChainParams(
            max_tx_bytes=MAX_TX_BYTES,
            block_max_gas=Gas(block_max_gas if block_max_gas > 0 else gas.DEFAULT_BLOCK_GAS),
        ),
    )
    for module in MODULES:
        document = app_state.get(module.name, {})
        module.genesis.validate(document)
        module.genesis.init(state, document)
    check_validators(app_state["membership"], validators)
