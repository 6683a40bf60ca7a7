"""Genesis of the governance module: policies that differ from the defaults, and parameters.

    {"policies": {"notary.anchor": {"rule": "ANY", "orgs": "*", "roles": ["client"]}},
     "voting_period": 100}

Every resource's policy is written at genesis (the default where the document gives none), so
the chain's rules can be read from state alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cornerstone.errors import ConfigError, TransactionError
from cornerstone.module import Reader, Writer
from cornerstone.modules.governance.handlers import resource_default
from cornerstone.modules.governance.state import (
    DEFAULT_VOTING_PERIOD,
    MAX_VOTING_PERIOD,
    Params,
    get_params,
    iter_policies,
    put_params,
    put_policy,
)
from cornerstone.policy import SUBJECT_ORG, Policy, parse_policy


def validate(document: Mapping[str, Any]) -> None:
    unknown = sorted(set(document) - {"policies", "voting_period"})
    if unknown:
        raise ConfigError(reason=f"genesis: governance has no setting {unknown[0]!r}")
    period = document.get("voting_period", DEFAULT_VOTING_PERIOD)
    if not isinstance(period, int) or not 0 < period <= MAX_VOTING_PERIOD:
        raise ConfigError(
            reason=f"genesis: governance voting_period is 1 to {MAX_VOTING_PERIOD} blocks"
        )
    policies = document.get("policies", {})
    if not isinstance(policies, dict):
        raise ConfigError(reason="genesis: governance policies is a map of resource to policy")
    for resource, value in policies.items():
        _policy(resource, value)


def init(state: Writer, document: Mapping[str, Any]) -> None:
    put_params(state, Params(voting_period=document.get("voting_period", DEFAULT_VOTING_PERIOD)))
    given = document.get("policies", {})
    for resource, default in sorted(all_defaults().items()):
        put_policy(
            state, resource, _policy(resource, given[resource]) if resource in given else default
        )


def export(state: Reader) -> Mapping[str, Any]:
    return {
        "voting_period": get_params(state).voting_period,
        "policies": {resource: policy.to_value() for resource, policy in iter_policies(state)},
    }


def all_defaults() -> dict[str, Policy]:
    """Every resource of every module, with its default policy."""
    from cornerstone.modules import MODULES

    defaults: dict[str, Policy] = {}
    for module in MODULES:
        for name, operation in module.operations.items():
            defaults[f"{module.name}.{name}"] = operation.policy
        for name, action in module.actions.items():
            defaults[f"{module.name}.{name}"] = action.policy
    return defaults


def _policy(resource: object, value: object) -> Policy:
    if not isinstance(resource, str):
        raise ConfigError(reason="genesis: a governance policy's resource is a string")
    try:
        _, has_subject = resource_default(resource)
        policy = parse_policy(value)
    except TransactionError as error:
        raise ConfigError(reason=f"genesis: governance policies: {error.message}") from None
    except ValueError as exc:
        raise ConfigError(reason=f"genesis: the policy for {resource}: {exc}") from None
    if policy.orgs == SUBJECT_ORG and not has_subject:
        raise ConfigError(
            reason=f'genesis: the policy for {resource} says "self", but the resource concerns '
            "no particular organization"
        )
    return policy
