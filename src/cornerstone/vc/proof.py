"""DataIntegrityProof with the cryptosuite eddsa-jcs-2022 (W3C "Data Integrity EdDSA
Cryptosuites v1.0", section 3.3), as the specification's algorithms read:

    add:    proof = {type, cryptosuite, created, verificationMethod, proofPurpose,
                     [challenge, domain], @context = document's @context}
            hashData = SHA-256(JCS(proof)) || SHA-256(JCS(document without proof))
            proofValue = "z" + base58btc(Ed25519 signature of hashData)
    verify: the same hashData from the secured document, after checking that the proof's
            @context is a prefix of the document's (and using it as the document's)

Only the cryptography lives here; which key a verification method names, and whether it may
make assertions, is the resolver's business (`cornerstone.vc.credentials`).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any, Final

from cornerstone.crypto import PrivateKey, PublicKey, Suite
from cornerstone.vc.jcs import canonicalize
from cornerstone.vc.multibase import decode_base58btc, encode_base58btc

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-jcs-2022"
SIGNATURE_SIZE: Final = 64


def hash_data(document: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    """The 64 bytes that are signed: the proof configuration's hash, then the document's."""
    return (
        hashlib.sha256(canonicalize(proof_config)).digest()
        + hashlib.sha256(canonicalize(document)).digest()
    )


def add_proof(
    document: Mapping[str, Any],
    key: PrivateKey,
    *,
    verification_method: str,
    proof_purpose: str,
    created: str,
    challenge: str | None = None,
    domain: str | None = None,
) -> dict[str, Any]:
    """`document` with an eddsa-jcs-2022 proof by `key` (an Ed25519 key)."""
    if key.suite is not Suite.ED25519:
        raise ValueError("eddsa-jcs-2022 signs with an Ed25519 key")
    if "proof" in document:
        raise ValueError("the document has a proof already")
    unsecured = copy.deepcopy(dict(document))
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    if challenge is not None:
        proof["challenge"] = challenge
    if domain is not None:
        proof["domain"] = domain
    if "@context" in unsecured:
        proof["@context"] = copy.deepcopy(unsecured["@context"])
    signature = key.sign(hash_data(unsecured, proof))
    return {**unsecured, "proof": {**proof, "proofValue": encode_base58btc(signature)}}


def split_proof(secured: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The unsecured document and its one proof; ValueError when the shape is not ours."""
    proof = secured.get("proof")
    if not isinstance(proof, Mapping):
        raise ValueError("the document has no proof, or more than one")
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    return unsecured, dict(proof)


def verify_proof(secured: Mapping[str, Any], public_key: PublicKey) -> bool:
    """True when the document's eddsa-jcs-2022 proof verifies with `public_key`."""
    try:
        unsecured, proof = split_proof(secured)
    except ValueError:
        return False
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    proof_value = proof.pop("proofValue", None)
    if not isinstance(proof_value, str) or public_key.suite is not Suite.ED25519:
        return False
    if "@context" in proof:
        context = proof["@context"]
        document_context = unsecured.get("@context")
        if not _starts_with(document_context, context):
            return False
        unsecured["@context"] = context
    try:
        signature = decode_base58btc(proof_value)
        data = hash_data(unsecured, proof)
    except ValueError:
        return False
    return len(signature) == SIGNATURE_SIZE and public_key.verify(signature, data)


def _starts_with(document_context: Any, proof_context: Any) -> bool:
    ours, theirs = _as_list(document_context), _as_list(proof_context)
    return ours[: len(theirs)] == theirs


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
