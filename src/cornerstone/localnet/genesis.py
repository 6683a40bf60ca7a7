"""The one genesis document every node of a local network shares.

It starts from the genesis `cometbft init` wrote (so CometBFT's default consensus parameters
stay CometBFT's), and sets the chain id, the time, every node's validator with equal power,
and the application's initial state: the founding organizations and their member keys.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cornerstone.localnet.config import AppKind

VALIDATOR_POWER = 10
INITIAL_HEIGHT = 1
MEMBERSHIP = "membership"
"""The module whose genesis lists the organizations (see modules/membership/genesis.py)."""


@dataclass(frozen=True, slots=True)
class Validator:
    """One node's validator, as `cometbft init` wrote it to priv_validator_key.json."""

    name: str
    """The node's name, e.g. node1."""
    address: str
    """Upper-case hex address CometBFT derives from the key."""
    pub_key: Mapping[str, str]
    """Amino JSON: {"type": "tendermint/PubKeyEd25519", "value": base64}."""


@dataclass(frozen=True, slots=True)
class FoundingOrg:
    """An organization present from the first block, with its one client key."""

    id: str
    """e.g. org1."""
    name: str
    """e.g. Organization 1."""
    member: str
    """Hex Ed25519 public key of the organization's client key."""


def validator_from_key_file(name: str, document: Mapping[str, Any]) -> Validator:
    """The validator of a priv_validator_key.json document (the private key is not kept)."""
    return Validator(name=name, address=str(document["address"]), pub_key=dict(document["pub_key"]))


def app_state(app: AppKind, orgs: Sequence[FoundingOrg]) -> dict[str, Any]:
    """The application's genesis, one document per module name: the membership module's
    founding organizations for ours, nothing for CometBFT's kvstore."""
    if app == "kvstore":
        return {}
    organizations = [{"id": org.id, "name": org.name, "members": [org.member]} for org in orgs]
    return {MEMBERSHIP: {"organizations": organizations}}


def rfc3339(moment: datetime) -> str:
    """UTC time as CometBFT writes it, e.g. 2026-01-02T03:04:05.123456Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def build_genesis(
    template: Mapping[str, Any],
    *,
    chain_id: str,
    genesis_time: datetime,
    validators: Sequence[Validator],
    state: Mapping[str, Any],
) -> dict[str, Any]:
    """`template` (a genesis from `cometbft init`) made into this network's genesis."""
    genesis = copy.deepcopy(dict(template))
    genesis["genesis_time"] = rfc3339(genesis_time)
    genesis["chain_id"] = chain_id
    genesis["initial_height"] = str(INITIAL_HEIGHT)
    genesis["validators"] = [
        {
            "address": validator.address,
            "pub_key": dict(validator.pub_key),
            "power": str(VALIDATOR_POWER),
            "name": validator.name,
        }
        for validator in validators
    ]
    genesis["app_hash"] = ""
    genesis["app_state"] = dict(state)
    return genesis
