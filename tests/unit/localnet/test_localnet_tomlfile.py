"""The config editor changes values in place and refuses what it cannot do safely."""

from __future__ import annotations

import tomllib

import pytest

from cornerstone.errors import ConfigError
from cornerstone.localnet.tomlfile import TOP_LEVEL, format_value, set_values

TEMPLATE = """\
# top-level comment
proxy_app = "tcp://127.0.0.1:26658"
moniker = "laptop"

#######################################################
[rpc]

# TCP or UNIX socket address for the RPC server to listen on
laddr = "tcp://127.0.0.1:26657"
cors_allowed_origins = []
max_body_bytes = 1000000

[p2p]
laddr = "tcp://0.0.0.0:26656"
pex = true
persistent_peers = ""

[consensus]
timeout_commit = "1s"

[instrumentation]
prometheus = false
"""


def test_values_change_in_their_own_section_only() -> None:
    edited = set_values(
        TEMPLATE,
        {
            TOP_LEVEL: {"moniker": "node1"},
            "rpc": {"laddr": "tcp://127.0.0.1:26601"},
            "p2p": {"laddr": "tcp://127.0.0.1:26600", "pex": False},
        },
    )
    parsed = tomllib.loads(edited)
    assert parsed["moniker"] == "node1"
    assert parsed["rpc"]["laddr"] == "tcp://127.0.0.1:26601"
    assert parsed["p2p"]["laddr"] == "tcp://127.0.0.1:26600"
    assert parsed["p2p"]["pex"] is False
    assert parsed["proxy_app"] == "tcp://127.0.0.1:26658"


def test_every_other_line_is_kept_byte_for_byte() -> None:
    edited = set_values(TEMPLATE, {"consensus": {"timeout_commit": "500ms"}})
    before = TEMPLATE.splitlines()
    after = edited.splitlines()
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed == [('timeout_commit = "1s"', 'timeout_commit = "500ms"')]


def test_all_value_kinds_round_trip_through_a_toml_parser() -> None:
    edited = set_values(
        TEMPLATE,
        {
            "rpc": {"cors_allowed_origins": ["http://a", 'quote"d'], "max_body_bytes": 5},
            "p2p": {"persistent_peers": "id@127.0.0.1:1,id2@127.0.0.1:2"},
            "instrumentation": {"prometheus": True},
        },
    )
    parsed = tomllib.loads(edited)
    assert parsed["rpc"]["cors_allowed_origins"] == ["http://a", 'quote"d']
    assert parsed["rpc"]["max_body_bytes"] == 5
    assert parsed["p2p"]["persistent_peers"] == "id@127.0.0.1:1,id2@127.0.0.1:2"
    assert parsed["instrumentation"]["prometheus"] is True


def test_a_key_that_is_not_in_its_section_is_refused() -> None:
    # `pex` exists, but in [p2p], not in [rpc]: a typo must not pass silently.
    with pytest.raises(ConfigError, match=r"rpc\.pex"):
        set_values(TEMPLATE, {"rpc": {"pex": False}})
    with pytest.raises(ConfigError, match="no setting nosuch"):
        set_values(TEMPLATE, {TOP_LEVEL: {"nosuch": 1}})


def test_multi_line_values_are_refused_rather_than_corrupted() -> None:
    text = '[rpc]\ncors_allowed_origins = [\n  "a",\n]\n'
    with pytest.raises(ConfigError, match="spans several lines"):
        set_values(text, {"rpc": {"cors_allowed_origins": []}})


def test_windows_line_endings_are_kept() -> None:
    edited = set_values("[p2p]\r\npex = true\r\n", {"p2p": {"pex": False}})
    assert edited == "[p2p]\r\npex = false\r\n"


@pytest.mark.parametrize(
    ("value", "source"),
    [(True, "true"), (False, "false"), (7, "7"), ("a\\b", '"a\\\\b"'), ([], "[]")],
)
def test_format_value(value: str | int | bool | list[str], source: str) -> None:
    assert format_value(value) == source
