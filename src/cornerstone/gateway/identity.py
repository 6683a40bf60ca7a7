"""DIDs, status lists and trust lists over HTTP: the did module's answers in the shapes W3C
verifiers and resolvers expect.

    GET /v1/dids/{did}                              resolve (DID Resolution's HTTP binding)
    GET /v1/dids/{did}/status/{purpose}/{number}    a status list, at its DID URL's own path
    GET /v1/status-lists/{did}/{purpose}/{number}   the same status list
    GET /v1/trust, /v1/trust/{credential_type}      the trust lists

Resolution negotiates its representation by `Accept`, as DID Resolution's HTTP(S) binding says:
`application/did-resolution` (or `application/ld+json;profile="https://w3id.org/did-resolution"`)
gets the whole resolution result (document, document metadata, resolution metadata) with the
status the result calls for; anything else a browser or curl sends gets the DID document as
`application/did+json`, and a failure as problem details. Statuses: 400 invalidDid, 404
notFound, 406 representationNotSupported, 501 methodNotSupported, and 410 for a deactivated
DID, whose last document is still the body (deactivation is metadata, not an error).

`versionId` is the document metadata's versionId (1, 2, ...: what `did history` lists), so
resolving with a versionId gives the document whose metadata names it; `versionHeight` (ours)
and `versionTime` resolve as of a block height or a time.

A credential names its status list by a DID URL, `<issuer DID>/status/<purpose>/<number>`.
Dereferenced at a gateway, that URL is `<gateway>/v1/dids/<DID URL>`: the route keeps the DID
URL's own path, so a verifier needs only the gateway's address to fetch any issuer's lists.
The list is built from chain state by the did module's `status_list` query and is unsigned;
its media type is VC 2.0's `application/vc`.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParameter
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field
from pydantic.json_schema import models_json_schema

from cornerstone.gateway import models
from cornerstone.gateway.errors import (
    BadParameterError,
    DidMethodNotSupportedError,
    GatewayError,
    InvalidDidError,
    RepresentationNotSupportedError,
    UnknownDidError,
    UnknownStatusListError,
)
from cornerstone.modules.did.messages import check_credential_type
from cornerstone.vc.didurl import parse_did
from cornerstone.vc.times import from_text

if TYPE_CHECKING:
    from cornerstone.gateway.app import Gateway
    from cornerstone.gateway.node import Node

DID_JSON: Final = "application/did+json"
DID_RESOLUTION: Final = "application/did-resolution"
RESOLUTION_PROFILE: Final = "https://w3id.org/did-resolution"
DID_RESOLUTION_LD: Final = f'application/ld+json;profile="{RESOLUTION_PROFILE}"'
RESOLUTION_CONTEXT: Final = "https://w3id.org/did-resolution/v1"
VC_MEDIA: Final = "application/vc"
"""VC Data Model 2.0's media type of a credential (a status list credential is one)."""
PROBLEM_JSON: Final = "application/problem+json"
VARY: Final = {"Vary": "Accept"}
"""One URL, two representations: caches must key on Accept."""
MAX_NUMBER: Final = 2**32
"""Highest versionId or list number a request may name."""
MAX_HEIGHT: Final = 2**63 - 1
DID_SYNTAX: Final = re.compile(
    # DID Core 1.0, section 3.1: did:<method-name>:<method-specific-id>.
    r"did:([a-z0-9]+):((?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})*:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+"
)
DOCUMENT_TYPES: Final = ("application/did+json", "application/json", "application/*", "*/*")
"""Media ranges answered with the DID document (as application/did+json)."""

Representation = Literal["document", "result", "result-ld"]


# ---------------------------------------------------------------------------- models
class _Open(models.Model):
    """A JSON-LD object: the fields named here, and others a newer chain may add."""

    model_config = ConfigDict(
        frozen=True, use_attribute_docstrings=True, extra="allow", populate_by_name=True
    )


class VerificationMethod(_Open):
    """A key of the DID (a Multikey)."""

    id: str
    """`<did>#<fragment>`."""
    type: str
    """`Multikey`."""
    controller: str
    """The DID that controls the key."""
    publicKeyMultibase: str
    """The public key, multibase and multicodec."""


class Service(_Open):
    """A service endpoint of the DID."""

    id: str
    """`<did>#<fragment>`."""
    type: str
    """The kind of service."""
    serviceEndpoint: str
    """Its URL."""


