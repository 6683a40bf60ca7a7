"""Interoperability: the W3C's own eddsa-jcs-2022 test vectors verify in our verifier (and our
signer reproduces them byte for byte), and our credentials and presentations verify in an
independent verifier written here from the specification's text, on other code paths: the
`rfc8785` package for JCS, `cryptography` for Ed25519, and base58 decoding of its own. A
credential that independent code signs verifies in ours.

The vectors are the files of w3c/vc-di-eddsa, TestVectors/eddsa-jcs-2022/ (the repository of
"Data Integrity EdDSA Cryptosuites v1.0"), and its TestVectors/keyPair.json:
https://github.com/w3c/vc-di-eddsa/tree/main/TestVectors/eddsa-jcs-2022
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cornerstone.crypto import PrivateKey
from cornerstone.vc import (
    BadProofError,
    RevokedError,
    StatusRef,
    issue_credential,
    present,
    sign_status_list,
    verify_credential,
)
from cornerstone.vc.multibase import decode_base58btc, decode_multikey, encode_multikey
from cornerstone.vc.proof import add_proof, verify_proof
from cornerstone.vc.statuslist import encode_list

# https://github.com/w3c/vc-di-eddsa/blob/main/TestVectors/keyPair.json
W3C_PUBLIC_KEY: Final = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
W3C_PRIVATE_KEY: Final = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"

# https://github.com/w3c/vc-di-eddsa/blob/369f0f00ad3d08fb51abafc7935f3b6fa6e693c8/TestVectors/eddsa-jcs-2022/signedJCS.json
# (the Recommendation's algorithm: the proof carries the document's @context)
SIGNED_JCS: Final = """{
  "@context": [
    "https://www.w3.org/ns/credentials/v2",
    "https://www.w3.org/ns/credentials/examples/v2"
  ],
  "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
  "type": [
    "VerifiableCredential",
    "AlumniCredential"
  ],
  "name": "Alumni Credential",
  "description": "A minimum viable example of an Alumni Credential.",
  "issuer": "https://vc.example/issuers/5678",
  "validFrom": "2023-01-01T00:00:00Z",
  "credentialSubject": {
    "id": "did:example:abcdefgh",
    "alumniOf": "The School of Examples"
  },
  "proof": {
    "type": "DataIntegrityProof",
    "cryptosuite": "eddsa-jcs-2022",
    "created": "2023-02-24T23:36:38Z",
    "verificationMethod": "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
    "proofPurpose": "assertionMethod",
    "@context": [
      "https://www.w3.org/ns/credentials/v2",
      "https://www.w3.org/ns/credentials/examples/v2"
    ],
    "proofValue": "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"
  }
}"""  # noqa: E501  (the published file, unchanged)
# TestVectors/eddsa-jcs-2022/sigHexJCS.txt of the same commit: the signature in hex.
SIGNATURE_HEX: Final = (
    "fc91dec6565f35fbe185a77352e7fc512f95d1904da305cfef32ab8135469301"
    "f5a72d4e7a58368fc6ffc497b44633993bac054e3bc1436e3c846db8f1544503"
)
# https://github.com/w3c/vc-di-eddsa/blob/4ced357352f5a9eccb7452dcf173c9fe7ad3be09/TestVectors/eddsa-jcs-2022/signedJCS.json
# (the earlier draft: the same credential, a proof without @context)
EARLIER_PROOF_VALUE: Final = (
    "z3P6rHMUaWG6e3Ac6xYFht8aEvoVXndgKTtEY8kzWYXzk8dKmAo2GJeZiJw4qoZ2PGp4ugdaHx3oQiLpeFBLDqP2M"
)


def w3c_signed() -> dict[str, Any]:
    value: dict[str, Any] = json.loads(SIGNED_JCS)
    return value


def w3c_earlier() -> dict[str, Any]:
    value = w3c_signed()
    del value["proof"]["@context"]
    value["proof"]["proofValue"] = EARLIER_PROOF_VALUE
    return value


# ---------------------------------------------------------------------------- theirs in ours
def test_the_w3c_vectors_verify_in_our_verifier() -> None:
    key = decode_multikey(W3C_PUBLIC_KEY)
    assert verify_proof(w3c_signed(), key)
    assert verify_proof(w3c_earlier(), key)
    assert decode_base58btc(w3c_signed()["proof"]["proofValue"]).hex() == SIGNATURE_HEX
    tampered = w3c_signed()
    tampered["credentialSubject"]["alumniOf"] = "Another School"
    assert not verify_proof(tampered, key)
    other_context = w3c_signed()
    other_context["proof"]["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    assert not verify_proof(other_context, key)


def test_our_signer_reproduces_the_w3c_vector_byte_for_byte() -> None:
    seed = decode_base58btc(W3C_PRIVATE_KEY)
    assert seed[:2] == b"\x80\x26"  # the ed25519-priv multicodec header
    key = PrivateKey.from_seed(seed[2:])
    assert encode_multikey(key.public_key) == W3C_PUBLIC_KEY
    published = w3c_signed()
    proof = published.pop("proof")
    ours = add_proof(
        published,
        key,
        verification_method=proof["verificationMethod"],
        proof_purpose=proof["proofPurpose"],
        created=proof["created"],
    )
    assert ours["proof"] == proof


# ---------------------------------------------------------------------------- independent code
_ALPHABET: Final = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def _base58(text: str) -> bytes:
    """base58btc decoding as the draft-msporny-base58 text describes it, digit by digit into a
    byte array (our own code goes through one big integer)."""
    out = bytearray()
    for char in text:
        carry = _ALPHABET.index(char)
        for i in range(len(out) - 1, -1, -1):
            carry += out[i] * 58
            out[i] = carry & 0xFF
            carry >>= 8
        while carry:
            out.insert(0, carry & 0xFF)
            carry >>= 8
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + bytes(out)


def independent_verify(secured: Mapping[str, Any], public_multibase: str) -> bool:
    """vc-di-eddsa 3.3.2 "Verify Proof (eddsa-jcs-2022)", step by step."""
    document = copy.deepcopy(dict(secured))
    proof_options = document.pop("proof")
    proof_bytes = _base58(proof_options.pop("proofValue")[1:])
    if "@context" in proof_options:
        if document["@context"][: len(proof_options["@context"])] != proof_options["@context"]:
            return False
        document["@context"] = proof_options["@context"]
    transformed = rfc8785.dumps(document)
    canonical_proof_config = rfc8785.dumps(proof_options)
    hash_data = (
        hashlib.sha256(canonical_proof_config).digest() + hashlib.sha256(transformed).digest()
    )
    key_bytes = _base58(public_multibase[1:])
    assert key_bytes[:2] == b"\xed\x01"
    try:
        Ed25519PublicKey.from_public_bytes(key_bytes[2:]).verify(proof_bytes, hash_data)
    except InvalidSignature:
        return False
    return True


def independent_sign(
    document: Mapping[str, Any], seed: bytes, options: Mapping[str, str]
) -> dict[str, Any]:
    """vc-di-eddsa 3.3.1 "Create Proof (eddsa-jcs-2022)" with other code than ours."""
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        **options,
        "@context": document["@context"],
    }
    hash_data = (
        hashlib.sha256(rfc8785.dumps(proof)).digest()
        + hashlib.sha256(rfc8785.dumps(document)).digest()
    )
    signature = Ed25519PrivateKey.from_private_bytes(seed).sign(hash_data)
    number = int.from_bytes(signature, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = _ALPHABET[digit] + text
    return {**document, "proof": {**proof, "proofValue": "z" + text}}


def test_the_independent_verifier_agrees_on_the_w3c_vectors() -> None:
    assert independent_verify(w3c_signed(), W3C_PUBLIC_KEY)
    assert independent_verify(w3c_earlier(), W3C_PUBLIC_KEY)


ISSUER: Final = "did:cornerstone:test-chain:org1.issuer"
HOLDER: Final = "did:cornerstone:test-chain:org2.holder"
SEED: Final = hashlib.sha256(b"interop issuer").digest()
HOLDER_SEED: Final = hashlib.sha256(b"interop holder").digest()
NOW: Final = 1_767_225_600 * 10**9


class StaticRegistry:
    """Two DIDs with one key each, a trust list and clean status lists: what a verifier reads
    from the chain, fixed."""

    def __init__(self) -> None:
        self.keys = {
            ISSUER: encode_multikey(PrivateKey.from_seed(SEED).public_key),
            HOLDER: encode_multikey(PrivateKey.from_seed(HOLDER_SEED).public_key),
        }

    def resolve(self, did: str, *, time_ns: int = 0) -> Mapping[str, Any] | None:
        if did not in self.keys:
            return None
        method = f"{did}#key-1"
        document = {
            "id": did,
            "verificationMethod": [
                {
                    "id": method,
                    "type": "Multikey",
                    "controller": did,
                    "publicKeyMultibase": self.keys[did],
                }
            ],
            "authentication": [method],
            "assertionMethod": [method],
        }
        return {"didDocument": document, "didDocumentMetadata": {"deactivated": False}}

    def is_trusted(self, credential_type: str, issuer: str) -> bool:
        return (credential_type, issuer) == ("AlumniCredential", ISSUER)

    def status_list(self, url: str) -> Mapping[str, Any] | None:
        purpose = url.split("/")[-2]
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": ISSUER,
            "credentialSubject": {
                "id": url + "#list",
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": encode_list([]),
            },
        }


def ours() -> dict[str, Any]:
    return issue_credential(
        issuer=ISSUER,
        key=PrivateKey.from_seed(SEED),
        verification_method=ISSUER + "#key-1",
        types=["AlumniCredential"],
        subject={"id": HOLDER, "alumniOf": "Escuela de Ejemplos — ünïcødé ✓", "year": 2025},
        valid_from_ns=NOW,
        valid_until_ns=NOW + 10**18,
        status=StatusRef(issuer=ISSUER, index=131_075),
        created_ns=NOW,
    )


def test_our_credentials_and_presentations_verify_in_the_independent_verifier() -> None:
    credential = ours()
    assert independent_verify(credential, StaticRegistry().keys[ISSUER])
    assert (
        credential["credentialStatus"][0]["statusListCredential"] == ISSUER + "/status/revocation/1"
    )
    changed = {**credential, "validUntil": "2099-01-01T00:00:00Z"}
    assert not independent_verify(changed, StaticRegistry().keys[ISSUER])
    presentation = present(
        [credential],
        holder=HOLDER,
        key=PrivateKey.from_seed(HOLDER_SEED),
        verification_method=HOLDER + "#key-1",
        challenge="n-1",
        domain="example.org",
        created_ns=NOW,
    )
    assert presentation["proof"]["challenge"] == "n-1"
    assert independent_verify(presentation, StaticRegistry().keys[HOLDER])


def test_a_credential_the_independent_code_signs_verifies_in_ours() -> None:
    unsigned = {k: v for k, v in ours().items() if k != "proof"}
    theirs = independent_sign(
        unsigned,
        SEED,
        {
            "created": "2026-01-01T00:00:00Z",
            "verificationMethod": ISSUER + "#key-1",
            "proofPurpose": "assertionMethod",
        },
    )
    verified = verify_credential(theirs, StaticRegistry(), now_ns=NOW + 1)
    assert verified.issuer == ISSUER and verified.types == ("AlumniCredential",)
    theirs["credentialSubject"]["year"] = 2024
    with pytest.raises(BadProofError):
        verify_credential(theirs, StaticRegistry(), now_ns=NOW + 1)


class SignedListRegistry(StaticRegistry):
    """Serves the status lists signed by `signer`, as an issuer hands them to outsiders."""

    def __init__(self, signer: PrivateKey, revoked: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.signer, self.revoked = signer, revoked

    def status_list(self, url: str) -> Mapping[str, Any] | None:
        unsigned = dict(super().status_list(url) or {})
        unsigned["credentialSubject"] = {
            **unsigned["credentialSubject"],
            "encodedList": encode_list(self.revoked),
        }
        return sign_status_list(
            unsigned, self.signer, verification_method=ISSUER + "#key-1", created_ns=NOW
        )


def test_a_signed_status_list_is_checked_before_its_bits_are_believed() -> None:
    credential = ours()  # index 131075: list 1, position 3
    assert verify_credential(credential, SignedListRegistry(PrivateKey.from_seed(SEED)), now_ns=NOW)
    with pytest.raises(RevokedError):
        verify_credential(
            credential, SignedListRegistry(PrivateKey.from_seed(SEED), (3,)), now_ns=NOW
        )
    forged = SignedListRegistry(PrivateKey.from_seed(HOLDER_SEED), (3,))
    with pytest.raises(BadProofError):
        verify_credential(credential, forged, now_ns=NOW)
