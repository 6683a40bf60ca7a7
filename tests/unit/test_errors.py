"""Error codes are stable: clients match on them, so a change here is a breaking change."""

from __future__ import annotations

import cornerstone.modules  # noqa: F401  (registers module errors)
from cornerstone import errors

PUBLISHED = {
    ("tx", 1): "MalformedTransactionError",
    ("tx", 2): "OversizedTransactionError",
    ("tx", 3): "UnsupportedVersionError",
    ("tx", 4): "NonCanonicalError",
    ("tx", 20): "WrongChainError",
    ("tx", 21): "BadSignatureError",
    ("tx", 22): "UnknownSenderError",
    ("tx", 23): "StaleNonceError",
    ("tx", 24): "FutureNonceError",
    ("tx", 40): "UnknownModuleError",
    ("tx", 41): "UnknownOperationError",
    ("tx", 42): "InvalidArgumentsError",
    ("tx", 60): "GasLimitTooHighError",
    ("tx", 61): "OutOfGasError",
    ("tx", 62): "GasLimitTooLowError",
    ("notary", 1000): "AlreadyAnchoredError",
    ("notary", 1001): "DocumentNotFoundError",
    ("notary", 1002): "NotOwnerError",
}


def test_published_codes_keep_their_meaning() -> None:
    registered = {key: cls.__name__ for key, cls in errors.all_codes().items()}
    for key, name in PUBLISHED.items():
        assert registered.get(key) == name, key


def test_every_error_has_a_sentence() -> None:
    for cls in errors.all_codes().values():
        assert cls.template.strip(), cls.__name__
        assert not cls.template.endswith("."), f"{cls.__name__}: sentences are joined, no period"


def test_a_code_cannot_be_taken_twice() -> None:
    try:

        class Clash(errors.TransactionError):
            code = 1
            template = "clash"

    except TypeError as exc:
        assert "already" in str(exc)
    else:
        raise AssertionError("a duplicate code was accepted")
