"""A real four-validator network of cometbft and application processes on 127.0.0.1: every
transaction commits everywhere, a stopped validator catches up, and a node killed with SIGKILL
under load comes back with the same state as the others."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from cornerstone.crypto import load_key
from cornerstone.errors import ClientError, TransactionRejectedError
from cornerstone.localnet import Localnet, NodeSpec
from cornerstone.localnet.ports import find_free_base_port
from cornerstone.modules.notary.keys import doc_key
from cornerstone.sdk import Call, Client, Committed, Signer
from cornerstone.tx import Transaction
from tests.unit.test_metrics import Family, parse, value_of

pytestmark = pytest.mark.network


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    home = tmp_path_factory.mktemp("net")
    network = Localnet.create(home, orgs=4, base_port=find_free_base_port(4))
    try:
        network.start()
        yield network
    finally:
        network.stop()


_clients: list[Client] = []
"""Clients the current test opened through `signer_for`; closed when it ends."""


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _clients:
        _clients.pop().close()


def signer_for(net: Localnet, org_index: int, via_node: int) -> Signer:
    """Organization `org_index`'s key, sending through node `via_node`."""
    client = Client(net.node(via_node).rpc_url)
    _clients.append(client)
    return Signer(client, load_key(net.key_file(org_index)))


def anchor(signer: Signer, label: str) -> tuple[Transaction, bytes]:
    digest = hashlib.sha256(label.encode()).digest()
    return signer.sign("notary", "anchor", {"digest": digest, "metadata": {"l": label}}), digest


def top_height(net: Localnet) -> int:
    """The highest height any answering node reports."""
    return max(status.height or 0 for status in net.status())


def assert_all_agree(net: Localnet) -> int:
    """Wait for a height every node has passed; all headers there carry the same app hash."""
    target = top_height(net) + 1
    net.wait_for_height(target, timeout=60)
    hashes = net.app_hashes(target)
    assert len(set(hashes.values())) == 1, hashes
    return target


def app_metrics(node: NodeSpec) -> dict[str, Family]:
    """What the node's application shows at its /metrics."""
    with httpx.Client(trust_env=False, timeout=30) as http:
        answer = http.get(node.metrics_url)
    assert answer.status_code == 200, answer.text
    return parse(answer.text)


def anchors_committed(node: NodeSpec) -> float:
    """Successful notary transactions the node's application has committed since it started."""
    family = app_metrics(node)["cornerstone_app_transactions_total"]
    return sum(
        value
        for _, labels, value in family.samples
        if labels == {"module": "notary", "codespace": "", "code": "0"}
    )


def test_500_transactions_from_four_organizations_commit_on_every_node(net: Localnet) -> None:
    counted_before = [anchors_committed(node) for node in net.nodes]
    signers = [signer_for(net, i, via_node=i) for i in range(1, 5)]
    sent: list[tuple[Signer, Transaction, bytes]] = []
    for n in range(125):
        for i, signer in enumerate(signers, start=1):
            tx, digest = anchor(signer, f"bulk/org{i}/{n}")
            signer.client.broadcast(tx)
            sent.append((signer, tx, digest))
    heights = {signer.client.wait_for_commit(tx.hash, timeout=120).height for signer, tx, _ in sent}
    assert len(sent) == 500 and heights
    agreed = assert_all_agree(net)
    # Each application's /metrics counts exactly the 500 it committed, at the network's height.
    for node, before in zip(net.nodes, counted_before, strict=True):
        assert anchors_committed(node) - before == 500, node.name
        metrics = app_metrics(node)
        assert value_of(metrics["cornerstone_app_height"], "cornerstone_app_height") >= agreed
        checks = metrics["cornerstone_app_check_tx_total"]
        assert sum(v for _, labels, v in checks.samples if labels["type"] == "new") >= 125
    # Every node holds the documents, proven against its own headers.
    for node in net.nodes:
        with Client(node.rpc_url) as client:
            for _, _, digest in sent[::50]:
                assert client.read_verified(doc_key(digest)).value is not None
            missing = [d for _, _, d in sent if client.read(doc_key(d)) is None]
            assert not missing, f"{node.name} lacks {len(missing)} documents"
    for signer in signers:
        signer.client.close()


def test_a_batch_from_one_signer_commits_in_a_few_blocks_around_a_refused_call(
    net: Localnet,
) -> None:
    signer = signer_for(net, 2, via_node=2)
    before = signer.client.next_nonce(signer.key.public_key.fingerprint)
    calls = [
        Call("notary", "anchor", {"digest": hashlib.sha256(b"batch/%d" % n).digest()})
        for n in range(40)
    ]
    # Refused by CheckTx while 20 of the batch wait in the mempool: the next call must take
    # its nonce, not the chain's (which those 20 have not advanced yet).
    calls.insert(20, Call("notary", "anchor", {"digest": b"not a digest"}))
    outcomes = signer.submit_many(calls, timeout=120)
    refused = outcomes.pop(20)
    assert isinstance(refused, TransactionRejectedError), refused
    committed = [o for o in outcomes if isinstance(o, Committed)]
    assert len(committed) == 40, [o for o in outcomes if not isinstance(o, Committed)]
    heights = [c.height for c in committed]
    assert heights == sorted(heights)
    assert len(set(heights)) <= 10, "one at a time, 40 transactions take 40 blocks"
    assert signer.client.next_nonce(signer.key.public_key.fingerprint) == before + 40


