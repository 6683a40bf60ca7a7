"""State keys of the datashare module (every number big-endian, so keys sort by it).

datashare/enckey/<identity 32>                   -> {"key": X25519 public key (32), "org": str,
                                                     "height": int, ["receiving": 33,
                                                     "delegating": 33, "verifying": 33]
                                                     (Umbral public keys, when registered)}
datashare/dataset/<dataset 16>                   -> {"owner": identity, "org": str, "title": str,
                                                     "versions": int, "grants": int,
                                                     "height": int, "time": int}
datashare/version/<dataset 16><version 4>        -> {"content_hash": 32, "cipher_hash": 32,
                                                     "size": int, "location": str,
                                                     "description": str, "schema": str,
                                                     "owner_key": sealed box (80),
                                                     "height": int, "time": int,
                                                     ["capsule": 105, "key_ciphertext": 72,
                                                     "delegating_key": 33] (for proxies)}
datashare/grant/<dataset 16><grant 4>            -> {"kind": str, "grantee": str,
                                                     "purpose": str, "expires_height": int,
                                                     "expires_time": int, "height": int,
                                                     "time": int, "revoked_at": int,
                                                     "issuer": str ("" but for a
                                                     credential grant naming one)}
datashare/request/<dataset 16><version 4><identity 32>
                                                 -> {"purpose": str, "org": str, "height": int,
                                                     ["credential": CREDENTIAL]}
                                                    (pending; deleted by the release)
datashare/release/<dataset 16><version 4><identity 32>
                                                 -> {"wrapped_key": sealed box (80),
                                                     "recipient_key": X25519 public key}
datashare/receipt/<dataset 16><version 4><identity 32>
                                                 -> {"org": str, "grant": int, "purpose": str,
                                                     "height": int, "time": int,
                                                     "tx_hash": bytes,
                                                     ["credential": CREDENTIAL],
                                                     ["delivery": "proxies"]}
datashare/by_recipient/<identity 32><dataset 16><version 4> -> b"" (index of the receipts)
datashare/proxy/<org id>                         -> {"identity": 32, "key": X25519 (32),
                                                     "height": int}
datashare/delegation/<dataset 16><grant 4><identity 32>
                                                 -> {"threshold": int, "proxies": [[org,
                                                     kfrag id (32), sealed kfrag], ...],
                                                     "receiving": 33, "delegating": 33,
                                                     "verifying": 33, "height": int}
datashare/cfrag/<dataset 16><version 4><identity 32><org id>
                                                 -> {"grant": int, "cfrag": 381,
                                                     "height": int}

CREDENTIAL = {"id": str, "issuer": DID, "holder": DID, "types": [str], "valid_until": int (ns,
0: none), "statuses": [[purpose, index], ...]}: what the chain verified of a presented
credential (`did.verify.CredentialFact`), present only when a presentation proved one (on a
receipt: when a credential grant covered the release). Never the credential itself.

A receipt with "delivery": "proxies" has no release record: its key reached the recipient as
capsule fragments (datashare/cfrag/... of the same suffix), at least the delegation's threshold
of them from distinct proxies; it is written by the fragment that reached the threshold.

A release and its receipt share one suffix, so "one receipt per release" is a property of the
key layout that the invariants check. The release holds only a sealed box of the data key;
the receipt holds only who, what, when, under which grant and why: the audit trail proves
receipt keys without shipping wrapped keys around. The data itself is never in state.
"""

from typing import Final

ENCKEY_PREFIX: Final = b"datashare/enckey/"
DATASET_PREFIX: Final = b"datashare/dataset/"
VERSION_PREFIX: Final = b"datashare/version/"
GRANT_PREFIX: Final = b"datashare/grant/"
REQUEST_PREFIX: Final = b"datashare/request/"
RELEASE_PREFIX: Final = b"datashare/release/"
RECEIPT_PREFIX: Final = b"datashare/receipt/"
BY_RECIPIENT_PREFIX: Final = b"datashare/by_recipient/"
PROXY_PREFIX: Final = b"datashare/proxy/"
DELEGATION_PREFIX: Final = b"datashare/delegation/"
CFRAG_PREFIX: Final = b"datashare/cfrag/"
MODULE_PREFIX: Final = b"datashare/"

DATASET_ID_SIZE: Final = 16
IDENTITY_SIZE: Final = 32


def _n(number: int) -> bytes:
    return number.to_bytes(4, "big")


def enckey_key(identity: bytes) -> bytes:
    return ENCKEY_PREFIX + identity


def dataset_key(dataset: bytes) -> bytes:
    return DATASET_PREFIX + dataset


def version_key(dataset: bytes, version: int) -> bytes:
    return VERSION_PREFIX + dataset + _n(version)


def grant_key(dataset: bytes, grant: int) -> bytes:
    return GRANT_PREFIX + dataset + _n(grant)


def request_key(dataset: bytes, version: int, identity: bytes) -> bytes:
    return REQUEST_PREFIX + dataset + _n(version) + identity


def release_key(dataset: bytes, version: int, identity: bytes) -> bytes:
    return RELEASE_PREFIX + dataset + _n(version) + identity


def receipt_key(dataset: bytes, version: int, identity: bytes) -> bytes:
    return RECEIPT_PREFIX + dataset + _n(version) + identity


def by_recipient_key(identity: bytes, dataset: bytes, version: int) -> bytes:
    return BY_RECIPIENT_PREFIX + identity + dataset + _n(version)


def proxy_key(org: str) -> bytes:
    return PROXY_PREFIX + org.encode("ascii")


def delegation_key(dataset: bytes, grant: int, identity: bytes) -> bytes:
    return DELEGATION_PREFIX + dataset + _n(grant) + identity


def cfrags_prefix(dataset: bytes, version: int, identity: bytes) -> bytes:
    """Every capsule fragment of one (dataset, version, recipient)."""
    return CFRAG_PREFIX + dataset + _n(version) + identity


def cfrag_key(dataset: bytes, version: int, identity: bytes, org: str) -> bytes:
    return cfrags_prefix(dataset, version, identity) + org.encode("ascii")


def split_access(suffix: bytes) -> tuple[bytes, int, bytes]:
    """(dataset, version, identity) of a request, release or receipt key's suffix."""
    dataset = suffix[:DATASET_ID_SIZE]
    version = int.from_bytes(suffix[DATASET_ID_SIZE : DATASET_ID_SIZE + 4], "big")
    return dataset, version, suffix[DATASET_ID_SIZE + 4 :]
