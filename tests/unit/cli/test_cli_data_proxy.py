"""`cornerstone data` delivery by the nodes, as organizations run it against the real
application behind an in-memory node: proxies register and answer (`proxy run --once`), the
owner grants with `--delegate` and is not used again, the reader fetches; nothing printed or
stored holds the plaintext or a key."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest

from cornerstone.cli.data import enckey_path
from cornerstone.cli.data_proxy import umbral_path
from cornerstone.datashare import load_encryption_key
from cornerstone.datashare.delegation import load_umbral_keys
from tests.conftest import ORGS
from tests.unit.cli.test_cli_data import (  # noqa: F401 - pytest finds the `net` fixture here
    Net,
    net_fixture,
    published,
)

DATA = b"berth,vessel\nB-1,MSC-1\nB-2,CMA-7\n" * 25


def proxy_file(net: Net, org: str) -> Path:
    return net.home / f"node{org[-1]}" / "proxy" / "x25519.json"


def test_the_nodes_deliver_what_the_owner_delegated(
    net: Net, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "no proxies registered" in net.ok("data proxies")
    for org in ORGS:
        out = net.ok(f"data proxy register --key {org}-admin --proxy-key {proxy_file(net, org)}")
        assert f"registered the re-encryption proxy of {org}" in out
        assert stat.S_IMODE(proxy_file(net, org).stat().st_mode) == 0o600
    listed = json.loads(net.ok("data proxies --json"))
    assert [p["org"] for p in listed] == list(ORGS)
    net.ok("data keys register --key org1")
    registered = net.ok("data keys register --key org2")
    assert "created Umbral keys" in registered
    assert stat.S_IMODE(umbral_path(net.home, "org2").stat().st_mode) == 0o600
    reader = re.findall(r"for ([0-9a-f]{64})", registered)[0]
    source = tmp_path / "berths.csv"
    source.write_bytes(DATA)
    store = tmp_path / "store"
    dataset = published(net.ok(f"data publish {source} --title berths --key org1 --store {store}"))
    granted = net.ok(f"data grant {dataset} --org org2 --purpose planning --delegate --key org1")
    assert f"delegated grant 1 of {dataset} to {reader}" in granted
    # The owner is offline from here on.
    net.ok(f"data request {dataset} --purpose planning --key org2")
    target = tmp_path / "out.csv"
    error = net.fails(f"data fetch {dataset} --out {target} --key org2", capsys)
    assert "step 3 (key release) failed" in error and not target.exists()
    assert "1 request(s) answered" in net.ok(
        f"data proxy run --once --key org1-admin --proxy-key {proxy_file(net, 'org1')}"
    )
    error = net.fails(f"data fetch {dataset} --out {target} --key org2", capsys)
    assert "1 capsule fragment(s)" in error and "3 are needed" in error
    for org in ("org2", "org3"):
        net.ok(f"data proxy run --once --key {org}-admin --proxy-key {proxy_file(net, org)}")
    assert "0 request(s) answered" in net.ok(
        f"data proxy run --once --key org4-admin --proxy-key {proxy_file(net, 'org4')}"
    )
    net.ok(f"data fetch {dataset} --out {target} --key org2")
    assert target.read_bytes() == DATA
    [entry] = json.loads(net.ok(f"data audit --dataset {dataset} --json"))
    assert entry["delivery"] == "proxies" and entry["recipient"] == reader

    secrets = [DATA.decode()]
    for org in ("org1", "org2"):
        secrets.append(load_umbral_keys(umbral_path(net.home, org))._seed.hex())
        secrets.append(bytes(load_encryption_key(enckey_path(net.home, org))._private).hex())
    for org in ORGS:
        secrets.append(json.loads(proxy_file(net, org).read_text())["private_key"])
    printed = "\n".join(net.outputs)
    for secret in secrets:
        assert secret not in printed


def test_delegating_without_proxies_says_so(
    net: Net, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    net.ok("data keys register --key org1")
    net.ok("data keys register --key org2")
    source = tmp_path / "berths.csv"
    source.write_bytes(DATA)
    dataset = published(
        net.ok(f"data publish {source} --title berths --key org1 --store {tmp_path / 's'}")
    )
    net.ok(f"data grant {dataset} --org org2 --purpose planning --key org1")
    error = net.fails(f"data delegate {dataset} 1 --key org1", capsys)
    assert "no proxy is registered" in error
    error = net.fails(
        f"data proxy run --once --key org1-admin --proxy-key {proxy_file(net, 'org1')}", capsys
    )
    assert "there is no such file" in error
