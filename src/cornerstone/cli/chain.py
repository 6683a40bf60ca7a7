"""`cornerstone keys`, `cornerstone tx` and `cornerstone query`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from cornerstone import encoding
from cornerstone.cli import common
from cornerstone.cli.common import home_option, jsonable, keys_dir, node_option
from cornerstone.cli.keys_export import keys_export
from cornerstone.crypto import PrivateKey, PublicKey, load_key, save_key
from cornerstone.errors import ClientError
from cornerstone.modules.notary.keys import doc_key, hash_key
from cornerstone.sdk import Call, Committed, Signer


# ---------------------------------------------------------------------------- keys
@click.group()
def keys() -> None:
    """Create, list and export signing keys (stored with mode 0600)."""


@keys.command("new")
@click.argument("name")
@home_option
def keys_new(name: str, home: Path) -> None:
    """Create a new Ed25519 key called NAME."""
    path = keys_dir(home) / f"{name}.json"
    key = PrivateKey.generate()
    save_key(path, key, name=name)
    click.echo(f"created key {name}: public key {key.public_key.hex()}")
    click.echo(f"stored in {path} (mode 0600)")


@keys.command("list")
@home_option
def keys_list(home: Path) -> None:
    """List the keys in the home folder."""
    folder = keys_dir(home)
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not paths:
        click.echo(f"no keys in {folder}; create one with `cornerstone keys new NAME`")
    for path in paths:
        click.echo(f"{path.stem:<16} {load_key(path).public_key.hex()}")


@keys.command("show")
@click.argument("name")
@home_option
def keys_show(name: str, home: Path) -> None:
    """Print the public key of NAME."""
    click.echo(load_key(keys_dir(home) / f"{name}.json").public_key.hex())


keys.add_command(keys_export)


# ---------------------------------------------------------------------------- tx
def _digest(file: Path | None, digest: str | None) -> bytes:
    if (file is None) == (digest is None):
        raise click.UsageError("give exactly one of --file and --digest")
    if file is not None:
        return hashlib.sha256(file.read_bytes()).digest()
    assert digest is not None
    try:
        raw = bytes.fromhex(digest)
    except ValueError:
        raise click.BadParameter(
            "a digest is 64 hexadecimal characters", param_hint="--digest"
        ) from None
    if len(raw) != 32:
        raise click.BadParameter("a digest is 64 hexadecimal characters", param_hint="--digest")
    return raw


def _metadata(pairs: tuple[str, ...]) -> dict[str, str]:
    metadata: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--meta")
        metadata[name] = value
    return metadata


_file = click.option("--file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
_digest_opt = click.option("--digest", help="SHA-256 of the document, in hex.")
_meta = click.option("--meta", multiple=True, help="Metadata NAME=VALUE (repeatable).")
_key = click.option("--key", "key_name", required=True, help="Name of the signing key.")
_cert = click.option(
    "--cert",
    "cert_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Send as the holder of this member certificate (PEM or DER, issued to --key by a "
    "member organization's CA) instead of as a key registered on chain.",
)


def read_certificate(path: Path, *, param_hint: str) -> bytes:
    """The DER bytes of the certificate in `path` (PEM or DER), or a usage error naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {path} ({exc.strerror})", param_hint=param_hint
        ) from None
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data).public_bytes(Encoding.DER)
        x509.load_der_x509_certificate(data)
    except ValueError:
        raise click.BadParameter(
            f"{path} is not an X.509 certificate (PEM or DER)", param_hint=param_hint
        ) from None
    return data


def _holder_certificate(path: Path, key: PrivateKey) -> bytes:
    """The certificate, checked to be `key`'s: a mismatch would reach the chain only as a
    signature that does not verify."""
    der = read_certificate(path, param_hint="--cert")
    try:
        subject = PublicKey.from_cryptography(x509.load_der_x509_certificate(der).public_key())
    except ValueError as exc:
        raise click.BadParameter(f"{path}: {exc}", param_hint="--cert") from None
    if subject != key.public_key:
        raise click.BadParameter(
            f"{path} certifies the key {subject.hex()}, not the signing key {key.public_key.hex()}",
            param_hint="--cert",
        )
    return der


@click.group()
def tx() -> None:
    """Sign and send a transaction, and wait for its commit."""


@tx.group("notary")
def tx_notary() -> None:
    """Notary transactions."""


@contextmanager
def _signer(
    home: Path, node_url: str | None, key_name: str, cert_file: Path | None
) -> Iterator[Signer]:
    """A signer for the key named `key_name` (as the holder of `cert_file`, if given), on a
    client of the node the options name."""
    key = load_key(keys_dir(home) / f"{key_name}.json")
    certificate = None if cert_file is None else _holder_certificate(cert_file, key)
    with common.connect(home, node_url) as client:
        yield Signer(client, key, certificate=certificate)


