"""The web console in a real headless Chromium (Debian's package, driven by Playwright) against
a real four-organization network: every page shows the network's own data, a notarized
document is found by search and followed from its transaction to its block, an admin votes
from the governance page with the key its organization manages, a live update arrives without
a reload, and the module pages show what the CLI just did: a notary anchor in the list, a
dataset with its grant and receipt, a DID with its document and a revoked status. Screenshots
of each page go to .artifacts/console/."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from cornerstone.crypto import load_key
from cornerstone.localnet import Localnet
from cornerstone.localnet.ports import find_free_base_port
from cornerstone.sdk import Client, Signer

pytestmark = pytest.mark.network

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    # As this machine's Chromium needs them: no sandbox as root, no GPU, and no calls home,
    # which the closed network would refuse many at a time.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "console"
WAIT_MS = 20_000
"""How long a page may take to show what the test waits for."""
TIMEOUT = 30.0
GAS = 1_000_000
DIGITS = re.compile(r"^\d+$")
FINGERPRINT = re.compile(r"^([0-9a-f]{2}:){31}[0-9a-f]{2}$")
"""A certificate's SHA-256, as the organization page shows it."""


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Localnet]:
    network = Localnet.create(
        tmp_path_factory.mktemp("console"), orgs=4, base_port=find_free_base_port(4)
    )
    try:
        network.start()
        for node in network.nodes:
            url = node.gateway_url
            wait_for(f"{node.name}'s gateway to be healthy", lambda: healthy(url))  # noqa: B023
        yield network
    finally:
        network.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup`, which installs Debian's chromium")
    playwright: Playwright = sync_playwright().start()
    try:
        # A fresh, temporary profile for each launch: Playwright makes and removes it.
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield launched
        finally:
            launched.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
    finally:
        context.close()
    assert not errors, f"the console threw: {errors}"


def healthy(gateway_url: str) -> bool:
    try:
        answer = httpx.get(f"{gateway_url}/healthz", timeout=5, trust_env=False)
    except httpx.HTTPError:
        return False
    return answer.status_code == 200


def wait_for(what: str, check: Callable[[], bool], *, timeout: float = TIMEOUT) -> None:
    """Poll `check()` until it is truthy; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout:g} s"
        time.sleep(0.1)


def indexed(gateway_url: str, tx_hash: str) -> bool:
    answer = httpx.get(f"{gateway_url}/v1/transactions/{tx_hash}", timeout=5, trust_env=False)
    return answer.status_code == 200


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def anchor(net: Localnet, org: int, text: str) -> tuple[str, str, int]:
    """Org `org`'s client anchors a digest: (digest hex, tx hash hex, height)."""
    digest = hashlib.sha256(f"{text} {time.time_ns()}".encode()).digest()
    with Client(net.node(org).rpc_url) as client:
        done = Signer(client, load_key(net.key_file(org))).submit(
            "notary", "anchor", {"digest": digest, "metadata": {"title": text}}
        )
    return digest.hex(), done.hash.hex(), done.height


def test_every_page_shows_the_networks_own_data(net: Localnet, page: Page) -> None:
    gateway = net.node(1).gateway_url
    page.goto(gateway + "/")
    expect(page).to_have_url(f"{gateway}/console")
    expect(page.locator("#height")).to_have_text(DIGITS)
    expect(page.locator("#validators tbody tr")).to_have_count(4)
    for org in ("org1", "org2", "org3", "org4"):
        expect(page.locator("#validators")).to_contain_text(org)
    expect(page.locator("#nodes tbody tr")).to_have_count(4)
    expect(page.locator("svg.chart")).to_have_count(2)
    shot(page, "overview")

    page.goto(gateway + "/console#/blocks")
    first = page.locator("#blocks tbody tr").first.locator("a").first
    expect(first).to_have_text(DIGITS)
    height = first.inner_text()
    shot(page, "blocks")
    first.click()
    expect(page.locator("#block-height")).to_have_text(height)
    shot(page, "block")

    page.goto(gateway + "/console#/orgs")
    rows = page.locator("#orgs tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#orgs")).to_contain_text("Organization 3")
    shot(page, "organizations")
    page.locator("#orgs a", has_text="org2").click()
    expect(page.locator("#members")).to_contain_text("admin")
    expect(page.locator("#members")).to_contain_text("client")
    expect(page.locator("#root-fingerprint")).to_have_text(FINGERPRINT)
    shot(page, "organization")

    page.goto(gateway + "/console#/contracts")
    expect(page.locator("#view h1")).to_have_text("Contracts")
    expect(page.locator("#view")).to_contain_text("No contracts installed yet.")


def test_a_notarized_document_is_searched_and_followed_to_its_block(
    net: Localnet, page: Page
) -> None:
    digest, tx_hash, height = anchor(net, 1, "bill of lading 42")
    gateway = net.node(1).gateway_url
    wait_for("node1's gateway to index the anchor", lambda: indexed(gateway, tx_hash))
    page.goto(gateway + "/console")
    page.fill("#search-input", tx_hash)
    page.press("#search-input", "Enter")
    expect(page.locator("#tx-hash")).to_have_text(tx_hash)
    expect(page.locator("#tx-events")).to_contain_text("notary.anchored")
    shot(page, "transaction")
    page.click("#tx-block-link")
    expect(page.locator("#block-height")).to_have_text(str(height))
    expect(page.locator(f'#block-txs a[href="#/txs/{tx_hash}"]')).to_be_visible()
    assert page.url.endswith(f"#/blocks/{height}")

    page.fill("#search-input", digest)
    page.press("#search-input", "Enter")  # not a transaction: the notary's digest
    expect(page.locator("#notary-result")).to_contain_text("org1")
    expect(page.locator("#notary-result")).to_contain_text(str(height))
    shot(page, "notary")


def test_an_admin_votes_from_the_governance_page(net: Localnet, page: Page) -> None:
    with Client(net.node(1).rpc_url) as client:
        proposed = Signer(client, load_key(net.admin_key_file(1))).submit(
            "governance",
            "propose",
            {
                "module": "governance",
                "action": "set_param",
                "args": {"name": "voting_period", "value": 60},
                "title": "Longer votes",
            },
            gas_limit=GAS,
        )
    [proposal] = [
        int(a["proposal"]) for kind, a in proposed.events if kind == "governance.proposed"
    ]
    with Client(net.node(3).rpc_url) as client:  # org1 and org3 approve: one short of most
        voted = Signer(client, load_key(net.admin_key_file(3))).submit(
            "governance", "vote", {"proposal": proposal, "approve": True}, gas_limit=GAS
        )

    node2 = net.node(2)
    # The vote committed through node3; node2's gateway indexes it a moment later.
    wait_for(
        "node2's gateway indexes org3's vote", lambda: indexed(node2.gateway_url, voted.hash.hex())
    )
    token = node2.console_token_file.read_text().strip()
    page.goto(node2.gateway_url + "/console#/governance")
    row = page.locator("#proposals tbody tr", has_text=f"Proposal {proposal}")
    expect(row).to_contain_text("open")
    expect(row).to_contain_text("2 approve")
    shot(page, "governance")
    row.locator("a", has_text=f"Proposal {proposal}").click()
    expect(page.locator("#proposal-status")).to_have_text("open")
    page.fill("#token-input", token)
    page.click("#token-form button[type=submit]")
    approve = page.locator('button[data-vote="approve"]')
    expect(approve).to_have_text("Approve as org2-admin")
    shot(page, "proposal-open")
    approve.click()
    expect(page.locator("#proposal-status")).to_have_text("executed")
    expect(page.locator("#votes tbody tr")).to_have_count(3)
    expect(page.locator("#votes")).to_contain_text("org2")
    shot(page, "proposal-executed")
    with Client(node2.rpc_url) as client:
        params = client.query("governance", "params")
    assert isinstance(params, dict) and params["voting_period"] == 60


def test_an_installed_contract_is_listed_with_its_source(net: Localnet, page: Page) -> None:
    source = (EXAMPLES / "asset_registry.py").read_text()
    args = {"name": "registry", "version": "1.0", "source": source, "org": "org1"}
    with Client(net.node(1).rpc_url) as client:
        proposed = Signer(client, load_key(net.admin_key_file(1))).submit(
            "governance",
            "propose",
            {"module": "contracts", "action": "install", "args": args},
            gas_limit=GAS,
        )
    [proposal] = [
        int(a["proposal"]) for kind, a in proposed.events if kind == "governance.proposed"
    ]
    for index in (3, 4):
        with Client(net.node(index).rpc_url) as client:
            Signer(client, load_key(net.admin_key_file(index))).submit(
                "governance", "vote", {"proposal": proposal, "approve": True}, gas_limit=GAS
            )
    page.goto(net.node(4).gateway_url + "/console#/contracts")
    row = page.locator("#contracts tbody tr", has_text="registry")
    expect(row).to_contain_text("active")
    shot(page, "contracts")
    row.locator("a", has_text="registry").click()
    expect(page.locator("#view h1")).to_have_text("Contract registry 1.0")
    expect(page.locator("#contract-source")).to_contain_text("def register(asset: str")
    expect(page.locator("#view table").first).to_contain_text("held_by")
    shot(page, "contract")


def test_a_wrong_token_is_refused_on_the_page(net: Localnet, page: Page) -> None:
    page.goto(net.node(4).gateway_url + "/console#/admin")
    page.fill("#token-input", "not-the-token")
    page.click("#token-form button[type=submit]")
    expect(page.locator("#admin-panel .error")).to_contain_text("console token is wrong")


def test_a_live_update_arrives_without_a_reload(net: Localnet, page: Page) -> None:
    gateway = net.node(3).gateway_url
    page.goto(gateway + "/console")
    expect(page.locator("#live")).to_contain_text("live")
    expect(page.locator("#height")).to_have_text(DIGITS)
    page.evaluate("window.__sameDocument = true")
    _, tx_hash, height = anchor(net, 2, "live update")
    expect(page.locator(f'#latest-txs a[href="#/txs/{tx_hash}"]')).to_be_visible()
    expect(page.locator(f'#latest-blocks a[href="#/blocks/{height}"]')).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True, "the page was not reloaded"
    shot(page, "live-update")


def cli(net: Localnet, org: int, *args: str) -> str:
    """The real `cornerstone` command in a child process, through organization `org`'s node;
    its standard output."""
    where = ["--home", str(net.home), "--node", net.node(org).rpc_url]
    result = subprocess.run(
        [sys.executable, "-m", "cornerstone.cli", *args, *where],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CORNERSTONE_HOME": str(net.home)},
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def answers(url: str, check: Callable[[Any], bool]) -> bool:
    """Whether GET `url` answers 200 with JSON that passes `check`."""
    answer = httpx.get(url, timeout=5, trust_env=False)
    return answer.status_code == 200 and check(answer.json())


def test_the_notary_page_lists_anchors_and_looks_one_up(net: Localnet, page: Page) -> None:
    digest, tx_hash, height = anchor(net, 2, "anchored for the list")
    gateway = net.node(1).gateway_url
    wait_for("node1's gateway to index the anchor", lambda: indexed(gateway, tx_hash))
    page.goto(gateway + "/console#/notary")
    row = page.locator("#anchors tbody tr", has_text=digest[:16])
    expect(row).to_contain_text("org2")
    expect(row).to_contain_text(str(height))
    shot(page, "notary-anchors")
    row.locator("a", has_text=digest[:16]).click()
    expect(page.locator("#notary-result")).to_contain_text(digest)
    expect(page.locator("#notary-result")).to_contain_text("anchored for the list")


def test_the_data_sharing_pages_show_a_dataset_its_grant_and_receipt(
    net: Localnet, page: Page, tmp_path: Path
) -> None:
    for org in (1, 2):
        cli(net, org, "data", "keys", "register", "--key", f"org{org}")
    source = tmp_path / "readings.csv"
    source.write_bytes(b"meter,kwh\nM-1,120\n")
    publish = ["data", "publish", str(source), "--title", "console readings", "--key", "org1"]
    dataset = json.loads(cli(net, 1, *publish, "--json"))["dataset"]
    cli(net, 1, "data", "grant", dataset, "--org", "org2", "--purpose", "billing", "--key", "org1")
    cli(net, 2, "data", "request", dataset, "--purpose", "billing", "--key", "org2")
    assert cli(net, 1, "data", "deliver", "--key", "org1").startswith(f"released {dataset} v1")
    gateway = net.node(4).gateway_url
    wait_for(
        "node4 to know the receipt",
        lambda: answers(
            f"{gateway}/v1/modules/datashare/receipts?dataset={dataset}",
            lambda found: bool(found["value"]),
        ),
    )

    page.goto(gateway + "/console#/data")
    row = page.locator("#datasets tbody tr", has_text="console readings")
    expect(row).to_contain_text("org1")
    shot(page, "data")
    row.locator("a").first.click()
    expect(page.locator("#dataset-title")).to_have_text("console readings")
    expect(page.locator("#dataset-versions tbody tr")).to_have_count(1)
    expect(page.locator("#dataset-grants")).to_contain_text("org2")
    expect(page.locator("#dataset-grants")).to_contain_text("active")
    receipts = page.locator("#dataset-receipts tbody tr")
    expect(receipts).to_have_count(1)
    expect(receipts).to_contain_text("billing")
    expect(receipts).to_contain_text("org2")
    shot(page, "dataset")


def test_the_identity_pages_show_a_did_its_document_and_a_revocation(
    net: Localnet, page: Page, tmp_path: Path
) -> None:
    did = cli(net, 3, "did", "create", "--key", "org3", "--name", "console").splitlines()[0]
    subject = tmp_path / "subject.json"
    subject.write_text(json.dumps({"id": "did:example:someone"}))
    credential = tmp_path / "credential.json"
    issue = ["vc", "issue", "--key", "org3", "--issuer", did, "--type", "ExampleCredential"]
    cli(net, 3, *issue, "--subject", str(subject), "--out", str(credential))
    index = int(json.loads(credential.read_text())["credentialStatus"][0]["statusListIndex"])
    cli(net, 3, "vc", "revoke", str(credential), "--key", "org3")
    gateway = net.node(1).gateway_url
    wait_for(
        "node1's gateway to index the revocation",
        lambda: answers(
            f"{gateway}/v1/events?type=did.status_revoked",
            lambda events: any(e["attributes"]["issuer"] == did for e in events["items"]),
        ),
    )

    page.goto(gateway + "/console#/identity")
    row = page.locator("#dids tbody tr", has_text=did)
    expect(row).to_contain_text("org3")
    expect(page.locator("#status-changes")).to_contain_text(did)
    shot(page, "identity")
    row.locator("a", has_text=did).click()
    expect(page.locator("#did-id")).to_have_text(did)
    expect(page.locator("#did-document")).to_contain_text(f'"id": "{did}"')
    expect(page.locator("#did-document")).to_contain_text("publicKeyMultibase")
    expect(page.locator("#did-history tbody tr")).to_have_count(1)
    revocation = page.locator("#status-lists tbody tr", has_text="revocation")
    expect(revocation).to_contain_text(f"1: {index}")
    expect(page.locator("#status-lists tbody tr", has_text="suspension")).to_contain_text("none")
    shot(page, "did")
