"""State keys of the notary module.

notary/doc/<digest 32>                -> {"owner": bytes, "org": str, "height": int,
                                          "time": int, "metadata": map, "revisions": int}
notary/rev/<digest 32><n, 4 bytes BE> -> {"digest": bytes, "height": int, "time": int,
                                          "metadata": map}          (n = 1, 2, ...)
notary/hash/<digest 32>               -> {"document": bytes, "revision": int}
                                         (the digest of each revision, so any version can be
                                          looked up; an original is found by its doc key, so
                                          anchoring writes one key, not two)
"""

DOC_PREFIX = b"notary/doc/"
REV_PREFIX = b"notary/rev/"
HASH_PREFIX = b"notary/hash/"


def doc_key(digest: bytes) -> bytes:
    return DOC_PREFIX + digest


def rev_key(document: bytes, number: int) -> bytes:
    return REV_PREFIX + document + number.to_bytes(4, "big")


def hash_key(digest: bytes) -> bytes:
    return HASH_PREFIX + digest