def test_the_chain_keeps_committing_without_one_validator_which_then_catches_up(
    net: Localnet,
) -> None:
    net.stop_node(4)
    try:
        start = top_height(net)
        net.wait_for_height(start + 3, timeout=60, nodes=[1, 2, 3])
        signer = signer_for(net, 4, via_node=1)
        with signer.client:
            digests = []
            for n in range(10):
                tx, digest = anchor(signer, f"while-node4-down/{n}")
                signer.client.broadcast(tx)
                digests.append((tx, digest))
            for tx, _ in digests:
                signer.client.wait_for_commit(tx.hash, timeout=60)
    finally:
        net.start_node(4)
    assert_all_agree(net)
    with Client(net.node(4).rpc_url) as node4:
        for _, digest in digests:
            assert node4.read_verified(doc_key(digest)).value is not None


class Load:
    """Sends anchors from several organizations through nodes that stay up, until stopped;
    remembers every transaction a mempool accepted."""

    def __init__(self, net: Localnet, routes: list[tuple[int, int]], label: str) -> None:
        self.signers = [signer_for(net, org, via_node=node) for org, node in routes]
        self.label = label
        self.accepted: list[tuple[Signer, Transaction, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Load:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set() and n < 2000:
            for signer in self.signers:
                try:  # signing reads the next nonce from the node, which may be down too
                    tx, digest = anchor(signer, f"{self.label}/{signer.key.public_key.hex()}/{n}")
                    signer.client.broadcast(tx)
                except (TransactionRejectedError, ClientError):
                    signer._nonce = None
                    continue
                self.accepted.append((signer, tx, digest))
            n += 1
            time.sleep(0.02)

    def wait_until_accepted(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            assert time.monotonic() < deadline, f"only {len(self.accepted)} transactions sent"
            time.sleep(0.05)


def _recovers_with_every_committed_transaction(net: Localnet, victim: int, crash: str) -> None:
    others = [i for i in range(1, 5) if i != victim]
    routes = [(org, others[(org - 1) % len(others)]) for org in range(1, 5)]
    with Load(net, routes, label=f"{crash}-{victim}") as load:
        load.wait_until_accepted(40, timeout=60)
        getattr(net, crash)(victim)
        load.wait_until_accepted(len(load.accepted) + 40, timeout=60)
        net.start_node(victim)
        load.wait_until_accepted(len(load.accepted) + 40, timeout=60)
    committed = [
        digest for signer, tx, digest in load.accepted if signer.client.wait_for_commit(tx.hash)
    ]
    assert len(committed) >= 120
    assert_all_agree(net)
    with Client(net.node(victim).rpc_url) as client:
        missing = [d for d in committed if client.read(doc_key(d)) is None]
    assert not missing, f"node {victim} lost {len(missing)} committed transactions"
    for signer in load.signers:
        signer.client.close()


def test_an_application_killed_under_load_recovers(net: Localnet) -> None:
    _recovers_with_every_committed_transaction(net, victim=2, crash="kill_app")


def test_a_cometbft_killed_under_load_recovers(net: Localnet) -> None:
    _recovers_with_every_committed_transaction(net, victim=3, crash="kill_cometbft")


def test_the_logs_are_json_lines_without_a_secret(net: Localnet) -> None:
    """Every line our processes logged through this module's run (crashes included) is one
    JSON object with its four fields, and no log holds a token or a private key."""
    secrets = {}
    for key_file in sorted((net.home / "keys").glob("*.json")):
        secrets[key_file.name] = json.loads(key_file.read_text())["private_key"]
    for node in net.nodes:
        for token in (node.console_token_file, node.blob_token_file):
            if token.is_file():
                secrets[f"{node.name}/{token.name}"] = token.read_text().strip()
        validator = json.loads(
            (node.cometbft_home / "config" / "priv_validator_key.json").read_text()
        )
        secrets[f"{node.name} validator"] = validator["priv_key"]["value"]
    assert all(len(secret) >= 32 for secret in secrets.values()), "secrets found"
    committed = 0
    for node in net.nodes:
        for log_file in sorted(node.home.glob("*.log")):
            text = log_file.read_text()
            for name, secret in secrets.items():
                assert secret not in text, f"{log_file} holds {name}"
            if log_file.name not in ("app.log", "gateway.log"):
                continue  # CometBFT's own format
            for line in text.splitlines():
                if line.startswith("--- "):  # the localnet's marker of each start
                    continue
                document = json.loads(line)
                assert {"ts", "level", "logger", "msg"} <= set(document), line
                committed += document["msg"].startswith("committed block")
    assert committed > 0, "the applications log each committed block"
