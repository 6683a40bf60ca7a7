"""DIDs, status lists and trust lists over HTTP, from a gateway over the fake node that runs
the real did module: resolution now and as of a version, height or time, with the media type
the client asks for; the errors DID Resolution names; a deactivated DID; a status list whose
bit follows a revocation; and a credential that verifies with everything fetched over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # schemathesis brings it
import pytest
from fastapi.testclient import TestClient

from cornerstone.crypto import PrivateKey
from cornerstone.gateway.errors import (
    DidMethodNotSupportedError,
    InvalidDidError,
    RepresentationNotSupportedError,
    UnknownDidError,
    UnknownStatusListError,
)
from cornerstone.gateway.identity import representation
from cornerstone.sdk import Client, Signer
from cornerstone.sdk.did import allocate_status, created_did
from cornerstone.vc import RevokedError, StatusRef, issue_credential, verify_credential
from cornerstone.vc.statuslist import bit, decode_list
from cornerstone.vc.times import to_text
from tests.conftest import admin_key, org_key
from tests.unit.gateway.conftest import Harness
from tests.unit.gateway.http_registry import RESOLUTION, HttpRegistry

RESOLUTION_LD = 'application/ld+json;profile="https://w3id.org/did-resolution"'


@pytest.fixture
def client(harness: Harness) -> Iterator[Client]:
    with harness.node.client() as made:
        yield made


@pytest.fixture
def signer(client: Client) -> Signer:
    return Signer(client, org_key("org1"))


def create(signer: Signer, name: str) -> str:
    return created_did(signer.submit("did", "create", {"name": name, "services": []}))


def add_key(signer: Signer, did: str, fragment: str, key: PrivateKey) -> int:
    """Add an assertion key to `did`; the height of the block."""
    committed = signer.submit(
        "did",
        "update",
        {
            "did": did,
            "add_keys": [
                {
                    "id": fragment,
                    "public_key": key.public_key.raw,
                    "suite": key.public_key.suite.value,
                    "relationships": ["assertionMethod"],
                }
            ],
        },
    )
    return committed.height


def trust(client: Client, credential_type: str, issuer: str) -> None:
    """The consortium trusts `issuer` for `credential_type`: org1 proposes, org2 and org3
    approve (a majority of four)."""
    proposed = Signer(client, admin_key("org1")).submit(
        "governance",
        "propose",
        {
            "module": "did",
            "action": "trust_issuer",
            "args": {"credential_type": credential_type, "issuer": issuer},
        },
    )
    [proposal] = [
        int(a["proposal"]) for kind, a in proposed.events if kind == "governance.proposed"
    ]
    for org in ("org2", "org3"):
        Signer(client, admin_key(org)).submit(
            "governance", "vote", {"proposal": proposal, "approve": True}
        )


def resolve(http: TestClient, did: str, accept: str | None = None, **params: Any) -> Any:
    headers = {} if accept is None else {"accept": accept}
    return http.get(f"/v1/dids/{did}", headers=headers, params=params)


def fragments(document: Mapping[str, Any]) -> list[str]:
    return [method["id"].rsplit("#", 1)[1] for method in document["verificationMethod"]]


def test_a_did_resolves_now_and_as_of_each_version(
    harness: Harness, client: Client, signer: Signer
) -> None:
    did = create(signer, "issuer")
    updated_at = add_key(signer, did, "key-2", PrivateKey.generate())
    http = harness.http

    now = resolve(http, did)
    assert now.status_code == 200
    assert now.headers["content-type"] == "application/did+json"
    assert now.headers["vary"] == "Accept"
    assert now.json()["id"] == did and fragments(now.json()) == ["key-1", "key-2"]

    result = resolve(http, did, RESOLUTION)
    assert result.status_code == 200
    assert result.headers["content-type"] == RESOLUTION
    body = result.json()
    assert body["didResolutionMetadata"] == {"contentType": "application/did+json"}
    metadata = body["didDocumentMetadata"]
    assert (metadata["versionId"], metadata["versionHeight"]) == ("2", updated_at)
    assert metadata["deactivated"] is False and "updated" in metadata and "created" in metadata

    first = resolve(http, did, RESOLUTION, versionId=1).json()
    assert fragments(first["didDocument"]) == ["key-1"]
    assert first["didDocumentMetadata"]["versionId"] == "1"
    assert first["didDocumentMetadata"]["nextVersionId"] == "2"
    before = resolve(http, did, versionHeight=updated_at - 1)
    assert fragments(before.json()) == ["key-1"]
    assert fragments(resolve(http, did, versionHeight=updated_at).json()) == ["key-1", "key-2"]

    history = client.query("did", "history", did=did)
    assert isinstance(history, list)
    [created, changed] = history
    at_creation = resolve(http, did, RESOLUTION_LD, versionTime=to_text(created["time"]))
    assert at_creation.headers["content-type"] == RESOLUTION_LD
    assert at_creation.json()["didDocumentMetadata"]["versionId"] == "1"
    at_change = resolve(http, did, versionTime=to_text(changed["time"])).json()
    assert fragments(at_change) == ["key-1", "key-2"]


def test_the_accept_header_chooses_the_representation(harness: Harness, signer: Signer) -> None:
    did = create(signer, "negotiated")
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert resolve(harness.http, did, browser).headers["content-type"] == "application/did+json"
    preferred = f"application/did+json;q=0.5, {RESOLUTION}"
    assert resolve(harness.http, did, preferred).headers["content-type"] == RESOLUTION
    refused = resolve(harness.http, did, "text/html, application/did+json;q=0")
    assert refused.status_code == 406
    assert refused.json()["code"] == RepresentationNotSupportedError.code


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "document"),
        ("*/*", "document"),
        ("application/json", "document"),
        ("application/did-resolution;q=0.9, application/did+json;q=0.8", "result"),
        (f"{RESOLUTION_LD}, application/did+json", "result-ld"),
        ("application/ld+json, application/did-resolution;q=0.1", "result"),
        ("application/did+json;q=0.5, */*;q=1.0", "document"),
        ("text/html;q=1, application/did-resolution;q=0.²", None),
        ("application/did+json;q=0", None),
        ("image/png", None),
    ],
)
def test_negotiation_picks_the_weightiest_range_served(
    accept: str | None, chosen: str | None
) -> None:
    if chosen is None:
        with pytest.raises(RepresentationNotSupportedError):
            representation(accept)
    else:
        assert representation(accept) == chosen


@pytest.mark.parametrize(
    ("did", "status", "error", "keyword"),
    [
        ("not-a-did", 400, InvalidDidError, "invalidDid"),
        ("did:cornerstone:test-chain:bad/id", 404, None, None),  # a path: not this route
        ("did:cornerstone:only-one-part", 400, InvalidDidError, "invalidDid"),
        ("did:web:example.com", 501, DidMethodNotSupportedError, "methodNotSupported"),
        ("did:cornerstone:test-chain:org1.nobody", 404, UnknownDidError, "notFound"),
        ("did:cornerstone:other-chain:org1.issuer", 404, UnknownDidError, "notFound"),
    ],
)
def test_what_does_not_resolve_says_why(
    harness: Harness,
    signer: Signer,
    did: str,
    status: int,
    error: type[Exception] | None,
    keyword: str | None,
) -> None:
    create(signer, "issuer")
    plain = resolve(harness.http, did)
    assert plain.status_code == status
    assert plain.headers["content-type"] == "application/problem+json"
    if error is None:
        return
    assert plain.json()["code"] == error.code  # type: ignore[attr-defined]
    result = resolve(harness.http, did, RESOLUTION)
    assert result.status_code == status
    assert result.headers["content-type"] == RESOLUTION
    metadata = result.json()["didResolutionMetadata"]
    assert metadata["error"] == keyword
    assert metadata["problemDetails"]["code"] == error.code  # type: ignore[attr-defined]
    assert result.json()["didDocument"] is None


def test_not_found_names_the_reason(harness: Harness, signer: Signer) -> None:
    did = create(signer, "young")
    other = resolve(harness.http, "did:cornerstone:other-chain:org1.young").json()
    assert "network other-chain" in other["detail"] and "test-chain" in other["detail"]
    assert "height 1" in resolve(harness.http, did, versionHeight=1).json()["detail"]
    assert "no version 3" in resolve(harness.http, did, versionId=3).json()["detail"]
    both = resolve(harness.http, did, versionId=1, versionHeight=1)
    assert both.status_code == 400 and "at most one" in both.json()["detail"]
    assert resolve(harness.http, did, versionTime="yesterday").status_code == 400


def test_a_deactivated_did_answers_410_with_its_metadata(harness: Harness, signer: Signer) -> None:
    did = create(signer, "retired")
    signer.submit("did", "deactivate", {"did": did})
    plain = resolve(harness.http, did)
    assert plain.status_code == 410
    assert plain.headers["content-type"] == "application/did+json"
    assert plain.json()["id"] == did
    result = resolve(harness.http, did, RESOLUTION)
    assert result.status_code == 410
    assert result.json()["didDocumentMetadata"]["deactivated"] is True
    assert result.json()["didDocumentMetadata"]["versionId"] == "2"
    alive = resolve(harness.http, did, RESOLUTION, versionId=1)
    assert alive.status_code == 200 and alive.json()["didDocumentMetadata"]["deactivated"] is False


def test_a_status_list_follows_revocation_and_a_credential_verifies_over_http(
    harness: Harness, client: Client, signer: Signer
) -> None:
    issuer = create(signer, "registrar")
    trust(client, "MembershipCredential", issuer)
    index = allocate_status(signer, issuer)
    [revocation, _suspension] = StatusRef(issuer=issuer, index=index).entries()
    url = revocation["statusListCredential"]

    listed = harness.http.get(f"/v1/dids/{url}")
    assert listed.status_code == 200
    assert listed.headers["content-type"] == "application/vc"
    body = listed.json()
    assert body["id"] == url and "BitstringStatusListCredential" in body["type"]
    assert not bit(decode_list(body["credentialSubject"]["encodedList"]), index)
    same = harness.http.get(f"/v1/status-lists/{issuer}/revocation/0").json()
    assert same["credentialSubject"] == body["credentialSubject"]

    key = org_key("org1")
    now = time.time_ns()
    credential = issue_credential(
        issuer=issuer,
        key=key,
        verification_method=f"{issuer}#key-1",
        types=["VerifiableCredential", "MembershipCredential"],
        subject={"id": "did:cornerstone:test-chain:org2.holder", "member": True},
        valid_from_ns=now - 10**9,
        status=StatusRef(issuer=issuer, index=index),
        created_ns=harness.node.chain.time_ns,
    )
    registry = HttpRegistry(harness.http)
    verified = verify_credential(credential, registry, now_ns=now)
    assert verified.issuer == issuer and len(verified.statuses) == 2

    signer.submit("did", "revoke_status", {"issuer": issuer, "index": index})
    revoked = harness.http.get(f"/v1/dids/{url}").json()
    assert bit(decode_list(revoked["credentialSubject"]["encodedList"]), index)
    with pytest.raises(RevokedError):
        verify_credential(credential, registry, now_ns=now)


def test_unknown_status_lists_are_problems(harness: Harness, signer: Signer) -> None:
    issuer = create(signer, "quiet")
    never = harness.http.get(f"/v1/status-lists/{issuer}/revocation/0")
    assert never.status_code == 404
    assert never.json()["code"] == UnknownStatusListError.code
    assert harness.http.get(f"/v1/status-lists/{issuer}/other/0").status_code == 400
    assert harness.http.get("/v1/status-lists/did:web:x/revocation/0").status_code == 501


def test_trust_lists_are_served(harness: Harness, client: Client, signer: Signer) -> None:
    issuer = create(signer, "accredited")
    assert harness.http.get("/v1/trust").json()["items"] == []
    trust(client, "MembershipCredential", issuer)
    listed = harness.http.get("/v1/trust/MembershipCredential")
    assert listed.status_code == 200
    [item] = listed.json()["items"]
    assert (item["credential_type"], item["issuer"]) == ("MembershipCredential", issuer)
    assert harness.http.get("/v1/trust").json()["items"] == [item]
    assert harness.http.get("/v1/trust/OtherCredential").json()["items"] == []


def test_answers_fit_the_openapi_document(harness: Harness, client: Client, signer: Signer) -> None:
    issuer = create(signer, "documented")
    allocate_status(signer, issuer)
    trust(client, "MembershipCredential", issuer)
    document = harness.http.get("/openapi.json").json()

    def fits(answer: Any, schema: str) -> None:
        root = {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
        jsonschema.Draft202012Validator(root).validate(answer.json())
        path, status = answer.request.url.path, str(answer.status_code)
        route = "/v1/dids/{did}" if path.count("/") == 3 else None
        if route is not None:  # the content type is one the document names for this status
            content = document["paths"][route]["get"]["responses"][status]["content"]
            assert answer.headers["content-type"] in content

    fits(resolve(harness.http, issuer), "DidDocument")
    fits(resolve(harness.http, issuer, RESOLUTION), "DidResolutionResult")
    fits(resolve(harness.http, issuer, RESOLUTION_LD, versionId=1), "DidResolutionResult")
    fits(resolve(harness.http, "did:web:example.com", RESOLUTION), "DidResolutionResult")
    fits(resolve(harness.http, "did:web:example.com"), "Problem")
    fits(harness.http.get(f"/v1/status-lists/{issuer}/suspension/0"), "StatusListCredential")
    fits(harness.http.get("/v1/trust"), "TrustList")
    signer.submit("did", "deactivate", {"did": issuer})
    fits(resolve(harness.http, issuer), "DidDocument")
    fits(resolve(harness.http, issuer, RESOLUTION), "DidResolutionResult")
