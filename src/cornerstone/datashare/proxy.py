"""An organization's re-encryption proxy: it answers, on chain, the requests that owners'
delegations give it a key fragment for, so a recipient obtains a key while the owner is away.

    proxy = Proxy(Signer(client, admin_key), load_proxy_key(path))
    proxy.register()                   # once: the X25519 key owners seal key fragments to
    proxy.run(stop)                    # or proxy.step() for one round

Each round asks the node for its work (`proxy_work`: pending requests with a delegation that
names this organization and no fragment of it yet), opens its key fragment, checks the owner's
signature on it, re-encrypts the version's capsule and submits the capsule fragment. The chain
decides whether the grant covers the release now; a refusal is logged and that request is not
retried (a new request is). Polling the node's state, rather than following events, means a
restarted proxy misses nothing and answers each request once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import nacl.exceptions
import nacl.public
import umbral_pre

from cornerstone.datashare.delegation import read_secret_file, write_secret_file
from cornerstone.datashare.proxy_errors import ProxyNotRegisteredError, UmbralKeyFileError
from cornerstone.errors import ClientError, TransactionFailedError, TransactionRejectedError
from cornerstone.modules.datashare import pre
from cornerstone.sdk import Committed, Signer

MODULE: Final = "datashare"
PROXY_FILE_TYPE: Final = "cornerstone/proxy-x25519"
REENCRYPT_GAS: Final = 1_000_000
"""The capsule fragment's verification (`pre.CFRAG_VERIFY_GAS`) and its reads and writes."""
INTERVAL: Final = 1.0
"""Seconds between rounds: about a block."""

log = logging.getLogger("cornerstone.datashare.proxy")


class ProxyKey:
    """The proxy's X25519 key pair: owners seal key fragments to its public key."""

    __slots__ = ("_private", "public_key")

    def __init__(self, private: nacl.public.PrivateKey) -> None:
        self._private = private
        self.public_key: bytes = bytes(private.public_key)

    @classmethod
    def generate(cls) -> ProxyKey:
        return cls(nacl.public.PrivateKey.generate())

    def open(self, sealed: bytes) -> bytes:
        """A sealed key fragment's bytes; ValueError if it was sealed to another key."""
        try:
            return bytes(nacl.public.SealedBox(self._private).decrypt(sealed))
        except (nacl.exceptions.CryptoError, ValueError, TypeError):
            raise ValueError("the key fragment was not sealed to this proxy's key") from None

    def __repr__(self) -> str:
        return f"ProxyKey(public_key={self.public_key.hex()})"


def save_proxy_key(path: Path, key: ProxyKey, *, name: str) -> None:
    write_secret_file(
        path,
        {
            "type": PROXY_FILE_TYPE,
            "name": name,
            "public_key": key.public_key.hex(),
            "private_key": bytes(key._private).hex(),
        },
    )


def load_proxy_key(path: Path) -> ProxyKey:
    document = read_secret_file(path, PROXY_FILE_TYPE)
    try:
        key = ProxyKey(nacl.public.PrivateKey(bytes.fromhex(document["private_key"])))
    except (KeyError, TypeError, ValueError, nacl.exceptions.CryptoError):
        raise UmbralKeyFileError(path=str(path), reason="its private key is not valid") from None
    if key.public_key.hex() != document.get("public_key"):
        raise UmbralKeyFileError(path=str(path), reason="its public key does not match")
    return key


def load_or_create_proxy_key(path: Path, *, name: str) -> ProxyKey:
    if not path.exists():
        save_proxy_key(path, ProxyKey.generate(), name=name)
    return load_proxy_key(path)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the proxy did with one piece of work."""

    dataset: bytes
    version: int
    recipient: bytes
    grant: int
    committed: Committed | None
    refusal: str
    """Why it gave no fragment ("" when it did)."""


class Proxy:
    """One organization's proxy: its signer (the identity that registered it) and its key."""

    def __init__(self, signer: Signer, key: ProxyKey) -> None:
        self.signer = signer
        self.key = key
        self._refused: set[tuple[bytes, int, bytes, int]] = set()

    @property
    def identity(self) -> bytes:
        return self.signer.key.public_key.fingerprint

    def register(self) -> Committed:
        return self.signer.submit(MODULE, "register_proxy", {"public_key": self.key.public_key})

    def org(self) -> str:
        """The organization this proxy is registered for, with this key."""
        for p in _list(self.signer.client.query(MODULE, "proxies")):
            if p["identity"] == self.identity and p["public_key"] == self.key.public_key:
                return str(p["org"])
        raise ProxyNotRegisteredError(identity=self.identity.hex())

    def step(self) -> list[Answer]:
        """One round: a capsule fragment for each request waiting for this proxy."""
        org = self.org()
        answers = []
        for item in _list(self.signer.client.query(MODULE, "proxy_work", org=org)):
            seen = (item["dataset"], item["version"], item["recipient"], item["request_height"])
            if seen in self._refused:
                continue
            answer = self._answer(item)
            if answer.refusal:
                self._refused.add(seen)
                log.warning(
                    "no fragment for dataset %s v%d to %s: %s",
                    answer.dataset.hex(),
                    answer.version,
                    answer.recipient.hex(),
                    answer.refusal,
                )
            else:
                log.info(
                    "gave a fragment of dataset %s v%d to %s",
                    answer.dataset.hex(),
                    answer.version,
                    answer.recipient.hex(),
                )
            answers.append(answer)
        return answers

    def _answer(self, item: dict[str, Any]) -> Answer:
        def done(committed: Committed | None, refusal: str = "") -> Answer:
            return Answer(
                dataset=item["dataset"],
                version=item["version"],
                recipient=item["recipient"],
                grant=item["grant"],
                committed=committed,
                refusal=refusal,
            )

        try:
            kfrag = umbral_pre.KeyFrag.from_bytes(self.key.open(item["sealed_kfrag"])).verify(
                pre.public_key(item["verifying_key"]),
                pre.public_key(item["delegating_key"]),
                pre.public_key(item["receiving_key"]),
            )
        except (ValueError, TypeError, pre.VERIFICATION_ERROR):
            return done(None, "its key fragment does not open or is not the owner's")
        cfrag = umbral_pre.reencrypt(pre.capsule(item["capsule"]), kfrag)
        try:
            committed = self.signer.submit(
                MODULE,
                "reencrypt",
                {
                    "dataset": item["dataset"],
                    "version": item["version"],
                    "recipient": item["recipient"],
                    "grant": item["grant"],
                    "cfrag": bytes(cfrag),
                },
                gas_limit=REENCRYPT_GAS,
            )
        except (TransactionRejectedError, TransactionFailedError) as error:
            return done(None, str(error.fields.get("log", error.message)))
        return done(committed)

    def run(self, stop: threading.Event, *, interval: float = INTERVAL) -> None:
        """Rounds until `stop` is set; a node that is down is retried, not fatal."""
        while not stop.is_set():
            try:
                self.step()
            except ClientError as error:
                log.warning("round failed: %s", error.message)
            stop.wait(interval)


def _list(value: object) -> list[Any]:
    assert isinstance(value, list), "the query answers a list"
    return value
