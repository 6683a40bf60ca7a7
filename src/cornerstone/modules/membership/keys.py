"""State keys of the membership module.

membership/org/<org id, ASCII>                   -> {"name": str, "root": DER, "status": str,
                                                     "nodes": [node id hex], "since": height}
membership/member/<identity id, 32 bytes>        -> {"org": str, "role": str, "suite": str,
                                                     "key": bytes, "name": str}
membership/revoked/<org id>/<serial, 20 bytes>   -> {"reason": str, "height": int}
membership/validator/<Ed25519 key, 32 bytes>     -> {"org": str, "power": int}
membership/update/<Ed25519 key, 32 bytes>        -> int, a validator power change not yet
                                                    handed to CometBFT (taken at block end)

An identity id is the fingerprint of the member's public key (`PublicKey.fingerprint`).
Serial numbers are big-endian, left-padded to 20 bytes (RFC 5280's largest), so revocations
of one organization sort by serial.
"""

ORG_PREFIX = b"membership/org/"
MEMBER_PREFIX = b"membership/member/"
REVOKED_PREFIX = b"membership/revoked/"
VALIDATOR_PREFIX = b"membership/validator/"
UPDATE_PREFIX = b"membership/update/"
SERIAL_SIZE = 20


def org_key(org_id: str) -> bytes:
    return ORG_PREFIX + org_id.encode("ascii")


def member_key(identity_id: bytes) -> bytes:
    return MEMBER_PREFIX + identity_id


def revoked_prefix(org_id: str) -> bytes:
    return REVOKED_PREFIX + org_id.encode("ascii") + b"/"


def revoked_key(org_id: str, serial: int) -> bytes:
    return revoked_prefix(org_id) + serial.to_bytes(SERIAL_SIZE, "big")


def validator_key(public_key: bytes) -> bytes:
    return VALIDATOR_PREFIX + public_key


def update_key(public_key: bytes) -> bytes:
    return UPDATE_PREFIX + public_key
