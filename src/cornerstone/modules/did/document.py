"""A DID record as the W3C DID Core 1.0 document and resolution metadata people and verifiers
read (JSON; the gateway serves it over HTTP as application/did+json)."""

from __future__ import annotations

from typing import Any, Final

from cornerstone.modules.did.messages import RELATIONSHIPS
from cornerstone.modules.did.state import DidRecord
from cornerstone.vc.didurl import did_of
from cornerstone.vc.multibase import encode_multikey
from cornerstone.vc.times import to_text

DID_CONTEXT: Final = ("https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1")


def did_document(record: DidRecord, chain_id: str) -> dict[str, Any]:
    did = did_of(chain_id, record.id)
    controllers = [did, *record.controllers]
    document: dict[str, Any] = {
        "@context": list(DID_CONTEXT),
        "id": did,
        "controller": controllers[0] if len(controllers) == 1 else controllers,
    }
    if record.also_known_as:
        document["alsoKnownAs"] = list(record.also_known_as)
    document["verificationMethod"] = [
        {
            "id": f"{did}#{m.fragment}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": encode_multikey(m.public_key),
        }
        for m in record.methods
    ]
    for relationship in RELATIONSHIPS:
        document[relationship] = [
            f"{did}#{m.fragment}" for m in record.methods if relationship in m.relationships
        ]
    if record.services:
        document["service"] = [
            {"id": f"{did}#{s.fragment}", "type": s.type, "serviceEndpoint": s.endpoint}
            for s in record.services
        ]
    return document


def document_metadata(record: DidRecord, *, latest: int) -> dict[str, Any]:
    """DID Core's document metadata, plus the height of the version (a Cornerstone term)."""
    metadata: dict[str, Any] = {
        "created": to_text(record.created_time),
        "versionId": str(record.version),
        "versionHeight": record.height,
        "deactivated": record.deactivated,
    }
    if record.version > 1:
        metadata["updated"] = to_text(record.time)
    if record.version < latest:
        metadata["nextVersionId"] = str(record.version + 1)
    return metadata
