"""One function per message: the lifecycle actions (run by governance proposals) and `call`.

Every action checks everything before it writes, and raises a TransactionError to refuse, so
governance's dry run at propose time refuses a bad proposal at once (a source the checker
refuses, a migration that fails on today's state), and the same checks run again when the
proposal executes, against the state of that block.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from cornerstone import encoding
from cornerstone.contracts import CallContext, LoadedContract, UnknownFunctionError
from cornerstone.module import Context, Event, Events, Reader, Writer
from cornerstone.modules.contracts.errors import (
    CallNotPermittedError,
    ContractExistsError,
    ContractFrozenError,
    ContractNotFoundError,
    ContractRevokedError,
    InvalidCallPolicyError,
    MigrationOnlyError,
    SameVersionError,
    StatusChangeError,
    UnknownMaintainerError,
)
from cornerstone.modules.contracts.host import compiled_for, run_function
from cornerstone.modules.contracts.messages import Call, Freeze, Install, Revoke, Unfreeze, Upgrade
from cornerstone.modules.contracts.state import (
    ACTIVE,
    FROZEN,
    REVOKED,
    ContractRecord,
    code_hash_of,
    get_contract,
    put_contract,
    put_source,
)
from cornerstone.modules.membership import active_org_ids
from cornerstone.policy import SUBJECT_ORG, Policy, parse_policy
from cornerstone.types import Height

MAX_RESULT_TEXT: Final = 1024
"""Characters of a call's return value (as JSON) kept in its `contracts.called` event; a longer
value is left out (the event says its size) and read with a query instead."""


# ---------------------------------------------------------------------------- lifecycle
def install(state: Writer, ctx: Context, msg: Install) -> Events:
    known = get_contract(state, msg.name)
    if known is not None:
        raise ContractExistsError(name=msg.name, version=known.version, status=known.status)
    code_hash = code_hash_of(msg.source)
    loaded = compiled_for(msg.name, msg.source, code_hash)
    policies = call_policies(msg.name, loaded, msg.policies)
    org = msg.org or ctx.sender.org
    if org not in active_org_ids(state):
        raise UnknownMaintainerError(org=org, name=msg.name)
    record = ContractRecord(
        name=msg.name,
        version=msg.version,
        code_hash=code_hash,
        status=ACTIVE,
        status_height=ctx.height,
        installed_at=ctx.height,
        upgraded_at=Height(0),
        org=org,
        policies=policies,
        migration="",
    )
    put_source(state, msg.name, msg.source)
    put_contract(state, record)
    return (
        Event(
            "contracts.installed",
            (
                ("contract", msg.name),
                ("version", msg.version),
                ("code_hash", code_hash.hex()),
                ("org", org),
            ),
        ),
    )


def upgrade(state: Writer, ctx: Context, msg: Upgrade) -> Events:
    current = _existing(state, msg.name)
    if current.status == REVOKED:
        raise ContractRevokedError(name=msg.name, height=current.status_height)
    if current.version == msg.version:
        raise SameVersionError(name=msg.name, version=msg.version)
    code_hash = code_hash_of(msg.source)
    loaded = compiled_for(msg.name, msg.source, code_hash)
    given = msg.policies
    if given is None:
        given = {f: p.to_value() for f, p in current.policies.items()}
    policies = call_policies(msg.name, loaded, given)
    if msg.migration:
        spec = loaded.compiled.checked.entry(msg.migration)
        if spec is None or spec.kind != "export":
            raise UnknownFunctionError(contract=msg.name, function=msg.migration, kind="exported")
    record = replace(
        current,
        version=msg.version,
        code_hash=code_hash,
        upgraded_at=ctx.height,
        policies=policies,
        migration=msg.migration,
    )
    put_source(state, msg.name, msg.source)
    put_contract(state, record)
    events = [
        Event(
            "contracts.upgraded",
            (
                ("contract", msg.name),
                ("from", current.version),
                ("version", msg.version),
                ("code_hash", code_hash.hex()),
            ),
        )
    ]
    if msg.migration:
        # In the proposal's own nested transaction: a failure undoes the upgrade too.
        result = run_function(state, record, msg.migration, {}, CallContext.of(ctx))
        events.append(
            Event("contracts.migrated", (("contract", msg.name), ("function", msg.migration)))
        )
        events.extend(result.events)
    return tuple(events)


def freeze(state: Writer, ctx: Context, msg: Freeze) -> Events:
    record = _changeable(state, msg.name, "frozen", FROZEN)
    put_contract(state, replace(record, status=FROZEN, status_height=ctx.height))
    return (Event("contracts.frozen", (("contract", msg.name), ("reason", msg.reason))),)


def unfreeze(state: Writer, ctx: Context, msg: Unfreeze) -> Events:
    record = _changeable(state, msg.name, "unfrozen", ACTIVE)
    put_contract(state, replace(record, status=ACTIVE, status_height=ctx.height))
    return (Event("contracts.unfrozen", (("contract", msg.name),)),)


def revoke(state: Writer, ctx: Context, msg: Revoke) -> Events:
    record = _changeable(state, msg.name, "revoked", REVOKED)
    put_contract(state, replace(record, status=REVOKED, status_height=ctx.height))
    return (Event("contracts.revoked", (("contract", msg.name), ("reason", msg.reason))),)


# ---------------------------------------------------------------------------- call
def call(state: Writer, ctx: Context, msg: Call) -> Events:
    record = callable_contract(state, msg.contract)
    if msg.function == record.migration:
        raise MigrationOnlyError(
            contract=record.name, function=msg.function, version=record.version
        )
    policy = record.policies.get(msg.function)
    if policy is not None:
        verdict = policy.evaluate(
            {ctx.sender.org: (ctx.sender.role,)}, members=active_org_ids(state)
        )
        if not verdict.passed:
            raise CallNotPermittedError(
                org=ctx.sender.org,
                role=ctx.sender.role.value,
                contract=record.name,
                function=msg.function,
                policy=policy.describe(),
            )
    args: Mapping[str, encoding.Value] = msg.args  # type: ignore[assignment]  # canonical
    result = run_function(state, record, msg.function, args, CallContext.of(ctx))
    called = Event(
        "contracts.called",
        (
            ("contract", record.name),
            ("function", msg.function),
            ("version", record.version),
            ("gas", str(result.gas_used)),
            *_result_attribute(result.value),
        ),
    )
    return (called, *result.events)


def callable_contract(state: Reader, name: str) -> ContractRecord:
    """The contract `name` if it takes calls now: ContractNotFoundError, ContractFrozenError or
    ContractRevokedError otherwise."""
    record = get_contract(state, name)
    if record is None:
        raise ContractNotFoundError(name=name)
    if record.status == FROZEN:
        raise ContractFrozenError(name=name, height=record.status_height)
    if record.status == REVOKED:
        raise ContractRevokedError(name=name, height=record.status_height)
    return record


# ---------------------------------------------------------------------------- helpers
def _existing(state: Reader, name: str) -> ContractRecord:
    record = get_contract(state, name)
    if record is None:
        raise ContractNotFoundError(name=name)
    return record


def _changeable(state: Reader, name: str, change: str, target: str) -> ContractRecord:
    """The contract whose status may change to `target`: a revoked contract never changes, and
    a change to the status it has is refused (a proposal that does nothing is a mistake)."""
    record = _existing(state, name)
    if record.status == REVOKED:
        raise ContractRevokedError(name=name, height=record.status_height)
    if record.status == target:
        raise StatusChangeError(name=name, status=record.status, change=change)
    return record


def call_policies(
    name: str, loaded: LoadedContract, given: Mapping[str, Mapping[str, object]]
) -> dict[str, Policy]:
    """The call policies of a contract, each naming one of its exported functions and met by the
    signature of a single organization: a call is one transaction, so a policy that needs
    several organizations could never pass (their joint approval belongs in the contract, as
    examples/contracts/approvals.py does, or in a governance proposal)."""
    policies: dict[str, Policy] = {}
    for function, value in sorted(given.items()):
        spec = loaded.compiled.checked.entry(function)
        if spec is None or spec.kind != "export":
            raise InvalidCallPolicyError(
                contract=name, function=function, reason="the contract exports no such function"
            )
        try:
            policy = parse_policy(value)
        except ValueError as exc:
            raise InvalidCallPolicyError(
                contract=name, function=function, reason=str(exc)
            ) from None
        if policy.orgs == SUBJECT_ORG:
            raise InvalidCallPolicyError(
                contract=name,
                function=function,
                reason='a call concerns no particular organization, so "self" names none',
            )
        if _may_need_several(policy):
            raise InvalidCallPolicyError(
                contract=name,
                function=function,
                reason=(
                    f"{policy.describe()} can need the approval of several organizations, and "
                    "a call is signed by one: use rule ANY (or one organization); put joint "
                    "approval in the contract itself"
                ),
            )
        policies[function] = policy
    return policies


def _may_need_several(policy: Policy) -> bool:
    rule = policy.rule
    if rule.kind == "ANY" or (rule.kind == "count" and rule.numerator == 1):
        return False
    if isinstance(policy.orgs, tuple) and len(policy.orgs) == 1:
        return rule.kind == "count"  # ALL, MAJORITY or a fraction of one is one
    return True


def _result_attribute(value: encoding.Value) -> tuple[tuple[str, str], ...]:
    text = json.dumps(_jsonable(value), separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_RESULT_TEXT:
        return (("result_size", str(len(text))),)
    return (("result", text),)


def _jsonable(value: encoding.Value) -> object:
    """A canonical value as JSON (bytes as hex), for the `contracts.called` event."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value
