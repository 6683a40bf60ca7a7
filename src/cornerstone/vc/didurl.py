"""The DID method of a Cornerstone network: `did:cornerstone:<chain id>:<id>`.

The chain id names the network, so two networks never mint the same DID; the id is either
"<org>.<name>" (chosen by an organization) or 22 base58 characters derived from the creating
transaction's hash. DID URLs add a fragment for a verification method
("...#key-1") or a path for the issuer's status lists (".../status/revocation/0").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

METHOD_PREFIX: Final = "did:cornerstone:"
ID_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,64}")
CHAIN_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,50}")
FRAGMENT_RE: Final = re.compile(r"[A-Za-z0-9._-]{1,32}")


def did_of(chain_id: str, did_id: str) -> str:
    return f"{METHOD_PREFIX}{chain_id}:{did_id}"


def parse_did(did: str) -> tuple[str, str]:
    """(chain id, id) of a Cornerstone DID; ValueError for anything else."""
    if not did.startswith(METHOD_PREFIX):
        raise ValueError(f"{did!r} is not a did:cornerstone DID")
    chain_id, sep, did_id = did[len(METHOD_PREFIX) :].partition(":")
    if not sep or not CHAIN_RE.fullmatch(chain_id) or not ID_RE.fullmatch(did_id):
        raise ValueError(f"{did!r} is not did:cornerstone:<chain id>:<id>")
    return chain_id, did_id


@dataclass(frozen=True, slots=True)
class DidUrl:
    """A DID URL split into its parts."""

    did: str
    path: str
    """"" or "/..." after the DID."""
    fragment: str
    """"" or the text after "#"."""


def parse_did_url(url: str) -> DidUrl:
    """The parts of a did:cornerstone DID URL (no query part); ValueError otherwise."""
    rest, _, fragment = url.partition("#")
    did, slash, path = rest.partition("/")
    parse_did(did)
    return DidUrl(did=did, path=slash + path, fragment=fragment)