class DidDocument(_Open):
    """A W3C DID Core 1.0 document (`application/did+json`)."""

    context: list[str] = Field(alias="@context")
    """The JSON-LD contexts."""
    id: str
    """The DID."""
    controller: str | list[str]
    """The DID itself, and any other DIDs that may change it."""
    alsoKnownAs: list[str] | None = None
    """What the DID is bound to: an organization's or a member's URN."""
    verificationMethod: list[VerificationMethod]
    """Its keys."""
    authentication: list[str]
    """Keys that authenticate as the DID (and may change it)."""
    assertionMethod: list[str]
    """Keys that sign credentials."""
    capabilityInvocation: list[str]
    """Keys that may change the DID."""
    service: list[Service] | None = None
    """Its service endpoints."""


class DidDocumentMetadata(_Open):
    """Metadata of the document version resolved (empty when there is none)."""

    created: str | None = None
    """When the DID was created (block time)."""
    updated: str | None = None
    """When this version was written, from version 2 on."""
    versionId: str | None = None
    """This version's number: 1, 2, ..."""
    versionHeight: int | None = None
    """The block that wrote this version (a Cornerstone term)."""
    nextVersionId: str | None = None
    """The next version's number, when this is not the latest."""
    deactivated: bool | None = None
    """True once the DID is deactivated (final)."""


class DidResolutionMetadata(_Open):
    """How the resolution went."""

    contentType: str | None = None
    """The media type of the document, when there is one."""
    error: str | None = None
    """DID Resolution's error: invalidDid, notFound, methodNotSupported, ..."""
    problemDetails: models.Problem | None = None
    """The same error as problem details, with this gateway's code."""


class DidResolutionResult(_Open):
    """A DID resolution result (`application/did-resolution`)."""

    context: str = Field(default=RESOLUTION_CONTEXT, alias="@context")
    """The resolution result's JSON-LD context."""
    didDocument: DidDocument | None
    """The document, or null when resolution failed."""
    didDocumentMetadata: DidDocumentMetadata
    """About the document."""
    didResolutionMetadata: DidResolutionMetadata
    """About the resolution."""


class StatusListSubject(_Open):
    """The bitstring of a status list."""

    id: str
    """`<list URL>#list`."""
    type: str
    """`BitstringStatusList`."""
    statusPurpose: str
    """revocation or suspension."""
    encodedList: str
    """The bitstring: GZIP, then multibase base64url."""


class StatusListCredential(_Open):
    """A BitstringStatusListCredential built from chain state (`application/vc`), unsigned:
    its authority is the chain."""

    context: list[str] = Field(alias="@context")
    """The JSON-LD contexts."""
    id: str
    """The list's DID URL, `<issuer>/status/<purpose>/<number>`."""
    type: list[str]
    """VerifiableCredential and BitstringStatusListCredential."""
    issuer: str
    """The issuer's DID."""
    validFrom: str
    """The block time of the state it was built from."""
    credentialSubject: StatusListSubject
    """The list itself."""


class TrustedIssuer(models.Model):
    """An issuer the consortium trusts for a credential type."""

    credential_type: str
    """The credential type."""
    issuer: str
    """The issuer's DID."""
    since: int
    """The height from which it is trusted."""


class TrustList(models.Model):
    """Trusted issuers, by credential type then issuer."""

    credential_type: str | None
    """The type asked for; null: every type."""
    height: int
    """The height of the state that answered."""
    items: list[TrustedIssuer]
    """The trusted issuers."""


# ---------------------------------------------------------------------------- negotiation
@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of an Accept header."""

    kind: str
    """type/subtype, lowercase."""
    profile: str
    """Its profile parameter, "" without one."""
    weight: int
    """Its q value in thousandths (0 to 1000)."""


def media_ranges(accept: str) -> list[MediaRange]:
    """The entries of an Accept header; entries that cannot be read are left out."""
    found = []
    for entry in accept.split(","):
        kind, *parameters = (part.strip() for part in entry.split(";"))
        if "/" not in kind:
            continue
        profile, weight = "", 1000
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "profile":
                profile = value
            elif name == "q":
                weight = _weight(value)
        found.append(MediaRange(kind=kind.lower(), profile=profile, weight=weight))
    return found


def _weight(text: str) -> int:
    """RFC 9110's qvalue in thousandths; -1 for one that is not a qvalue."""
    whole, _, fraction = text.partition(".")
    digits = fraction.isascii() and fraction.isdigit()
    if whole not in ("0", "1") or len(fraction) > 3 or (fraction and not digits):
        return -1
    weight = int(whole) * 1000 + int(fraction.ljust(3, "0"))
    return weight if weight <= 1000 else -1


