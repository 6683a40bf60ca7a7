"""Delivery by the nodes, client side: Umbral keys, the owner's capsules and delegations, and
the recipient's opening of a key the proxies re-encrypted.

    keys = UmbralKeys.generate()                      # saved with save_umbral_keys (0600)
    capsule, key_ciphertext = keys.capsule_for(data_key)          # with each publish
    delegate(share, keys, dataset=d, grant=1, recipient=reader_id)  # one fragment a proxy
    # the recipient requests; the proxies answer on chain; then
    data_key = delivered_key(client, keys, proven, version, me)   # read with proofs

An owner's delegating key makes the capsules; its signing key signs the key fragments; a
recipient's receiving key opens what the proxies re-encrypted. All three come from one random
seed (umbral's SecretKeyFactory, labels below), so one 0600 file holds them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import nacl.public
import umbral_pre

from cornerstone import encoding
from cornerstone.datashare.envelope import DataKey
from cornerstone.datashare.proxy_errors import (
    InvalidFragmentError,
    NoProxiesError,
    NotEnoughFragmentsError,
    ReencryptedOpenError,
    UmbralKeyFileError,
    UmbralKeyMismatchError,
)
from cornerstone.module import Reader
from cornerstone.modules.datashare import pre
from cornerstone.modules.datashare.messages import DATA_KEY_SIZE, min_threshold
from cornerstone.modules.datashare.proxystate import get_cfrag, get_delegation
from cornerstone.modules.datashare.state import Version, get_receipt
from cornerstone.sdk import Client, Committed, Signer

MODULE: Final = "datashare"
UMBRAL_FILE_TYPE: Final = "cornerstone/umbral"
RECEIVING: Final = b"cornerstone/datashare/receiving"
DELEGATING: Final = b"cornerstone/datashare/delegating"
SIGNING: Final = b"cornerstone/datashare/signing"
DELEGATE_GAS: Final = 1_000_000
"""A delegation to 64 proxies carries some 26 KB of sealed fragments."""


class UmbralKeys:
    """One identity's Umbral keys. Its repr shows only public keys."""

    __slots__ = ("_seed", "delegating", "receiving", "signer")

    def __init__(self, seed: bytes) -> None:
        factory = umbral_pre.SecretKeyFactory.from_secure_randomness(seed)
        self._seed = seed
        self.receiving = factory.make_key(RECEIVING)
        self.delegating = factory.make_key(DELEGATING)
        self.signer = umbral_pre.Signer(factory.make_key(SIGNING))

    @classmethod
    def generate(cls) -> UmbralKeys:
        return cls(os.urandom(umbral_pre.SecretKeyFactory.seed_size()))

    @property
    def receiving_key(self) -> bytes:
        return self.receiving.public_key().to_compressed_bytes()

    @property
    def delegating_key(self) -> bytes:
        return self.delegating.public_key().to_compressed_bytes()

    @property
    def verifying_key(self) -> bytes:
        return self.signer.verifying_key().to_compressed_bytes()

    def registration(self) -> dict[str, encoding.Value]:
        """The arguments `register_key` adds for these keys."""
        return {
            "receiving_key": self.receiving_key,
            "delegating_key": self.delegating_key,
            "verifying_key": self.verifying_key,
        }

    def capsule_for(self, data_key: DataKey) -> tuple[bytes, bytes]:
        """(capsule, key ciphertext) of `data_key` under the delegating key: what a version
        records so that proxies can deliver its key; neither reveals the key."""
        capsule, ciphertext = umbral_pre.encrypt(self.delegating.public_key(), data_key.secret())
        return bytes(capsule), ciphertext

    def __repr__(self) -> str:
        return f"UmbralKeys(receiving_key={self.receiving_key.hex()})"


def save_umbral_keys(path: Path, keys: UmbralKeys, *, name: str) -> None:
    """Write the seed with mode 0600 (set at creation), refusing to overwrite a file."""
    write_secret_file(
        path,
        {
            "type": UMBRAL_FILE_TYPE,
            "name": name,
            "receiving_key": keys.receiving_key.hex(),
            "seed": keys._seed.hex(),
        },
    )


def load_umbral_keys(path: Path) -> UmbralKeys:
    document = read_secret_file(path, UMBRAL_FILE_TYPE)
    try:
        keys = UmbralKeys(bytes.fromhex(document["seed"]))
    except (KeyError, TypeError, ValueError):
        raise UmbralKeyFileError(path=str(path), reason="its seed is not valid") from None
    if keys.receiving_key.hex() != document.get("receiving_key"):
        raise UmbralKeyFileError(path=str(path), reason="its public key does not match its seed")
    return keys


