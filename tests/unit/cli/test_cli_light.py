"""`--prove` through the light client: a proven answer names the verified header's app hash,
and a node answering a header its validators did not sign is named and not trusted."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cornerstone.cli import cli
from cornerstone.cli import common as cli_common
from tests.conftest import genesis
from tests.unit.cli.fake_rpc import FakeRpc


@pytest.fixture
def rpc(monkeypatch: pytest.MonkeyPatch) -> FakeRpc:
    node = FakeRpc.started(genesis())
    monkeypatch.setattr(cli_common, "connect", lambda _home, _node: node.client())
    return node


def test_prove_verifies_the_signed_header(rpc: FakeRpc, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["org", "show", "org2", "--prove", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    after = rpc.light_chain.blocks[rpc.chain.height].header.app_hash
    assert f"verified against app hash {after.hex()}" in result.output


def test_prove_refuses_a_forged_header_and_says_so(rpc: FakeRpc, tmp_path: Path) -> None:
    now = rpc.chain.height
    rpc.forged = {height: b"\x01" * 32 for height in range(now + 1, now + 4)}
    result = CliRunner().invoke(cli, ["org", "show", "org2", "--prove", "--home", str(tmp_path)])
    assert result.exit_code != 0
    assert "(light code 1)" in result.output
    assert "do not trust the node" in result.output