def representation(accept: str | None) -> Representation:
    """What to answer a resolution with: the highest-weighted range this gateway serves
    (the earlier one on a tie); the document when nothing is asked."""
    if not accept or not accept.strip():
        return "document"
    best: tuple[int, Representation] | None = None
    for media in media_ranges(accept):
        if media.weight <= 0:
            continue
        offer: Representation | None = None
        if media.kind == DID_RESOLUTION:
            offer = "result"
        elif media.kind == "application/ld+json" and RESOLUTION_PROFILE in media.profile.split():
            offer = "result-ld"
        elif media.kind in DOCUMENT_TYPES:
            offer = "document"
        if offer is not None and (best is None or media.weight > best[0]):
            best = (media.weight, offer)
    if best is None:
        raise RepresentationNotSupportedError(accept=accept[:200])
    return best[1]


# ---------------------------------------------------------------------------- resolving
def check_did(did: str) -> None:
    """InvalidDidError unless `did` is a DID; DidMethodNotSupportedError unless it is a
    did:cornerstone one."""
    syntax = DID_SYNTAX.fullmatch(did)
    if syntax is None:
        raise InvalidDidError(did=did[:200], reason="a DID is did:<method>:<method-specific id>")
    if syntax.group(1) != "cornerstone":
        raise DidMethodNotSupportedError(method=syntax.group(1))
    try:
        parse_did(did)
    except ValueError:
        raise InvalidDidError(
            did=did[:200], reason="a Cornerstone DID is did:cornerstone:<chain id>:<id>"
        ) from None


class Resolver:
    """Resolution through the node's did module queries."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self._chain_id: str | None = None
        self._lock = threading.Lock()

    def chain_id(self) -> str:
        with self._lock:
            if self._chain_id is None:
                self._chain_id = str(self.node.status()["node_info"]["network"])
            return self._chain_id

    def resolve(
        self, did: str, *, version_id: int | None, height: int, time_ns: int
    ) -> dict[str, Any]:
        """The did module's resolution result; UnknownDidError when there is no document."""
        check_did(did)
        if version_id is not None:
            height = self._height_of_version(did, version_id)
        found, _at = self.node.query(
            "did", "resolve", {"did": did, "height": height, "time": time_ns}
        )
        if not isinstance(found, dict) or found.get("didDocument") is None:
            raise UnknownDidError(did=did, reason=self._why_not_found(did, height, time_ns))
        metadata = found.get("didDocumentMetadata") or {}
        if version_id is not None and metadata.get("versionId") != str(version_id):
            raise UnknownDidError(
                did=did,
                reason=(
                    f"has a version {version_id} that a later change in the same block "
                    f"(height {height}) replaced: it cannot be resolved by height"
                ),
            )
        return found

    def _height_of_version(self, did: str, version_id: int) -> int:
        versions, _at = self.node.query("did", "history", {"did": did})
        for version in versions if isinstance(versions, list) else []:
            if isinstance(version, dict) and version.get("versionId") == str(version_id):
                return int(version["height"])
        if not versions:
            raise UnknownDidError(did=did, reason=self._why_not_found(did, 0, 0))
        raise UnknownDidError(did=did, reason=f"has no version {version_id}")

    def _why_not_found(self, did: str, height: int, time_ns: int) -> str:
        chain_id, _id = parse_did(did)
        ours = self.chain_id()
        if chain_id != ours:
            return f"is a DID of the network {chain_id}; this gateway's network is {ours}"
        if height:
            return f"did not exist at height {height}"
        if time_ns:
            return "did not exist at that time"
        return "does not exist on this chain"


def error_result(error: GatewayError, *, instance: str) -> dict[str, Any]:
    """A resolution result that carries `error` in its resolution metadata."""
    keyword = {
        InvalidDidError: "invalidDid",
        DidMethodNotSupportedError: "methodNotSupported",
        UnknownDidError: "notFound",
    }.get(type(error), "invalidOptions")
    problem = models.Problem(
        type=f"urn:cornerstone:{error.codespace}:{error.code}",
        title=type(error).__name__.removesuffix("Error"),
        status=error.status,
        detail=error.message,
        code=error.code,
        codespace=error.codespace,
        instance=instance,
    )
    return {
        "@context": RESOLUTION_CONTEXT,
        "didDocument": None,
        "didDocumentMetadata": {},
        "didResolutionMetadata": {"error": keyword, "problemDetails": problem.model_dump()},
    }


