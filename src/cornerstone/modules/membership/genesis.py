"""Genesis of the membership module: the founding organizations, their root certificates,
nodes, validators and registered member keys.

    {"organizations": [{
        "id": "org1", "name": "Organization 1",
        "root_certificate": "<PEM>",
        "nodes": ["<CometBFT node id, 40 hex>"],
        "validators": [{"public_key": "<Ed25519, 64 hex>", "power": 10}],
        "members": [{"public_key": "<hex>", "suite": "ed25519", "role": "client",
                     "name": "client"}]}]}

Validators listed here must be exactly CometBFT's genesis validators (checked at InitChain).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cornerstone.errors import ConfigError, TransactionError
from cornerstone.identity.roles import Role
from cornerstone.module import Reader, Writer
from cornerstone.modules.membership.handlers import check_root
from cornerstone.modules.membership.messages import (
    RegisterMember,
    check_nodes,
    check_org_id,
    member_key_of,
)
from cornerstone.modules.membership.state import (
    ACTIVE,
    Member,
    Organization,
    Validator,
    iter_members,
    iter_orgs,
    iter_validators,
    put_member,
    put_org,
    put_validator,
)
from cornerstone.types import Height


def validate(document: Mapping[str, Any]) -> None:
    orgs = document.get("organizations")
    if not isinstance(orgs, list) or not orgs:
        raise ConfigError(reason="genesis: membership needs a non-empty list 'organizations'")
    seen_orgs: list[str] = []
    seen_keys: list[bytes] = []
    seen_nodes: list[str] = []
    seen_validators: list[bytes] = []
    for org in orgs:
        org_id = org.get("id") if isinstance(org, dict) else None
        where = f"genesis: organization {org_id!r}"
        try:
            if not isinstance(org_id, str):
                raise ValueError("it has no id")
            check_org_id(org_id)
            if org_id in seen_orgs:
                raise ValueError("it is listed twice")
            seen_orgs.append(org_id)
            if not isinstance(org.get("name"), str) or not org["name"]:
                raise ValueError("it has no name")
            check_root(org_id, _der(org.get("root_certificate")))
            nodes = tuple(org.get("nodes", ()))
            check_nodes(nodes)
            seen_nodes.extend(nodes)
            for validator in org.get("validators", ()):
                seen_validators.append(_validator(validator)[0])
            for member in org.get("members", ()):
                parsed = _member(org_id, member)
                seen_keys.append(parsed.public_key.fingerprint)
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(reason=f"{where}: {exc}") from None
        except TransactionError as error:
            raise ConfigError(reason=f"{where}: {error.message}") from None
    for what, seen in (
        ("member key", seen_keys),
        ("node", seen_nodes),
        ("validator key", seen_validators),
    ):
        if len(set(seen)) != len(seen):
            raise ConfigError(reason=f"genesis: a {what} is listed twice")


def check_validators(document: Mapping[str, Any], cometbft: Sequence[tuple[bytes, int]]) -> None:
    """Refuse a genesis whose organizations' validators are not CometBFT's genesis validators."""
    listed = sorted(
        _validator(v) for org in document["organizations"] for v in org.get("validators", ())
    )
    if listed != sorted(cometbft):
        raise ConfigError(
            reason="genesis: the validators the organizations list are not CometBFT's genesis "
            "validators (same Ed25519 keys and powers)"
        )


def init(state: Writer, document: Mapping[str, Any]) -> None:
    for org in document["organizations"]:
        put_org(
            state,
            Organization(
                id=org["id"],
                name=org["name"],
                root=_der(org["root_certificate"]),
                nodes=tuple(sorted(org.get("nodes", ()))),
                status=ACTIVE,
                since=Height(0),
            ),
        )
        for validator in org.get("validators", ()):
            key, power = _validator(validator)
            put_validator(state, Validator(key, org["id"], power), announce=False)
        for member in org.get("members", ()):
            put_member(state, _member(org["id"], member))


def export(state: Reader) -> Mapping[str, Any]:
    members: dict[str, list[dict[str, Any]]] = {}
    for member in iter_members(state):
        members.setdefault(member.org, []).append(
            {
                "public_key": member.public_key.hex(),
                "suite": member.public_key.suite.value,
                "role": member.role.value,
                "name": member.name,
            }
        )
    validators: dict[str, list[dict[str, Any]]] = {}
    for validator in iter_validators(state):
        validators.setdefault(validator.org, []).append(
            {"public_key": validator.public_key.hex(), "power": validator.power}
        )
    return {
        "organizations": [
            {
                "id": org.id,
                "name": org.name,
                "root_certificate": _pem(org.root),
                "nodes": list(org.nodes),
                "validators": validators.get(org.id, []),
                "members": members.get(org.id, []),
            }
            for org in iter_orgs(state)
            if org.active
        ]
    }


def _der(pem: object) -> bytes:
    if not isinstance(pem, str):
        raise ValueError("its 'root_certificate' is not a PEM text")
    try:
        return x509.load_pem_x509_certificate(pem.encode()).public_bytes(Encoding.DER)
    except ValueError as exc:
        raise ValueError(f"its root certificate is not PEM: {exc}") from None


def _pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode()


def _validator(value: object) -> tuple[bytes, int]:
    if not isinstance(value, dict):
        raise ValueError("a validator is {'public_key': hex, 'power': int}")
    key = bytes.fromhex(str(value.get("public_key", "")))
    power = value.get("power")
    if len(key) != 32 or not isinstance(power, int) or power <= 0:
        raise ValueError("a validator is a 32-byte Ed25519 key in hex and a positive power")
    return key, power


def _member(org_id: str, value: object) -> Member:
    if not isinstance(value, dict):
        raise ValueError("a member is {'public_key', 'suite', 'role', 'name'}")
    message = RegisterMember(
        org=org_id,
        public_key=bytes.fromhex(str(value.get("public_key", ""))),
        role=str(value.get("role", Role.CLIENT.value)),
        name=str(value.get("name", "member")),
        suite=str(value.get("suite", "ed25519")),
    )
    return Member(
        public_key=member_key_of(message.public_key, message.suite),
        org=org_id,
        role=Role(message.role),
        name=message.name,
    )
