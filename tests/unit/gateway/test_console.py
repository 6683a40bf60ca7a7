"""The console's files and the managed-signing routes, in-process against the fake node: the
token is required, an unknown key is 404, and no answer ever carries a private key."""

from __future__ import annotations

import base64
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey, save_key
from cornerstone.gateway import create_app
from cornerstone.gateway.console import block_rate_of
from cornerstone.gateway.errors import NotFoundError, UnauthorizedError
from tests.conftest import admin_key, validator_key
from tests.unit.gateway.conftest import settings
from tests.unit.gateway.fake_node import FakeNode

PROBLEM = "application/problem+json"
KEY_NAME = "org2-admin"
PROPOSAL = {
    "module": "governance",
    "action": "set_param",
    "args": {"name": "voting_period", "value": 50},
    "title": "Longer votes",
}


@dataclass
class Console:
    http: TestClient
    token: str
    token_file: Path
    key: PrivateKey

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"authorization": f"Bearer {token or self.token}"}


@pytest.fixture
def console(node: FakeNode, tmp_path: Path) -> Iterator[Console]:
    key = admin_key("org2")
    key_file = tmp_path / "keys" / f"{KEY_NAME}.json"
    save_key(key_file, key, name="org2 admin")
    token_file = tmp_path / "gateway" / "console.token"
    app = create_app(
        settings(
            node,
            tmp_path / "gateway",
            managed_keys=((KEY_NAME, key_file),),
            console_token_file=token_file,
        )
    )
    with TestClient(app) as http:
        yield Console(
            http=http, token=token_file.read_text().strip(), token_file=token_file, key=key
        )


def secret_hex(key: PrivateKey) -> str:
    return key.to_cryptography().private_bytes_raw().hex()  # type: ignore[union-attr]


# ---------------------------------------------------------------------------- the files
@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/console", "text/html", '<main id="view"'),
        ("/console/", "text/html", '<main id="view"'),
        ("/console/app.js", "text/javascript", "followStream"),
        ("/console/charts.js", "text/javascript", "export function barChart"),
        ("/console/sse.js", "text/javascript", "export async function readEvents"),
        ("/console/style.css", "text/css", ":root"),
    ],
)
def test_the_console_serves_its_files_with_their_content_types(
    console: Console, path: str, content_type: str, marker: str
) -> None:
    answer = console.http.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(content_type)
    assert marker in answer.text
    assert "default-src 'self'" in answer.headers["content-security-policy"]


def test_the_console_loads_nothing_from_elsewhere(console: Console) -> None:
    for name in ("", "/app.js", "/charts.js", "/sse.js", "/style.css"):
        text = console.http.get(f"/console{name}").text
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text


def test_the_root_redirects_to_the_console_and_unknown_files_are_404(console: Console) -> None:
    answer = console.http.get("/", follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == "/console"
    for path in ("/console/secret.json", "/console/..%2Fapp.py"):
        missing = console.http.get(path)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == PROBLEM


def test_console_routes_stay_out_of_the_openapi_document(console: Console) -> None:
    paths = console.http.get("/openapi.json").json()["paths"]
    assert not any(path == "/" or path.startswith("/console") for path in paths)
    assert "/v1/managed/{key_name}/vote" in paths and "/v1/network" in paths


# ---------------------------------------------------------------------------- the token
def test_the_token_file_is_fresh_and_only_its_owner_can_read_it(console: Console) -> None:
    assert len(console.token) >= 40
    assert stat.S_IMODE(console.token_file.stat().st_mode) == 0o600


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Basic abc", "Bearer "])
def test_managed_signing_without_the_right_token_is_401(
    console: Console, header: str | None
) -> None:
    headers = {} if header is None else {"authorization": header}
    for answer in (
        console.http.get("/v1/managed", headers=headers),
        console.http.post(
            f"/v1/managed/{KEY_NAME}/vote", json={"proposal": 1, "approve": True}, headers=headers
        ),
        console.http.post(f"/v1/managed/{KEY_NAME}/propose", json=PROPOSAL, headers=headers),
        console.http.post("/v1/managed/nobody/vote", json={}, headers=headers),
    ):
        assert answer.status_code == 401, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["code"] == UnauthorizedError.code


def test_an_unknown_key_is_404(console: Console) -> None:
    answer = console.http.post(
        "/v1/managed/org1-admin/vote", json={"proposal": 1, "approve": True}, headers=console.auth()
    )
    assert answer.status_code == 404
    assert answer.json()["code"] == NotFoundError.code


def test_without_managed_keys_the_routes_are_404(node: FakeNode, tmp_path: Path) -> None:
    with TestClient(create_app(settings(node, tmp_path / "plain"))) as http:
        answer = http.get("/v1/managed", headers={"authorization": "Bearer anything"})
    assert answer.status_code == 404


# ---------------------------------------------------------------------------- signing
def test_the_listing_names_keys_and_never_holds_a_private_key(console: Console) -> None:
    answer = console.http.get("/v1/managed", headers=console.auth())
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "name": KEY_NAME,
            "public_key": console.key.public_key.hex(),
            "identity": console.key.public_key.fingerprint.hex(),
        }
    ]
    assert secret_hex(console.key) not in answer.text