# ---------------------------------------------------------------------------- routes
class DidJSONResponse(JSONResponse):
    media_type = DID_JSON


class VcJSONResponse(JSONResponse):
    media_type = VC_MEDIA


def _ref(name: str) -> dict[str, Any]:
    return {"schema": {"$ref": f"#/components/schemas/{name}"}}


RESOLUTION_CONTENT: Final = {
    DID_RESOLUTION: _ref("DidResolutionResult"),
    DID_RESOLUTION_LD: _ref("DidResolutionResult"),
}
PROBLEM_CONTENT: Final = {PROBLEM_JSON: _ref("Problem")}
RESOLVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": RESOLUTION_CONTENT},
    400: {
        "description": "Not a DID (invalidDid), or bad options",
        "content": {**PROBLEM_CONTENT, **RESOLUTION_CONTENT},
    },
    404: {
        "description": "No such DID, or not then (notFound)",
        "content": {**PROBLEM_CONTENT, **RESOLUTION_CONTENT},
    },
    406: {"description": "No media type asked for is served", "content": PROBLEM_CONTENT},
    410: {
        "description": "Deactivated: the last document, with its metadata",
        "content": {DID_JSON: _ref("DidDocument"), **RESOLUTION_CONTENT},
    },
    429: {"description": "Too many requests from this client", "content": PROBLEM_CONTENT},
    501: {
        "description": "A DID of another method (methodNotSupported)",
        "content": {**PROBLEM_CONTENT, **RESOLUTION_CONTENT},
    },
    502: {"description": "The node answered wrongly", "content": PROBLEM_CONTENT},
    503: {"description": "The node does not answer", "content": PROBLEM_CONTENT},
}
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": text, "content": PROBLEM_CONTENT}
    for status, text in (
        (400, "A mistake in the request"),
        (404, "Not found"),
        (429, "Too many requests from this client"),
        (501, "A DID of another method"),
        (502, "The node answered wrongly"),
        (503, "The node does not answer"),
    )
}
Did = Annotated[str, PathParameter(description="A DID, did:cornerstone:<chain id>:<id>.")]
Purpose = Annotated[Literal["revocation", "suspension"], PathParameter(description="The list.")]
Number = Annotated[int, PathParameter(ge=0, le=MAX_NUMBER, description="Which list (0, 1, ...).")]


