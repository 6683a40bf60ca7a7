"""The gateways of a real four-organization network: they start with it, a transaction
submitted through one organization's gateway reaches another's index and event stream, and a
credential issued with the CLI is checked through another organization's gateway alone."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cornerstone.crypto import load_key
from cornerstone.errors import StaleNonceError
from cornerstone.gateway.errors import (
    AlreadySubmittedError,
    AuthenticationRequiredError,
    ReplayedRequestError,
)
from cornerstone.localnet import Localnet
from cornerstone.sdk import Client, Signer
from cornerstone.sdk.auth import RequestSigner
from cornerstone.tx import sign_transaction
from cornerstone.vc import RevokedError, verify_credential
from tests.network.conftest import LocalnetFactory
from tests.network.test_cli import cornerstone
from tests.unit.gateway.http_registry import HttpRegistry
from tests.unit.vc.test_interop import independent_verify

pytestmark = pytest.mark.network

TIMEOUT = 30.0
GAS = 1_000_000


def wait_for(what: str, check: Any, *, timeout: float = TIMEOUT) -> Any:
    """`check()` once it is truthy; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} within {timeout:g} s"
        time.sleep(0.1)


def test_a_transaction_through_one_gateway_reaches_anothers_index_and_stream(
    localnets: LocalnetFactory,
) -> None:
    net: Localnet = localnets.make(app="cornerstone")
    first, second = net.node(1), net.node(2)
    assert all(status.gateway_running for status in net.status())
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:

        def healthy(url: str) -> bool:
            answer = http.get(f"{url}/healthz")
            return answer.status_code == 200 and bool(answer.json()["ok"])

        wait_for("node1's gateway to follow its node", lambda: healthy(first.gateway_url))
        wait_for("node2's gateway to follow its node", lambda: healthy(second.gateway_url))

        tx = sign_transaction(
            load_key(net.key_file(2)),
            chain_id=net.chain_id,
            nonce=0,
            module="notary",
            operation="anchor",
            args={"digest": hashlib.sha256(b"through the gateway").digest(), "metadata": {}},
            gas_limit=100_000,
        )
        submitted = http.post(
            f"{second.gateway_url}/v1/transactions",
            params={"wait": "commit"},
            content=tx.encode(),
            headers={"content-type": "application/octet-stream"},
        )
        assert submitted.status_code == 200, submitted.text
        committed = submitted.json()
        assert committed["code"] == 0 and committed["hash"] == tx.hash.hex()
        height = committed["height"]

        def indexed() -> dict[str, Any] | None:
            answer = http.get(f"{first.gateway_url}/v1/transactions/{tx.hash.hex()}")
            return answer.json() if answer.status_code == 200 else None

        found = wait_for("node1's gateway to index the transaction", indexed)
        assert (found["height"], found["module"]) == (height, "notary")
        assert [event["type"] for event in found["events"]] == ["tx", "notary.anchored"]

        streamed = []
        with http.stream(
            "GET",
            f"{first.gateway_url}/v1/stream",
            params={"from_height": height, "to_height": height, "types": "notary.*"},
        ) as answer:
            assert answer.status_code == 200
            for line in answer.iter_lines():
                if line.startswith("data: "):
                    streamed.append(json.loads(line.removeprefix("data: ")))
        assert [(event["tx_hash"], event["type"]) for event in streamed] == [
            (tx.hash.hex(), "notary.anchored")
        ]

        again = http.post(
            f"{first.gateway_url}/v1/transactions",
            content=tx.encode(),
            headers={"content-type": "application/octet-stream"},
        )
        assert again.status_code == 409, again.text  # CometBFT's cache knows these bytes
        assert again.json()["code"] == AlreadySubmittedError.code
        stale = sign_transaction(
            load_key(net.key_file(2)),
            chain_id=net.chain_id,
            nonce=0,  # used already
            module="notary",
            operation="anchor",
            args={"digest": hashlib.sha256(b"another").digest(), "metadata": {}},
            gas_limit=100_000,
        )
        refused = http.post(
            f"{first.gateway_url}/v1/transactions",
            content=stale.encode(),
            headers={"content-type": "application/octet-stream"},
        )
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        assert (refused.json()["codespace"], refused.json()["code"]) == ("tx", StaleNonceError.code)

        proven = http.get(f"{first.gateway_url}/v1/state/membership/org/org2").json()
        assert proven["decoded"]["name"] == "Organization 2" and proven["proof"]


