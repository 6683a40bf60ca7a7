"""Delivery by the nodes on a real four-organization network, driven through the CLI: each
organization's node registers and runs its re-encryption proxy (a `cornerstone data proxy run`
process signed by the organization's admin key, its key file in the node's folder); org1
publishes, grants org2 with `--delegate`, and is not heard from again; org2 requests through its
own node, the proxies answer on chain, org2 fetches and decrypts, and the audit on a third node
shows the receipt of a delivery by proxies."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cornerstone.localnet import Localnet
from cornerstone.localnet.ports import find_free_base_port
from cornerstone.sdk import Client
from tests.network.test_datashare_network import Steps

pytestmark = pytest.mark.network

DATA = b"vessel,eta\nMSC-1,2026-12-03\nCMA-7,2026-12-04\n" * 40
ORGS = (1, 2, 3, 4)
DELIVERY_TIMEOUT = 90.0


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    network = Localnet.create(
        tmp_path_factory.mktemp("datashare-proxies"), orgs=4, base_port=find_free_base_port(4)
    )
    try:
        network.start()
        yield network
    finally:
        network.stop()


def proxy_key_file(net: Localnet, org: int) -> Path:
    return net.node(org).home / "proxy" / "x25519.json"


@pytest.fixture
def proxies(net: Localnet) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Each node's proxy process, registered first; stopped (SIGTERM, then killed) at the end."""
    steps = Steps(net)
    for org in ORGS:
        steps.run(
            org,
            "data",
            "proxy",
            "register",
            "--key",
            f"org{org}-admin",
            "--proxy-key",
            str(proxy_key_file(net, org)),
        )
    for org in ORGS:
        net.wait_for_height(steps.height, timeout=60, nodes=[org])
    started: list[subprocess.Popen[bytes]] = []
    try:
        for org in ORGS:
            log = (net.node(org).home / "proxy.log").open("wb")
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "cornerstone.cli",
                        "data",
                        "proxy",
                        "run",
                        "--key",
                        f"org{org}-admin",
                        "--proxy-key",
                        str(proxy_key_file(net, org)),
                        "--interval",
                        "1",
                        "--home",
                        str(net.home),
                        "--node",
                        net.node(org).rpc_url,
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**os.environ, "CORNERSTONE_HOME": str(net.home)},
                )
            )
            log.close()
        yield started
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_the_nodes_deliver_a_key_while_the_owner_is_offline(
    net: Localnet, proxies: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    steps = Steps(net)
    listed = json.loads(steps.run(3, "data", "proxies", "--json").stdout)
    assert [p["org"] for p in listed] == ["org1", "org2", "org3", "org4"]
    for org in ORGS:
        assert (proxy_key_file(net, org).stat().st_mode & 0o777) == 0o600
    steps.run(1, "data", "keys", "register", "--key", "org1")
    registered = steps.run(2, "data", "keys", "register", "--key", "org2").stdout
    reader = registered.split(" for ")[1].split()[0]
    source = tmp_path / "arrivals.csv"
    source.write_bytes(DATA)
    published = json.loads(
        steps.run(
            1, "data", "publish", str(source), "--title", "arrivals", "--key", "org1", "--json"
        ).stdout
    )
    dataset = published["dataset"]
    granted = steps.run(
        1,
        "data",
        "grant",
        dataset,
        "--org",
        "org2",
        "--purpose",
        "berth planning",
        "--delegate",
        "--key",
        "org1",
    ).stdout
    assert f"delegated grant 1 of {dataset} to {reader}" in granted, granted
    # The owner is offline from here on: nothing below runs as org1.
    steps.run(2, "data", "request", dataset, "--purpose", "berth planning", "--key", "org2")
    wait_for_receipt(net, dataset)
    [receipt] = json.loads(steps.run(2, "data", "audit", "--dataset", dataset, "--json").stdout)
    assert receipt["recipient"] == reader and receipt["delivery"] == "proxies"
    assert receipt["org"] == "org2" and receipt["grant"] == 1
    assert receipt["purpose"] == "berth planning" and receipt["proof"]["verified"] is True
    fetched = tmp_path / "fetched.csv"
    steps.run(2, "data", "fetch", dataset, "--out", str(fetched), "--key", "org2")
    assert fetched.read_bytes() == DATA
    trail = json.loads(steps.run(4, "data", "audit", "--dataset", dataset, "--json").stdout)
    assert [(e["recipient"], e["delivery"]) for e in trail] == [(reader, "proxies")]
    assert all(p.poll() is None for p in proxies), "the proxies keep running"
    for org in ORGS:
        log = (net.node(org).home / "proxy.log").read_text()
        assert DATA.decode() not in log


def wait_for_receipt(net: Localnet, dataset: str) -> None:
    """Until org2's node has the receipt the proxies' threshold fragment wrote (a query in
    this process: cheaper than a command per poll on a loaded machine)."""
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    with Client(net.node(2).rpc_url) as client:
        while not client.query("datashare", "receipts", dataset=bytes.fromhex(dataset)):
            assert time.monotonic() < deadline, "the proxies delivered nothing in time"
            time.sleep(0.5)
