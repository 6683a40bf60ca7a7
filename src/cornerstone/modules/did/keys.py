"""State keys of the did module.

did/head/<id, ASCII>                        -> int, the DID's current version (1, 2, ...)
did/version/<id>/<version, 4 bytes BE>      -> the whole DID record as of that version (see
                                               state.DidRecord): every version is kept, so a DID
                                               resolves as of any height or time
did/bind/org/<org id, ASCII>                -> str, the id of the DID bound to the organization
did/bind/member/<identity id, 32 bytes>     -> str, the id of the DID bound to the member
did/trust/<credential type>/<issuer DID>    -> {"height": int, "time": int}
did/next/<issuer id>                        -> int, the issuer's next status index (never
                                               decreases, so an index is never reused)
did/status/<issuer id>/<index, 8 bytes BE>  -> {"state": "active" | "suspended" | "revoked",
                                               "height": int}

An id matches [A-Za-z0-9._-]{1,64} and a credential type [A-Za-z0-9._:-]{1,64}: neither holds
"/", so each DID's and each type's prefix is disjoint from every other's.
"""

HEAD_PREFIX = b"did/head/"
VERSION_PREFIX = b"did/version/"
BIND_ORG_PREFIX = b"did/bind/org/"
BIND_MEMBER_PREFIX = b"did/bind/member/"
TRUST_PREFIX = b"did/trust/"
NEXT_PREFIX = b"did/next/"
STATUS_PREFIX = b"did/status/"


def head_key(did_id: str) -> bytes:
    return HEAD_PREFIX + did_id.encode("ascii")


def version_prefix(did_id: str) -> bytes:
    return VERSION_PREFIX + did_id.encode("ascii") + b"/"


def version_key(did_id: str, version: int) -> bytes:
    return version_prefix(did_id) + version.to_bytes(4, "big")


def bind_org_key(org: str) -> bytes:
    return BIND_ORG_PREFIX + org.encode("ascii")


def bind_member_key(identity_id: bytes) -> bytes:
    return BIND_MEMBER_PREFIX + identity_id


def trust_prefix(credential_type: str) -> bytes:
    return TRUST_PREFIX + credential_type.encode("ascii") + b"/"


def trust_key(credential_type: str, issuer: str) -> bytes:
    return trust_prefix(credential_type) + issuer.encode("ascii")


def next_key(issuer_id: str) -> bytes:
    return NEXT_PREFIX + issuer_id.encode("ascii")


def status_prefix(issuer_id: str) -> bytes:
    return STATUS_PREFIX + issuer_id.encode("ascii") + b"/"


def status_key(issuer_id: str, index: int) -> bytes:
    return status_prefix(issuer_id) + index.to_bytes(8, "big")