def test_a_credential_from_the_cli_is_checked_over_another_organizations_gateway(
    localnets: LocalnetFactory, tmp_path: Path
) -> None:
    """org1 issues with the CLI; a verifier that knows only org2's gateway resolves the issuer
    and fetches the status list over HTTP, checks the proof and the bit with code of its own,
    and sees the revocation org1 makes afterwards."""
    net: Localnet = localnets.make(app="cornerstone")
    home, gateway = net.home, net.node(2).gateway_url
    issuer = cornerstone("did", "create", "--key", "org1", "--name", "registrar", home=home)
    did = issuer.stdout.splitlines()[0]
    with Client(net.node(1).rpc_url) as client:
        proposed = Signer(client, load_key(net.admin_key_file(1))).submit(
            "governance",
            "propose",
            {
                "module": "did",
                "action": "trust_issuer",
                "args": {"credential_type": "MembershipCredential", "issuer": did},
            },
            gas_limit=GAS,
        )
    [proposal] = [
        int(a["proposal"]) for kind, a in proposed.events if kind == "governance.proposed"
    ]
    for index in (2, 3):
        with Client(net.node(index).rpc_url) as client:
            Signer(client, load_key(net.admin_key_file(index))).submit(
                "governance", "vote", {"proposal": proposal, "approve": True}, gas_limit=GAS
            )
    subject = tmp_path / "subject.json"
    subject.write_text(json.dumps({"id": "did:example:holder", "member": "org2"}))
    credential_file = tmp_path / "credential.json"
    issue = ["vc", "issue", "--key", "org1", "--issuer", did, "--type", "MembershipCredential"]
    cornerstone(*issue, "--subject", str(subject), "--out", str(credential_file), home=home)
    credential = json.loads(credential_file.read_text())
    [revocation, _suspension] = credential["credentialStatus"]
    list_url, index = revocation["statusListCredential"], int(revocation["statusListIndex"])

    with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:

        def trusted() -> bool:
            answer = http.get(f"{gateway}/v1/trust/MembershipCredential")
            return answer.status_code == 200 and bool(answer.json()["items"])

        def status_bit() -> bool | None:
            """The credential's revocation bit in org2's gateway's list, decoded here."""
            answer = http.get(f"{gateway}/v1/dids/{list_url}")
            if answer.status_code != 200:
                return None
            assert answer.headers["content-type"] == "application/vc"
            listed = answer.json()
            assert (listed["id"], listed["issuer"]) == (list_url, did)
            encoded = listed["credentialSubject"]["encodedList"]
            assert encoded[0] == "u"  # multibase base64url, no padding
            bits = gzip.decompress(
                base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded) % 4))
            )
            assert len(bits) * 8 >= 131_072
            return bool(bits[index // 8] & (0x80 >> (index % 8)))

        wait_for("org2's gateway to know the trust and the status index", trusted)
        assert wait_for("the list at org2's gateway", lambda: status_bit() is False) is True
        document = http.get(f"{gateway}/v1/dids/{did}").json()
        method = credential["proof"]["verificationMethod"]
        [key] = [m for m in document["verificationMethod"] if m["id"] == method]
        assert independent_verify(credential, key["publicKeyMultibase"])
        registry = HttpRegistry(http, gateway)
        assert verify_credential(credential, registry).issuer == did

        cornerstone("vc", "revoke", str(credential_file), "--key", "org1", home=home)
        wait_for("org2's gateway to show the revocation bit", lambda: status_bit() is True)
        with pytest.raises(RevokedError):
            verify_credential(credential, registry)
        revoked = cornerstone("vc", "verify", str(credential_file), home=home, check=False)
        assert revoked.returncode == 1 and "revoked" in revoked.stderr


def test_a_gateway_that_requires_members_serves_the_sdks_signed_requests(
    localnets: LocalnetFactory, tmp_path: Path
) -> None:
    """A second gateway of node1, started with `--auth required`: the SDK's signer gets a
    transaction committed and read back; unsigned and replayed requests are refused."""
    net: Localnet = localnets.make(app="cornerstone")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = [
        sys.executable,
        "-m",
        "cornerstone.gateway",
        "--rpc",
        net.node(1).rpc_url,
        "--listen",
        f"127.0.0.1:{port}",
        "--data",
        str(tmp_path / "required-gateway"),
        "--auth",
        "required",
        "--log-format",
        "json",
    ]
    url = f"http://127.0.0.1:{port}"
    key = load_key(net.key_file(1))
    with (tmp_path / "required-gateway.log").open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    try:
        with (
            httpx.Client(base_url=url, timeout=TIMEOUT, trust_env=False) as anonymous,
            httpx.Client(
                base_url=url, timeout=TIMEOUT, trust_env=False, auth=RequestSigner(key)
            ) as member,
        ):

            def healthy() -> bool:
                assert process.poll() is None, "the gateway exited"
                try:
                    answer = anonymous.get("/healthz")  # public under --auth required
                except httpx.TransportError:
                    return False
                return answer.status_code == 200 and bool(answer.json()["ok"])

            wait_for("the --auth required gateway to follow its node", healthy)
            refused = anonymous.get("/v1/blocks")
            assert refused.status_code == 401
            assert refused.json()["code"] == AuthenticationRequiredError.code

            tx = sign_transaction(
                key,
                chain_id=net.chain_id,
                nonce=0,
                module="notary",
                operation="anchor",
                args={"digest": hashlib.sha256(b"signed request").digest(), "metadata": {}},
                gas_limit=100_000,
            )
            committed = member.post(
                "/v1/transactions",
                params={"wait": "commit"},
                content=tx.encode(),
                headers={"content-type": "application/octet-stream"},
            )
            assert committed.status_code == 200, committed.text

            def indexed() -> httpx.Response | None:
                answer = member.get(f"/v1/transactions/{tx.hash.hex()}")  # signed anew each time
                return answer if answer.status_code == 200 else None

            read = wait_for("the transaction in the gateway's index", indexed)
            assert read.json()["sender"] == key.public_key.fingerprint.hex()

            again = anonymous.send(read.request)  # the same signed bytes, a second time
            assert again.status_code == 401
            assert again.json()["code"] == ReplayedRequestError.code
    finally:
        process.terminate()
        try:
            process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=TIMEOUT)
