"""Genesis of the did module: the trust lists a network starts with, and, in an exported
state, every DID version, binding and status as the state records themselves.

    {"trust": [{"credential_type": str, "issuer": DID}, ...],
     "records": {"<state key without 'did/', hex>": "<canonical value, hex>", ...}}

Trust lists are written out so that people can write them; the rest is exported record by
record, which recreates the state byte for byte without a second encoding of every record.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cornerstone import encoding
from cornerstone.errors import ConfigError
from cornerstone.module import Reader, Writer
from cornerstone.modules.did.keys import (
    BIND_MEMBER_PREFIX,
    BIND_ORG_PREFIX,
    HEAD_PREFIX,
    NEXT_PREFIX,
    STATUS_PREFIX,
    VERSION_PREFIX,
)
from cornerstone.modules.did.messages import TrustIssuer
from cornerstone.modules.did.state import is_trusted, iter_trusted, put_trust
from cornerstone.types import Height, Timestamp

ROOT: Final = b"did/"
RECORD_PREFIXES: Final = (
    HEAD_PREFIX,
    VERSION_PREFIX,
    BIND_ORG_PREFIX,
    BIND_MEMBER_PREFIX,
    NEXT_PREFIX,
    STATUS_PREFIX,
)


def _parse(document: Mapping[str, Any]) -> tuple[list[TrustIssuer], list[tuple[bytes, bytes]]]:
    unknown = sorted(set(document) - {"trust", "records"})
    if unknown:
        raise ConfigError(reason=f"genesis: the did module has no setting {unknown[0]!r}")
    trust: list[TrustIssuer] = []
    for entry in document.get("trust", []):
        try:
            trust.append(TrustIssuer(str(entry["credential_type"]), str(entry["issuer"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(reason=f"genesis: a did trust entry is malformed ({exc})") from None
    records: list[tuple[bytes, bytes]] = []
    for key_hex, value_hex in sorted(dict(document.get("records", {})).items()):
        try:
            key, value = ROOT + bytes.fromhex(key_hex), bytes.fromhex(value_hex)
            encoding.decode(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(reason=f"genesis: a did record is malformed ({exc})") from None
        if not key.startswith(RECORD_PREFIXES):
            raise ConfigError(reason=f"genesis: {key!r} is not a did record key")
        records.append((key, value))
    return trust, records


def validate(document: Mapping[str, Any]) -> None:
    _parse(document)


def init(state: Writer, document: Mapping[str, Any]) -> None:
    trust, records = _parse(document)
    for entry in trust:
        if not is_trusted(state, entry.credential_type, entry.issuer):
            put_trust(
                state, entry.credential_type, entry.issuer, height=Height(0), time=Timestamp(0)
            )
    for key, value in records:
        state.set(key, value)


def export(state: Reader) -> Mapping[str, Any]:
    records: dict[str, str] = {}
    for prefix in RECORD_PREFIXES:
        for key, value in state.iterate(prefix):
            records[key[len(ROOT) :].hex()] = value.hex()
    trust = [
        {"credential_type": kind, "issuer": issuer} for kind, issuer, _since in iter_trusted(state)
    ]
    return {"trust": trust, "records": dict(sorted(records.items()))}
