"""Errors of the notary module (codes 1000-1099, codespace "notary")."""

from cornerstone.errors import TransactionError


class NotaryError(TransactionError):
    codespace = "notary"


class AlreadyAnchoredError(NotaryError):
    code = 1000
    template = "the digest {digest} is already anchored (document {document}, revision {revision})"


class DocumentNotFoundError(NotaryError):
    code = 1001
    template = "no document was anchored with the digest {digest}"


class NotOwnerError(NotaryError):
    code = 1002
    template = "only the owner {owner} can revise document {document}"
