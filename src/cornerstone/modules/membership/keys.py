"""State keys of the membership module.

membership/org/<org id, ASCII>            -> {"name": str}
membership/member/<Ed25519 key, 32 bytes> -> {"org": str}
"""

ORG_PREFIX = b"membership/org/"
MEMBER_PREFIX = b"membership/member/"


def org_key(org_id: str) -> bytes:
    return ORG_PREFIX + org_id.encode("ascii")


def member_key(public_key: bytes) -> bytes:
    return MEMBER_PREFIX + public_key
