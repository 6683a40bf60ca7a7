"""State keys of the contracts module.

contracts/meta/<name, ASCII>            -> {"version": str, "code_hash": bytes (sha256 of the
                                            source's UTF-8), "status": str, "status_height": int,
                                            "installed_at": int, "upgraded_at": int,
                                            "org": str, "policies": {function: policy map},
                                            "migration": str}
contracts/code/<name, ASCII>            -> the source, UTF-8
contracts/data/<name, ASCII>/<map key>  -> the contract's own state, laid out by
                                           `cornerstone.contracts.storage` (a Map's name,
                                           0x00, the encoded key)

Names match [a-z][a-z0-9_]{0,63}, so no name contains "/" and each contract's data prefix is
disjoint from every other's. The source has a key of its own so that a call, which reads the
metadata every time, never pays to read the source (the node's cache of compiled contracts is
keyed by the code hash in the metadata).
"""

META_PREFIX = b"contracts/meta/"
CODE_PREFIX = b"contracts/code/"
DATA_PREFIX = b"contracts/data/"


def meta_key(name: str) -> bytes:
    return META_PREFIX + name.encode("ascii")


def code_key(name: str) -> bytes:
    return CODE_PREFIX + name.encode("ascii")


def data_prefix(name: str) -> bytes:
    return DATA_PREFIX + name.encode("ascii") + b"/"
