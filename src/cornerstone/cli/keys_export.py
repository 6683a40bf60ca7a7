"""`cornerstone keys export NAME --pem --out DIR`: a member's key and certificate as PEM files,
for mutual TLS with a gateway (`--client-certs`) from curl, httpx, requests or OpenSSL.

    DIR/key.pem    the private key, PKCS#8 PEM, unencrypted, mode 0600
    DIR/cert.pem   the member certificate of that key (PEM), mode 0644

The certificate is the newest one that a certificate authority of the home folder
(<home>/ca/<org>, `cornerstone ca`) issued to the key and that is valid now and not revoked in
its record. The chain cannot supply one: it holds organizations' roots and revocations, not
member certificates. Nothing is written unless everything can be: an existing file is refused
before the first write (`--force` replaces both), and a key without a certificate is refused
unless `--key-only` asks for the key alone.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cornerstone.cli.common import home_option, keys_dir
from cornerstone.crypto import PrivateKey, PublicKey, load_key
from cornerstone.errors import UserError
from cornerstone.identity.ca import CertificateAuthority, IssuedCertificate, Status
from cornerstone.identity.certs import NS_PER_S, format_utc_ns, serial_hex
from cornerstone.localnet.network import CA_DIR

KEY_FILE = "key.pem"
CERT_FILE = "cert.pem"
KEY_MODE = 0o600
CERT_MODE = 0o644
OUT_MODE = 0o700
"""A folder the command makes: it holds a private key."""


# ---------------------------------------------------------------------------- errors
class KeyNotFoundError(UserError):
    code = 40
    template = "there is no key named {name!r} in {folder}: `cornerstone keys list` shows them"


class ExportFileExistsError(UserError):
    code = 41
    template = "{path} exists already: choose another --out, or pass --force to replace it"


class NoCertificateError(UserError):
    code = 42
    template = (
        "no certificate authority in {folder} holds a certificate of the key {name} that is "
        "valid now: ask your organization's CA for one (`cornerstone ca issue ORG NAME --role "
        "ROLE --public-key {public_key}`), or export the key alone with --key-only"
    )


# ---------------------------------------------------------------------------- the export
@dataclass(frozen=True, slots=True)
class FoundCertificate:
    """A member certificate of the exported key, and the CA record it comes from."""

    org: str
    """The organization whose CA issued it."""
    issued: IssuedCertificate
    """The CA's record of it."""
    pem: bytes
    """The certificate, PEM."""


def member_key(home: Path, name: str) -> PrivateKey:
    """The key <home>/keys/NAME.json; KeyNotFoundError for a name that is not one there."""
    folder = keys_dir(home)
    path = folder / f"{name}.json"
    # The name becomes a path: one plain file name, no "../" and no hidden files.
    if not name or Path(name).name != name or name.startswith(".") or not path.is_file():
        raise KeyNotFoundError(name=name, folder=str(folder))
    return load_key(path)


def find_certificate(home: Path, key: PublicKey, *, now_s: int) -> FoundCertificate | None:
    """The newest certificate of `key` valid at `now_s` (and not revoked) in any CA folder."""
    root = home / CA_DIR
    found: list[FoundCertificate] = []
    for folder in sorted(root.iterdir()) if root.is_dir() else ():
        try:
            authority = CertificateAuthority.load(folder)
        except (UserError, OSError):  # not a CA folder, or one this user cannot read
            continue
        for issued in authority.list():
            if (
                issued.public_key != key
                or issued.status is not Status.VALID
                or not issued.not_before_s <= now_s <= issued.not_after_s
            ):
                continue
            try:
                pem = (authority.directory / issued.cert_file).read_bytes()
                holder = PublicKey.from_cryptography(
                    x509.load_pem_x509_certificate(pem).public_key()
                )
            except (OSError, ValueError):  # a damaged file is no certificate to hand out
                continue
            if holder == key:
                found.append(FoundCertificate(org=authority.org, issued=issued, pem=pem))
    if not found:
        return None
    return max(found, key=lambda c: (c.issued.not_after_s, c.issued.not_before_s))


def private_pem(key: PrivateKey) -> bytes:
    """The key as unencrypted PKCS#8 PEM, which OpenSSL-based clients load."""
    return key.to_cryptography().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def write_file(path: Path, data: bytes, *, mode: int, force: bool) -> None:
    """Write `data` to `path` with `mode`; replace an existing file only with `force`, and then
    atomically (a reader never sees half a key)."""
    if not force:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            raise ExportFileExistsError(path=str(path)) from None
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)  # the umask does not decide a key file's mode
            f.write(data)
        return
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


# ---------------------------------------------------------------------------- the command
@click.command("export")
@click.argument("name")
@click.option(
    "--pem",
    "fmt",
    flag_value="pem",
    default="pem",
    help="PEM files, for curl, httpx, requests and OpenSSL (the default and only format).",
)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help=f"Folder to write {KEY_FILE} and {CERT_FILE} to (made, mode 0700, if missing).",
)
@click.option("--force", is_flag=True, help="Replace files that exist already.")
@click.option("--key-only", is_flag=True, help=f"Write {KEY_FILE} alone: no certificate needed.")
@home_option
def keys_export(name: str, fmt: str, out: Path, force: bool, key_only: bool, home: Path) -> None:
    """Export key NAME and its member certificate as PEM files, for mutual TLS.

    The certificate is the newest valid one a CA in <home>/ca issued to the key. Use the files
    with a gateway started with --client-certs, e.g.

    \b
      curl --cert DIR/cert.pem --key DIR/key.pem --cacert GATEWAY.crt \\
           https://HOST:PORT/v1/blocks
    """
    assert fmt == "pem"
    key = member_key(home, name)
    found = None
    if not key_only:
        found = find_certificate(home, key.public_key, now_s=time.time_ns() // NS_PER_S)
        if found is None:
            raise NoCertificateError(
                folder=str(home / CA_DIR), name=name, public_key=key.public_key.hex()
            )
    key_path, cert_path = out / KEY_FILE, out / CERT_FILE
    targets = [key_path] if found is None else [key_path, cert_path]
    if not force:  # refuse before the first write: never half an export
        for path in targets:
            if path.exists():
                raise ExportFileExistsError(path=str(path))
    out.mkdir(parents=True, exist_ok=True, mode=OUT_MODE)
    write_file(key_path, private_pem(key), mode=KEY_MODE, force=force)
    click.echo(f"exported key {name} (public key {key.public_key.hex()})")
    click.echo(f"  private key  {key_path} (mode {KEY_MODE:04o}, PKCS#8)")
    if found is not None:
        write_file(cert_path, found.pem, mode=CERT_MODE, force=force)
        issued = found.issued
        click.echo(
            f"  certificate  {cert_path}: {serial_hex(issued.serial)} of {found.org} "
            f"({issued.common_name}, {issued.role}), valid until "
            f"{format_utc_ns(issued.not_after_s * NS_PER_S)}"
        )
        click.echo(f"use them with: curl --cert {cert_path} --key {key_path} ...")
