"""SDK helpers for DIDs and credentials: resolve a DID, take a status index, and the Registry
a credential verifier reads the chain through.

    registry = did_registry(client)
    verify_credential(credential, registry)
"""

from __future__ import annotations

from typing import Any

from cornerstone.sdk.client import Client, Committed, Signer
from cornerstone.vc.credentials import ChainRegistry

MODULE = "did"


def did_registry(client: Client) -> ChainRegistry:
    """The Registry of the did module behind `client`'s node."""
    return ChainRegistry(client.query)


def resolve(client: Client, did: str, *, height: int = 0, time_ns: int = 0) -> dict[str, Any]:
    """The DID resolution result (document, document metadata, resolution metadata) as of a
    height or time (0: now)."""
    found = client.query(MODULE, "resolve", did=did, height=height, time=time_ns)
    assert isinstance(found, dict), "resolve answers a map"
    return found


def created_did(committed: Committed) -> str:
    """The DID a committed `did.create` made."""
    return _attribute(committed, "did.created", "did")


def allocate_status(signer: Signer, issuer: str) -> int:
    """Take the issuer's next status index (the signer must control the issuer DID)."""
    committed = signer.submit(MODULE, "allocate_status", {"issuer": issuer})
    return int(_attribute(committed, "did.status_allocated", "index"))


def _attribute(committed: Committed, kind: str, name: str) -> str:
    for event, attributes in committed.events:
        if event == kind and name in attributes:
            return attributes[name]
    raise AssertionError(f"a committed transaction has its {kind} event")
