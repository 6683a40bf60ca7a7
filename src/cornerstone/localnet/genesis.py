"""The one genesis document every node of a local network shares.

It starts from the genesis `cometbft init` wrote (so CometBFT's default consensus parameters
stay CometBFT's), and sets the chain id, the time, every node's validator with equal power,
and the application's initial state: the founding organizations (root certificate, node,
validator, admin and client keys) and the governance settings.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cornerstone.crypto import PublicKey
from cornerstone.identity.roles import Role
from cornerstone.localnet.config import AppKind
from cornerstone.modules.governance.genesis import all_defaults

VALIDATOR_POWER = 10
INITIAL_HEIGHT = 1
VOTING_PERIOD = 100
"""Blocks a proposal stays open: under a minute at two blocks a second, enough to vote by hand."""
MEMBERSHIP = "membership"
"""The module whose genesis lists the organizations (see modules/membership/genesis.py)."""
GOVERNANCE = "governance"
"""The module whose genesis sets policies and the voting period (modules/governance/genesis.py)."""


@dataclass(frozen=True, slots=True)
class Validator:
    """One node's validator, as `cometbft init` wrote it to priv_validator_key.json."""

    name: str
    """The node's name, e.g. node1."""
    address: str
    """Upper-case hex address CometBFT derives from the key."""
    pub_key: Mapping[str, str]
    """Amino JSON: {"type": "tendermint/PubKeyEd25519", "value": base64}."""

    @property
    def public_key(self) -> bytes:
        """The raw Ed25519 key, as the application's genesis lists it."""
        return base64.b64decode(self.pub_key["value"])


@dataclass(frozen=True, slots=True)
class FoundingMember:
    """A key an organization registers on chain from the first block."""

    name: str
    role: Role
    public_key: PublicKey


@dataclass(frozen=True, slots=True)
class FoundingOrg:
    """An organization present from the first block."""

    id: str
    """e.g. org1."""
    name: str
    """e.g. Organization 1."""
    root_certificate: bytes
    """DER of the organization's CA root certificate."""
    nodes: tuple[str, ...]
    """CometBFT node ids of its nodes: the peers the network admits."""
    validators: tuple[Validator, ...]
    members: tuple[FoundingMember, ...]


def validator_from_key_file(name: str, document: Mapping[str, Any]) -> Validator:
    """The validator of a priv_validator_key.json document (the private key is not kept)."""
    return Validator(name=name, address=str(document["address"]), pub_key=dict(document["pub_key"]))


def app_state(app: AppKind, orgs: Sequence[FoundingOrg]) -> dict[str, Any]:
    """The application's genesis, one document per module name; nothing for CometBFT's
    kvstore. Governance starts with every resource's default policy, listed."""
    if app == "kvstore":
        return {}
    organizations = [
        {
            "id": org.id,
            "name": org.name,
            "root_certificate": x509.load_der_x509_certificate(org.root_certificate)
            .public_bytes(Encoding.PEM)
            .decode(),
            "nodes": list(org.nodes),
            "validators": [
                {"public_key": v.public_key.hex(), "power": VALIDATOR_POWER} for v in org.validators
            ],
            "members": [
                {
                    "public_key": m.public_key.hex(),
                    "suite": m.public_key.suite.value,
                    "role": m.role.value,
                    "name": m.name,
                }
                for m in org.members
            ],
        }
        for org in orgs
    ]
    # Written out in full so that the genesis shows every rule the network starts with.
    policies = {resource: policy.to_value() for resource, policy in sorted(all_defaults().items())}
    return {
        MEMBERSHIP: {"organizations": organizations},
        GOVERNANCE: {"voting_period": VOTING_PERIOD, "policies": policies},
    }


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