def test_a_managed_key_proposes_and_votes_and_its_secret_stays_home(
    console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    proposed = console.http.post(
        f"/v1/managed/{KEY_NAME}/propose", json=PROPOSAL, headers=console.auth()
    )
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert body["code"] == 0
    [event] = [e for e in body["events"] if e["type"] == "governance.proposed"]
    proposal = int(event["attributes"]["proposal"])
    sender = next(e for e in body["events"] if e["type"] == "tx")["attributes"]["sender"]
    assert sender == console.key.public_key.fingerprint.hex()

    # The proposer's organization approved it already; voting again replaces that vote.
    voted = console.http.post(
        f"/v1/managed/{KEY_NAME}/vote",
        json={"proposal": proposal, "approve": False},
        headers=console.auth(),
    )
    assert voted.status_code == 200, voted.text
    assert voted.json()["height"] > body["height"]
    secret = secret_hex(console.key)
    assert secret not in proposed.text + voted.text
    assert secret not in caplog.text and console.token not in caplog.text


def test_a_bad_vote_body_is_400_after_the_token(console: Console) -> None:
    answer = console.http.post(
        f"/v1/managed/{KEY_NAME}/vote", json={"proposal": 0}, headers=console.auth()
    )
    assert answer.status_code == 400
    assert answer.headers["content-type"] == PROBLEM


# ---------------------------------------------------------------------------- the network
def test_the_network_names_each_validators_organization_and_the_block_rate(
    console: Console, node: FakeNode
) -> None:
    """The RPC's status, validators and peers, as CometBFT v0.38 answers them (the fake node
    serves status only in part: the rest is given here)."""
    plain_status = node._methods["status"]

    def status(params: Mapping[str, str]) -> dict[str, Any]:
        answer: dict[str, Any] = plain_status(params)
        answer["node_info"] |= {"id": "ab" * 20, "version": "0.38.26"}
        answer["sync_info"]["latest_block_time"] = "2026-12-01T14:00:00.123456789Z"
        return answer

    def validators(_params: Mapping[str, str]) -> dict[str, Any]:
        key = validator_key("org3").public_key
        return {
            "validators": [
                {
                    "address": "CD" * 20,
                    "pub_key": {"type": "tendermint/PubKeyEd25519", "value": b64(key.raw)},
                    "voting_power": "10",
                    "proposer_priority": "-5",
                }
            ]
        }

    def net_info(_params: Mapping[str, str]) -> dict[str, Any]:
        peer = {"node_info": {"id": "ef" * 20, "moniker": "node2"}, "remote_ip": "127.0.0.1"}
        return {"n_peers": "1", "peers": [peer]}

    node._methods |= {"status": status, "validators": validators, "net_info": net_info}
    for _ in range(3):
        node.produce([])
    console.http.app.state.gateway.indexer.catch_up()  # type: ignore[attr-defined]

    answer = console.http.get("/v1/network")
    assert answer.status_code == 200, answer.text
    network = answer.json()
    assert network["chain_id"] == "test-chain" and network["moniker"] == "fake"
    assert network["index_height"] == network["height"] >= 4
    [validator] = network["validators"]
    assert (validator["org"], validator["power"], validator["address"]) == ("org3", 10, "cd" * 20)
    assert network["peers"] == [
        {"node_id": "ef" * 20, "moniker": "node2", "remote_ip": "127.0.0.1"}
    ]
    assert network["block_rate"] is None or network["block_rate"] > 0


def test_the_block_rate_counts_blocks_per_minute() -> None:
    times = [f"2026-12-01T14:00:{second:02d}.500000000Z" for second in (0, 2, 4, 6)]
    assert block_rate_of(times) == 30.0
    assert block_rate_of(times[:1]) is None
    assert block_rate_of([times[0], times[0]]) is None


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()
