"""One error tree for all of Cornerstone, each error with a stable code and a sentence for people.

    CornerstoneError                  code, codespace, message, fields
    ├── UserError                     a mistake outside the chain (files, flags, local networks)
    │   ├── KeyFileError
    │   ├── ConfigError
    │   ├── LocalnetError
    │   └── ClientError               the SDK could not do what was asked (node down, timeout, ...)
    ├── TransactionError              a refused transaction; its code reaches CheckTx/FinalizeBlock
    │   ├── EncodingError             the bytes are not one canonical transaction (codes 1-19)
    │   ├── AuthError                 chain, signature, sender, nonce (codes 20-39)
    │   ├── RoutingError              unknown module or operation, bad arguments (codes 40-59)
    │   ├── GasError                  gas limit and metering (codes 60-79)
    │   ├── CertificateError          sender certificates, codespace "identity" (identity/errors.py)
    │   └── <module errors>           each module registers its own range (notary: 1000-1099)
    └── ProofError                    a state proof does not verify (code 90)

A code, once published, is never reused for another meaning: clients match on it. Codes are
unique across the tree; `all_codes()` lets a test check that.
"""

from __future__ import annotations

from typing import Any, ClassVar

_REGISTRY: dict[tuple[str, int], type[CornerstoneError]] = {}


class CornerstoneError(Exception):
    """Base of every error we raise on purpose."""

    code: ClassVar[int] = 0
    codespace: ClassVar[str] = "cornerstone"
    template: ClassVar[str] = "an error occurred"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__ and cls.code:
            key = (cls.codespace, cls.code)
            if key in _REGISTRY and _REGISTRY[key] is not cls:
                raise TypeError(f"error code {key} is used by {_REGISTRY[key].__name__} already")
            _REGISTRY[key] = cls

    def __init__(self, **fields: Any) -> None:
        self.fields = fields
        self.message = self.template.format(**fields)
        super().__init__(self.message)


def all_codes() -> dict[tuple[str, int], type[CornerstoneError]]:
    """Every registered (codespace, code) and the error class that owns it."""
    return dict(sorted(_REGISTRY.items()))


# ---------------------------------------------------------------------------- user errors
class UserError(CornerstoneError):
    codespace = "client"


class KeyFileError(UserError):
    code = 1
    template = "cannot use the key file {path}: {reason}"


class ConfigError(UserError):
    code = 2
    template = "{reason}"


class LocalnetError(UserError):
    code = 3
    template = "{reason}"


class ClientError(UserError):
    code = 4
    template = "{reason}"


# ---------------------------------------------------------------------------- transactions
class TransactionError(CornerstoneError):
    codespace = "tx"


class EncodingError(TransactionError):
    pass


class MalformedTransactionError(EncodingError):
    code = 1
    template = "the transaction bytes are malformed: {reason}"


class OversizedTransactionError(EncodingError):
    code = 2
    template = "the transaction is {size} bytes; the limit is {limit}"


class UnsupportedVersionError(EncodingError):
    code = 3
    template = (
        "transaction format version {version} is not supported (this node speaks {supported})"
    )


class NonCanonicalError(EncodingError):
    code = 4
    template = "the transaction is not in canonical form: {reason}"


class AuthError(TransactionError):
    pass


class WrongChainError(AuthError):
    code = 20
    template = "the transaction is for chain '{got}', but this is chain '{expected}'"


class BadSignatureError(AuthError):
    code = 21
    template = "the signature does not match the sender's public key and the transaction"


class UnknownSenderError(AuthError):
    code = 22
    template = "the sender {sender} is not a member of any organization on this chain"


class StaleNonceError(AuthError):
    code = 23
    template = "nonce {got} of {sender} was already used; the next nonce is {expected}"


class FutureNonceError(AuthError):
    code = 24
    template = "nonce {got} of {sender} is ahead; the next nonce is {expected}"


class NotPermittedError(AuthError):
    code = 25
    template = "{org} may not send {resource}: its policy is {policy}"


class NeedsProposalError(AuthError):
    code = 26
    template = (
        "{resource} needs the approval of {needed} organizations ({policy}): submit it as a "
        "governance proposal"
    )


class RoutingError(TransactionError):
    pass


class UnknownModuleError(RoutingError):
    code = 40
    template = "there is no module named '{module}'"


class UnknownOperationError(RoutingError):
    code = 41
    template = "module '{module}' has no operation '{operation}'"


class InvalidArgumentsError(RoutingError):
    code = 42
    template = "invalid arguments for {module}.{operation}: {reason}"


class GasError(TransactionError):
    pass


class GasLimitTooHighError(GasError):
    code = 60
    template = "the gas limit {gas_limit} is above the block's limit of {limit}"


class OutOfGasError(GasError):
    code = 61
    template = "out of gas: the transaction needs more than its limit of {gas_limit}"


class GasLimitTooLowError(GasError):
    code = 62
    template = "the gas limit {gas_limit} is below the {required} the transaction needs at least"


# ---------------------------------------------------------------------------- proofs
class ProofError(CornerstoneError):
    code = 90
    template = "the proof does not verify: {reason}"


# ---------------------------------------------------------------------------- queries
class QueryError(CornerstoneError):
    codespace = "query"


class UnknownQueryPathError(QueryError):
    code = 1
    template = "there is no query at the path {path!r}; use /store or /<module>/<query>"


class HeightNotKeptError(QueryError):
    code = 2
    template = "no state is kept for height {height}"


class LatestOnlyError(QueryError):
    code = 3
    template = "module queries answer for the latest height only; use /store for older heights"


class PeerRefusedError(QueryError):
    code = 4
    template = "the node {node} belongs to no member organization"


class QueryFailedError(QueryError):
    code = 5
    template = "the node could not answer the query {path!r}; its log has the details"


class BadBatchError(QueryError):
    code = 6
    template = "a batch query is a list of at most {limit} [module, query, arguments]: {reason}"


class TransactionRejectedError(UserError):
    code = 5
    template = "the transaction was refused ({codespace} code {tx_code}): {log}"


class TransactionFailedError(UserError):
    code = 6
    template = (
        "the transaction was committed at height {height} "
        "but failed ({codespace} code {tx_code}): {log}"
    )
