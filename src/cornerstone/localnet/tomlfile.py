"""A small, section-aware editor for the config.toml that `cometbft init` writes.

It changes the values of keys that are already there and keeps every other line, comment and
blank as it was, so the file stays CometBFT's own documented template. It is not a TOML parser:
it knows `[section]` headers and single-line `key = value` pairs, which is all CometBFT's
template uses, and it refuses anything else it would have to touch.

    set_values(text, {"": {"moniker": "node1"}, "p2p": {"pex": False}})
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from cornerstone.errors import ConfigError

TomlValue = str | int | bool | Sequence[str]
"""The kinds of value we write: strings, integers, booleans and arrays of strings."""

TOP_LEVEL = ""
"""The section name of the keys before the first `[section]` header."""

_SECTION = re.compile(r"\s*\[([A-Za-z0-9_.-]+)\]\s*(#.*)?")
_KEY = re.compile(r"(\s*)([A-Za-z0-9_-]+)\s*=\s*(.*)")


def format_value(value: TomlValue) -> str:
    """`value` as TOML source. JSON's string escapes are valid in TOML basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(json.dumps(item) for item in value) + "]"


def set_values(text: str, settings: Mapping[str, Mapping[str, TomlValue]]) -> str:
    """`text` with each `settings[section][key]` replaced; every key must exist already."""
    pending = {(section, key) for section, values in settings.items() for key in values}
    section = TOP_LEVEL
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.lstrip().startswith("[["):
            raise ConfigError(
                reason=f"config line {number + 1}: arrays of tables are not supported"
            )
        header = _SECTION.fullmatch(line.rstrip("\r\n"))
        if header:
            section = header.group(1)
            continue
        pair = _KEY.fullmatch(line.rstrip("\r\n"))
        if pair is None or (section, pair.group(2)) not in pending:
            continue
        indent, key, old = pair.groups()
        if _spans_lines(old):
            raise ConfigError(reason=f"config line {number + 1}: {key} spans several lines")
        ending = line[len(line.rstrip("\r\n")) :]
        lines[number] = f"{indent}{key} = {format_value(settings[section][key])}{ending}"
        pending.discard((section, key))
    if pending:
        missing = ", ".join(sorted(_dotted(section, key) for section, key in pending))
        raise ConfigError(reason=f"the config file has no setting {missing}")
    return "".join(lines)


def _spans_lines(value: str) -> bool:
    stripped = value.strip()
    if stripped.startswith(('"""', "'''")):
        return True
    return stripped.startswith("[") and "]" not in stripped


def _dotted(section: str, key: str) -> str:
    return f"{section}.{key}" if section else key
