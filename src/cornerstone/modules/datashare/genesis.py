"""Genesis of the datashare module: a chain usually starts with no datasets; an exported state
carries the module's records verbatim, so it seeds a new chain with every dataset, grant and
receipt as it was.

    {"records": {"<state key, hex>": "<canonical value, hex>", ...}}

Each key must lie under "datashare/" and each value must decode; the invariants then hold the
records to the module's rules (the tests run them after genesis like after every block).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cornerstone import encoding
from cornerstone.errors import ConfigError
from cornerstone.module import Reader, Writer
from cornerstone.modules.datashare.keys import BY_RECIPIENT_PREFIX, MODULE_PREFIX


def _parse(document: Mapping[str, Any]) -> list[tuple[bytes, bytes]]:
    unknown = sorted(set(document) - {"records"})
    if unknown:
        raise ConfigError(reason=f"genesis: datashare has no setting {unknown[0]!r}")
    records = document.get("records", {})
    if not isinstance(records, dict):
        raise ConfigError(reason="genesis: datashare records are a map of hex keys to hex values")
    parsed = []
    for key_hex, value_hex in sorted(records.items()):
        try:
            key, value = bytes.fromhex(key_hex), bytes.fromhex(value_hex)
            if not key.startswith(MODULE_PREFIX):
                raise ValueError("the key is not under datashare/")
            if not key.startswith(BY_RECIPIENT_PREFIX):
                encoding.decode(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(reason=f"genesis: datashare record {key_hex!r}: {exc}") from None
        parsed.append((key, value))
    return parsed


def validate(document: Mapping[str, Any]) -> None:
    _parse(document)


def init(state: Writer, document: Mapping[str, Any]) -> None:
    for key, value in _parse(document):
        state.set(key, value)


def export(state: Reader) -> Mapping[str, Any]:
    return {"records": {key.hex(): value.hex() for key, value in state.iterate(MODULE_PREFIX)}}