def _send(
    home: Path,
    node_url: str | None,
    key_name: str,
    cert_file: Path | None,
    operation: str,
    args: Any,
) -> None:
    with _signer(home, node_url, key_name, cert_file) as signer:
        committed = signer.submit("notary", operation, args)
    click.echo(f"committed at height {committed.height}: transaction {committed.hash.hex()}")
    for kind, attributes in committed.events:
        if kind != "tx":
            click.echo(f"  {kind} {json.dumps(attributes)}")


@tx_notary.command("anchor")
@_key
@_cert
@click.option(
    "--file",
    "files",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A document to anchor (repeatable).",
)
@click.option(
    "--digest", "digests", multiple=True, help="SHA-256 of a document, in hex (repeatable)."
)
@_meta
@home_option
@node_option
def tx_anchor(
    key_name: str,
    cert_file: Path | None,
    files: tuple[Path, ...],
    digests: tuple[str, ...],
    meta: tuple[str, ...],
    home: Path,
    node_url: str | None,
) -> None:
    """Anchor documents' SHA-256 digests (of each --file, or given as --digest), with the same
    --meta. Several are sent together and commit in a block or two."""
    documents = [(str(file), _digest(file, None)) for file in files]
    documents += [(digest, _digest(None, digest)) for digest in digests]
    if not documents:
        raise click.UsageError("give a document: --file or --digest")
    metadata = _metadata(meta)
    if len(documents) == 1:
        args = {"digest": documents[0][1], "metadata": metadata}
        _send(home, node_url, key_name, cert_file, "anchor", args)
        return
    calls = [Call("notary", "anchor", {"digest": d, "metadata": metadata}) for _, d in documents]
    with _signer(home, node_url, key_name, cert_file) as signer:
        outcomes = signer.submit_many(calls)
    refused = 0
    for (name, _), outcome in zip(documents, outcomes, strict=True):
        if isinstance(outcome, Committed):
            click.echo(f"{name}: committed at height {outcome.height}: {outcome.hash.hex()}")
        else:
            refused += 1
            click.echo(f"{name}: {outcome.message}", err=True)
    if refused:
        raise ClientError(reason=f"{refused} of {len(documents)} documents were not anchored")


@tx_notary.command("revise")
@_key
@_cert
@click.option("--document", required=True, help="Digest the document was anchored with.")
@_file
@_digest_opt
@_meta
@home_option
@node_option
def tx_revise(
    key_name: str,
    cert_file: Path | None,
    document: str,
    file: Path | None,
    digest: str | None,
    meta: tuple[str, ...],
    home: Path,
    node_url: str | None,
) -> None:
    """Add a revision to a document you anchored."""
    args = {
        "document": _digest(None, document),
        "digest": _digest(file, digest),
        "metadata": _metadata(meta),
    }
    _send(home, node_url, key_name, cert_file, "revise", args)


# ---------------------------------------------------------------------------- query
@click.group()
def query() -> None:
    """Read state, with proofs verified against block headers."""


@query.command("notary")
@_file
@_digest_opt
@home_option
@node_option
def query_notary(file: Path | None, digest: str | None, home: Path, node_url: str | None) -> None:
    """Look up a document by the digest of any of its versions; the records are proven."""
    wanted = _digest(file, digest)
    with common.connect(home, node_url) as client:
        record = client.read_verified(doc_key(wanted))
        if record.value is None:  # not an original: perhaps a revision
            entry = client.read_verified(hash_key(wanted), height=record.height)
            if entry.value is None:
                click.echo(
                    f"not anchored: proven absent at height {entry.height} "
                    f"(app hash {entry.app_hash.hex()})"
                )
                raise SystemExit(3)
            found = encoding.decode(entry.value)
            assert isinstance(found, dict) and isinstance(found["document"], bytes)
            record = client.read_verified(doc_key(found["document"]), height=entry.height)
        answer = client.query("notary", "lookup", digest=wanted)
    click.echo(json.dumps(jsonable(answer), indent=2))
    click.echo(
        f"proof: verified against app hash {record.app_hash.hex()} of the header "
        f"after height {record.height}"
    )


@query.command("key")
@click.argument("key")
@click.option("--height", type=int, default=0, help="State after this height [default: latest].")
@home_option
@node_option
def query_key(key: str, height: int, home: Path, node_url: str | None) -> None:
    """Read one raw state KEY (text, or hex with a 0x prefix) with a verified proof."""
    raw = bytes.fromhex(key[2:]) if key.startswith("0x") else key.encode()
    with common.connect(home, node_url) as client:
        verified = client.read_verified(raw, height=height)
    if verified.value is None:
        click.echo(f"absent (proven) at height {verified.height}")
    else:
        try:
            shown = json.dumps(jsonable(encoding.decode(verified.value)))
        except encoding.DecodeError:
            shown = "0x" + verified.value.hex()
        click.echo(shown)
    click.echo(f"proof: verified against app hash {verified.app_hash.hex()}")
