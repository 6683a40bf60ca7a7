"""The console of a gateway started with `--auth required`, in a real headless Chromium against
a real two-organization network. Before sign-in the event stream is refused and the page says
so; signed in with the console token it follows the stream (read with fetch, the token in a
header and never in a URL) and shows a transaction committed through the other organization's
node without a reload. When its gateway restarts (with a new token) and the admin signs in
again, the stream resumes after the last event the page handled: the events committed while
the gateway was down arrive, in order, none twice. Screenshots go to .artifacts/console/."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Request, expect, sync_playwright

from cornerstone.localnet import Localnet
from tests.network.conftest import LocalnetFactory
from tests.network.test_console import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    DIGITS,
    anchor,
    healthy,
    shot,
    wait_for,
)

pytestmark = pytest.mark.network

TIMEOUT = 60.0
"""How long the gateway may take to start or a page to show something: the machine is shared."""
WAIT_MS = int(TIMEOUT * 1000)
LIVE = re.compile(r"\blive on\b")


@dataclass
class RequiredGateway:
    """A second gateway of node1, `--auth required`, with the admin's key managed."""

    net: Localnet
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def token_file(self) -> Path:
        return self.folder / "console.token"

    def start(self) -> str:
        """Start it and wait until it serves and follows its node; the token it wrote."""
        old = self.token_file.read_text() if self.token_file.exists() else None
        argv = [
            sys.executable,
            "-m",
            "cornerstone.gateway",
            "--rpc",
            self.net.node(1).rpc_url,
            "--listen",
            f"127.0.0.1:{self.port}",
            "--data",
            str(self.folder),
            "--auth",
            "required",
            "--managed-key",
            f"org1-admin={self.net.admin_key_file(1)}",
            "--console-token-file",
            str(self.token_file),
            "--log-format",
            "json",
        ]
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder.parent / "required-gateway.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        wait_for("the --auth required gateway to follow its node", self.healthy, timeout=TIMEOUT)
        token = self.token_file.read_text().strip()
        assert token and token != (old or "").strip(), "each start writes a fresh token"
        return token

    def healthy(self) -> bool:
        assert self.process is not None and self.process.poll() is None, "the gateway exited"
        try:
            answer = httpx.get(f"{self.url}/healthz", timeout=5, trust_env=False)
        except httpx.TransportError:
            return False
        return answer.status_code == 200 and bool(answer.json()["ok"])

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)
        self.process = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def required_gateway(net: Localnet, folder: Path) -> Iterator[RequiredGateway]:
    gateway = RequiredGateway(net=net, folder=folder, port=free_port())
    try:
        yield gateway
    finally:
        gateway.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup`, which installs Debian's chromium")
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(WAIT_MS)
            opened = context.new_page()
            opened.on("pageerror", lambda error: errors.append(str(error)))
            try:
                yield opened
            finally:
                context.close()
        finally:
            browser.close()
    assert not errors, f"the console threw: {errors}"


SSE_JS = Path(__file__).resolve().parents[2] / "src/cornerstone/gateway/console/sse.js"
EURO = "data: é€\n\n".encode()
SSE_CASES: list[tuple[str, list[str | list[int]], str | None, list[list[str]], str | None]] = [
    # (what, chunks as text or bytes, last id before, [type, data, id] dispatched, last id after)
    (
        "the gateway's own shape",
        ["retry: 2000\n\n", 'id: 1:0:0\ndata: {"a":1}\n\n', ": keep-alive\n\n"],
        None,
        [["message", '{"a":1}', "1:0:0"]],
        "1:0:0",
    ),
    (
        "CRLF split between chunks (one event, not two), and CR alone",
        ["id: 5:1:2\r", "\ndata: x\r", "\ndata: w\r\n\r", "\ndata:y\rdata:  z\r\r"],
        "4:0:0",
        [["message", "x\nw", "5:1:2"], ["message", "y\n z", "5:1:2"]],
        "5:1:2",
    ),
    (
        "a character split between chunks",
        [list(EURO[:7]), list(EURO[7:9]), list(EURO[9:])],
        None,
        [["message", "é€", ""]],
        None,
    ),
    (
        "a typed event; an unfinished one is dropped and its id not taken",
        ["event: block\ndata: 1\n\nid: 9:0:0\ndata: partial\n"],
        "8:0:0",
        [["block", "1", "8:0:0"]],
        "8:0:0",
    ),
    ("an id alone moves the position", ["id: 3:0:0\n\n"], "2:0:0", [], "3:0:0"),
    (
        "unknown fields, a bad retry and an id with NUL are ignored",
        ["foo: bar\nretry: soon\nid: a\u0000b\ndata: d\n\n"],
        "1:0:0",
        [["message", "d", "1:0:0"]],
        "1:0:0",
    ),
]
READ = """async ([source, chunks, lastId]) => {
  const { readEvents } = await import(
    "data:text/javascript;charset=utf-8," + encodeURIComponent(source));
  const encoder = new TextEncoder();
  const body = new ReadableStream({ start(controller) {
    for (const c of chunks) {
      controller.enqueue(typeof c === "string" ? encoder.encode(c) : new Uint8Array(c));
    }
    controller.close();
  } });
  const events = [];
  const retries = [];
  let last = lastId;
  await readEvents(body, {
    position: (id) => { last = id; },
    dispatch: (e) => events.push([e.type, e.data, e.id ?? ""]),
    retry: (ms) => retries.push(ms),
  }, lastId);
  return { events, last, retries };
}"""


def test_the_stream_reader_parses_server_sent_events_as_the_standard_does(page: Page) -> None:
    """The console's SSE reader (console/sse.js) in Chromium, fed bytes as a network could
    split them; no gateway is needed."""
    page.goto("about:blank")
    source = SSE_JS.read_text()
    for what, chunks, before, events, after in SSE_CASES:
        read = page.evaluate(READ, [source, chunks, before])
        assert (read["events"], read["last"]) == (events, after), what
    read = page.evaluate(READ, [source, SSE_CASES[0][1], None])
    assert read["retries"] == [2000]


def position(event_id: str) -> tuple[int, int, int]:
    height, tx_index, event_index = (int(part) for part in event_id.split(":"))
    return height, tx_index, event_index


def shown_height(page: Page) -> int:
    """The block of the last event the page took from the stream (0 before any)."""
    return int(page.evaluate("Number(document.getElementById('live').dataset.height ?? 0)"))


def sign_in(page: Page, token: str) -> None:
    page.click("#admin-link")
    page.fill("#token-input", token)
    page.click("#token-form button[type=submit]")
    expect(page.locator("#admin-link")).to_have_text("Admin (signed in)")


def test_the_console_follows_the_stream_of_a_gateway_that_requires_members(
    localnets: LocalnetFactory, tmp_path: Path, page: Page
) -> None:
    net = localnets.make(orgs=2, app="cornerstone")
    streams: list[Request] = []
    urls: list[str] = []
    page_errors: list[str] = []
    page.context.on("request", lambda request: urls.append(request.url))
    page.context.on(
        "request",
        lambda request: streams.append(request) if "/v1/stream" in request.url else None,
    )
    with required_gateway(net, tmp_path / "required-gateway") as gateway:
        token = gateway.start()
        refused = httpx.get(f"{gateway.url}/v1/stream", timeout=10, trust_env=False)
        assert refused.status_code == 401  # what EventSource, which sends no header, would get

        page.goto(gateway.url + "/console")
        expect(page.locator("#live")).to_have_text("sign in for updates")
        expect(page.locator("#page-error")).to_be_visible()  # the overview needs a member too
        shot(page, "auth-required-signed-out")

        sign_in(page, token)
        expect(page.locator("#live")).to_have_class(LIVE)
        # Beside it, node2's own gateway (--auth optional): an anonymous console follows too.
        optional = net.node(2).gateway_url
        wait_for("node2's gateway", lambda: healthy(optional), timeout=TIMEOUT)
        anonymous = page.context.new_page()
        anonymous.on("pageerror", lambda error: page_errors.append(str(error)))
        anonymous.goto(optional + "/console")
        expect(anonymous.locator("#live")).to_have_class(LIVE)
        page.click('a[data-nav="overview"]')
        expect(page.locator("#height")).to_have_text(DIGITS)
        # Every value the stream's last event id takes from here on, in order.
        page.evaluate(
            """() => {
              window.__sameDocument = true;
              window.__ids = [];
              const live = document.getElementById("live");
              new MutationObserver((records) => {
                for (const r of records) window.__ids.push(r.oldValue);
              }).observe(live, {
                attributes: true, attributeFilter: ["data-last-event-id"], attributeOldValue: true,
              });
            }"""
        )

        _, tx_hash, height = anchor(net, 2, "live under --auth required")
        expect(page.locator(f'#latest-txs a[href="#/txs/{tx_hash}"]')).to_be_visible()
        expect(anonymous.locator(f'#latest-txs a[href="#/txs/{tx_hash}"]')).to_be_visible()
        wait_for(
            "node2's console to take the block from the stream",
            lambda: shown_height(anonymous) >= height,
        )
        wait_for("the page to take the block from the stream", lambda: shown_height(page) >= height)
        assert page.evaluate("window.__sameDocument") is True, "the page was not reloaded"
        shot(page, "auth-required-live")
        assert streams, "the console opened the event stream"
        for request in streams:
            wanted = None if request.url.startswith(optional) else f"Bearer {token}"
            assert request.all_headers().get("authorization") == wanted
        anonymous.close()
        assert not [url for url in urls if token in url], "the token went into a URL"
        last_seen = page.locator("#live").get_attribute("data-last-event-id")
        assert last_seen and position(last_seen)[0] >= height

        gateway.stop()
        _, missed_hash, missed_height = anchor(net, 2, "committed while the gateway was down")
        token = gateway.start()  # a new token: the page's old one is refused now
        expect(page.locator("#live")).to_have_text("sign in for updates", timeout=WAIT_MS)
        resumed_from = len(streams)
        sign_in(page, token)
        expect(page.locator("#live")).to_have_class(LIVE)
        wait_for(
            "the page to take the block committed meanwhile from the stream",
            lambda: shown_height(page) >= missed_height,
            timeout=TIMEOUT,
        )
        resumed = streams[resumed_from:]
        assert resumed, "the console reconnected after the sign-in"
        assert resumed[0].all_headers().get("last-event-id") == last_seen
        assert resumed[0].all_headers().get("authorization") == f"Bearer {token}"
        assert "from_height" not in resumed[0].url  # it resumes by id, not from a block

        page.click('a[data-nav="txs"]')
        expect(page.locator(f'#transactions a[href="#/txs/{missed_hash}"]')).to_be_visible()
        ids = page.evaluate(
            "[...window.__ids.slice(1), document.getElementById('live').dataset.lastEventId]"
        )
        positions = [position(event_id) for event_id in ids]
        assert positions == sorted(set(positions)), f"events out of order or twice: {ids}"
        assert {height, missed_height} <= {h for h, _, _ in positions}
        assert page.evaluate("window.__sameDocument") is True, "the page was not reloaded"
        shot(page, "auth-required-resumed")
    assert not page_errors, f"node2's console threw: {page_errors}"