def add_routes(app: FastAPI, gateway: Gateway) -> None:
    """The DID, status list and trust list routes."""
    node = gateway.node
    resolver = Resolver(node)

    @app.get(
        "/v1/dids/{did}",
        response_model=DidDocument,
        response_class=DidJSONResponse,
        response_description="The DID document, or the resolution result (by Accept)",
        responses=RESOLVE_RESPONSES,
        tags=["identity"],
        summary="Resolve a DID",
    )
    def resolve_did(
        did: Did,
        request: Request,
        version_id: Annotated[
            int | None,
            Query(alias="versionId", ge=1, le=MAX_NUMBER, description="This version (1, 2, ...)."),
        ] = None,
        version_time: Annotated[
            str | None,
            Query(alias="versionTime", description="As of this time, e.g. 2026-01-01T00:00:00Z."),
        ] = None,
        version_height: Annotated[
            int | None,
            Query(alias="versionHeight", ge=1, le=MAX_HEIGHT, description="As of this block."),
        ] = None,
    ) -> Response:
        """The DID document (`application/did+json`, the default) or, with `Accept:
        application/did-resolution`, the resolution result with the document's metadata
        (created, updated, versionId, versionHeight, deactivated). A deactivated DID answers
        410 with its last document."""
        wanted = representation(request.headers.get("accept"))
        try:
            found = resolver.resolve(
                did,
                version_id=version_id,
                height=version_height or 0,
                time_ns=_time_option(version_id, version_time, version_height),
            )
        except (InvalidDidError, DidMethodNotSupportedError, UnknownDidError) as error:
            if wanted == "document":
                raise
            return JSONResponse(
                error_result(error, instance=request.url.path),
                status_code=error.status,
                media_type=DID_RESOLUTION if wanted == "result" else DID_RESOLUTION_LD,
                headers=VARY,
            )
        deactivated = bool((found.get("didDocumentMetadata") or {}).get("deactivated"))
        status = 410 if deactivated else 200
        if wanted == "document":
            return DidJSONResponse(found["didDocument"], status_code=status, headers=VARY)
        return JSONResponse(
            {"@context": RESOLUTION_CONTEXT, **found},
            status_code=status,
            media_type=DID_RESOLUTION if wanted == "result" else DID_RESOLUTION_LD,
            headers=VARY,
        )

    def status_list(issuer: str, purpose: str, number: int) -> Response:
        check_did(issuer)
        url = f"{issuer}/status/{purpose}/{number}"
        found, _at = node.query(
            "did", "status_list", {"issuer": issuer, "purpose": purpose, "number": number}
        )
        if not isinstance(found, dict):
            raise UnknownStatusListError(
                url=url, reason="its issuer has taken no status index in it"
            )
        # Always re-fetched: a revocation changes it from the next block on.
        return VcJSONResponse(found, headers={"Cache-Control": "no-cache"})

    status_doc = (
        "The BitstringStatusListCredential of an issuer's list, built from chain state "
        "(unsigned: its authority is the chain; each entry is a provable state key)."
    )

    @app.get(
        "/v1/dids/{did}/status/{purpose}/{number}",
        response_model=StatusListCredential,
        response_class=VcJSONResponse,
        responses=PROBLEMS,
        tags=["identity"],
        summary="Dereference a status list's DID URL",
        description=status_doc
        + " The path is the DID URL a credential's `statusListCredential` names.",
    )
    def did_status_list(did: Did, purpose: Purpose, number: Number) -> Response:
        return status_list(did, purpose, number)

    @app.get(
        "/v1/status-lists/{issuer}/{purpose}/{number}",
        response_model=StatusListCredential,
        response_class=VcJSONResponse,
        responses=PROBLEMS,
        tags=["identity"],
        summary="A status list credential",
        description=status_doc,
    )
    def issuer_status_list(
        issuer: Annotated[str, PathParameter(description="The issuer's DID.")],
        purpose: Purpose,
        number: Number,
    ) -> Response:
        return status_list(issuer, purpose, number)

    def trust(credential_type: str | None) -> TrustList:
        if credential_type is not None:
            try:
                check_credential_type(credential_type)
            except ValueError as exc:
                raise BadParameterError(reason=f"{credential_type[:100]!r}: {exc}") from None
        found, at = node.query("did", "trusted", {"credential_type": credential_type or ""})
        listed = found if isinstance(found, list) else []
        items = [TrustedIssuer.model_validate(item) for item in listed]
        return TrustList(credential_type=credential_type, height=at, items=items)

    @app.get(
        "/v1/trust",
        response_model=TrustList,
        responses=PROBLEMS,
        tags=["identity"],
        summary="Every trust list",
    )
    def trust_lists() -> TrustList:
        """Every issuer the consortium trusts, for every credential type."""
        return trust(None)

    @app.get(
        "/v1/trust/{credential_type}",
        response_model=TrustList,
        responses=PROBLEMS,
        tags=["identity"],
        summary="The trust list of a credential type",
    )
    def trust_list(credential_type: str) -> TrustList:
        """The issuers the consortium trusts for one credential type (governance decides)."""
        return trust(credential_type)

    _document_schemas(app)


def _time_option(version_id: int | None, version_time: str | None, height: int | None) -> int:
    """The versionTime in nanoseconds (0 without one); one version option at most."""
    if sum(option is not None for option in (version_id, version_time, height)) > 1:
        raise BadParameterError(reason="give at most one of versionId, versionTime, versionHeight")
    if version_time is None:
        return 0
    try:
        return from_text(version_time)
    except ValueError as exc:
        raise BadParameterError(reason=f"versionTime: {exc}") from None


def _document_schemas(app: FastAPI) -> None:
    """Put the resolution result's schema in the OpenAPI document's components: the routes
    name it for media types FastAPI does not generate."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        components = document.setdefault("components", {}).setdefault("schemas", {})
        if "DidResolutionResult" not in components:
            _, top = models_json_schema(
                [(DidResolutionResult, "serialization"), (models.Problem, "serialization")],
                ref_template="#/components/schemas/{model}",
            )
            for name, schema in top.get("$defs", {}).items():
                components.setdefault(name, schema)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