def write_secret_file(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UmbralKeyFileError(path=str(path), reason="a key file exists there") from None
    with os.fdopen(fd, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")


def read_secret_file(path: Path, kind: str) -> dict[str, Any]:
    """A key file's document; refuses one others can read or of another kind."""
    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text()
    except FileNotFoundError:
        raise UmbralKeyFileError(path=str(path), reason="there is no such file") from None
    if mode & 0o077:
        raise UmbralKeyFileError(
            path=str(path), reason=f"its mode is {mode:o}; run `chmod 600 {path}` first"
        )
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if not isinstance(document, dict) or document.get("type") != kind:
        raise UmbralKeyFileError(path=str(path), reason=f"it is not a {kind} key file")
    return document


# ---------------------------------------------------------------------------- owner
@dataclass(frozen=True, slots=True)
class Delegated:
    """What delegating one grant to one recipient did."""

    recipient: bytes
    committed: Committed | None
    refusal: str
    """Why it was not delegated ("" when it was)."""


def delegate(
    signer: Signer,
    keys: UmbralKeys,
    *,
    dataset: bytes,
    grant: int,
    recipient: bytes,
    threshold: int = 0,
    proxies: list[str] | None = None,
) -> Committed:
    """Give each registered proxy (of active organizations; or those named) a key fragment
    for `recipient`, sealed to the proxy; `threshold` of them deliver (default: the least
    the chain allows, more than two thirds)."""
    client = signer.client
    known = {
        p["org"]: p
        for p in _list(client.query(MODULE, "proxies"))
        if isinstance(p, dict) and p["active"]
    }
    chosen = sorted(proxies) if proxies is not None else sorted(known)
    missing = [org for org in chosen if org not in known]
    if not chosen or missing:
        reason = (
            f"{', '.join(missing)} has no registered proxy" if missing else "no proxy is registered"
        )
        raise NoProxiesError(grant=grant, dataset=dataset.hex(), reason=reason)
    found = client.query(MODULE, "key", identity=recipient)
    receiving = found.get("receiving_key", b"") if isinstance(found, dict) else b""
    if not isinstance(receiving, bytes) or not receiving:
        raise NoProxiesError(
            grant=grant,
            dataset=dataset.hex(),
            reason=f"{recipient.hex()} has registered no Umbral receiving key",
        )
    t = threshold or min_threshold(len(chosen))
    kfrags = umbral_pre.generate_kfrags(
        keys.delegating,
        pre.public_key(receiving),
        keys.signer,
        t,
        len(chosen),
        True,
        True,
    )
    ids, sealed = [], []
    for org, kfrag in zip(chosen, kfrags, strict=True):
        raw = bytes(kfrag)
        ids.append(pre.kfrag_id(raw))
        box = nacl.public.SealedBox(nacl.public.PublicKey(known[org]["public_key"]))
        sealed.append(bytes(box.encrypt(raw)))
    return signer.submit(
        MODULE,
        "delegate",
        {
            "dataset": dataset,
            "grant": grant,
            "recipient": recipient,
            "threshold": t,
            "proxies": list(chosen),
            "kfrag_ids": ids,
            "sealed_kfrags": sealed,
        },
        gas_limit=DELEGATE_GAS,
    )


def grant_recipients(client: Client, *, kind: str, grantee: str) -> list[bytes]:
    """Whom a delegation of a grant names: the member of a member grant; every current member
    of the organization of an organization grant that registered a receiving key (members who
    join or register later need the owner once more: a delegation is per recipient)."""
    if kind == "member":
        return [bytes.fromhex(grantee)]
    if kind == "org":
        return [r["identity"] for r in _list(client.query(MODULE, "receivers", org=grantee))]
    return []


# ---------------------------------------------------------------------------- recipient
def delivered_key(
    client: Client, keys: UmbralKeys, proven: Reader, record: Version, recipient: bytes
) -> DataKey | None:
    """The data key the proxies re-encrypted for `recipient`, from fragments read with proofs
    (`proven`) and verified here too; None when no proxy delivered this version to it."""
    where = {"dataset": record.dataset.hex(), "version": record.number}
    receipt = get_receipt(proven, record.dataset, record.number, recipient)
    if receipt is not None and receipt.delivery != "proxies":
        return None
    listed = _list(
        client.query(
            MODULE, "cfrags", dataset=record.dataset, version=record.number, recipient=recipient
        )
    )
    if receipt is None:
        if not listed or not record.capsule:
            return None
        grant = int(listed[0]["grant"])
    else:
        grant = receipt.grant
    delegation = get_delegation(proven, record.dataset, grant, recipient)
    if delegation is None:
        return None
    orgs = [str(c["org"]) for c in listed if int(c["grant"]) == grant]
    if receipt is None or len(orgs) < delegation.threshold:
        raise NotEnoughFragmentsError(
            **where, recipient=recipient.hex(), have=len(orgs), need=delegation.threshold
        )
    if delegation.receiving_key != keys.receiving_key:
        raise UmbralKeyMismatchError(
            delegated_to=delegation.receiving_key.hex(), mine=keys.receiving_key.hex()
        )
    capsule = pre.capsule(record.capsule)
    verified = []
    for org in orgs:
        found = get_cfrag(proven, record.dataset, record.number, recipient, org)
        if found is None:
            continue  # the node listed a fragment that the proof says is absent
        try:
            verified.append(
                umbral_pre.CapsuleFrag.from_bytes(found.cfrag).verify(
                    capsule,
                    pre.public_key(delegation.verifying_key),
                    pre.public_key(delegation.delegating_key),
                    pre.public_key(delegation.receiving_key),
                )
            )
        except (ValueError, TypeError, pre.VERIFICATION_ERROR):
            raise InvalidFragmentError(org=org) from None
        if len(verified) == delegation.threshold:
            break
    if len(verified) < delegation.threshold:
        raise NotEnoughFragmentsError(
            **where, recipient=recipient.hex(), have=len(verified), need=delegation.threshold
        )
    try:
        opened = umbral_pre.decrypt_reencrypted(
            keys.receiving,
            pre.public_key(delegation.delegating_key),
            capsule,
            verified,
            record.key_ciphertext,
        )
    except ValueError as exc:
        raise ReencryptedOpenError(mine=keys.receiving_key.hex(), reason=str(exc)) from None
    if opened is None or len(opened) != DATA_KEY_SIZE:
        raise ReencryptedOpenError(mine=keys.receiving_key.hex(), reason="it is not a data key")
    return DataKey(bytes(opened))


def _list(value: encoding.Value) -> list[Any]:
    assert isinstance(value, list), "the query answers a list"
    return value
