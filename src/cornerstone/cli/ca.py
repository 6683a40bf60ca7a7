"""`cornerstone ca`: an organization's certificate authority, in <home>/ca/<ORG>."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from cornerstone.cli.common import home_option
from cornerstone.crypto import PublicKey, Suite
from cornerstone.errors import UserError
from cornerstone.identity.ca import (
    CA_CERT_FILE,
    CA_KEY_FILE,
    CertificateAuthority,
    IssuedCertificate,
    Status,
)
from cornerstone.identity.certs import NS_PER_S, format_utc_ns, serial_hex, valid_org_id
from cornerstone.identity.errors import InvalidOrgIdError, InvalidRoleError
from cornerstone.identity.roles import Role
from cornerstone.localnet.network import ca_dir

_P = ParamSpec("_P")
_R = TypeVar("_R")

_ROLES = ", ".join(Role)
_SUITES = [suite.value for suite in Suite]


def _one_sentence(command: Callable[_P, _R]) -> Callable[_P, _R]:
    """A user's mistake becomes one line and exit status 1, never a traceback."""

    @wraps(command)
    def run(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with _user_errors():
            return command(*args, **kwargs)

    return run


@contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except UserError as exc:
        raise click.ClickException(exc.message) from None


def _folder(home: Path, org: str) -> Path:
    if not valid_org_id(org):  # checked before it becomes a path: no "../" escapes
        raise InvalidOrgIdError(org=org)
    return ca_dir(home, org)


def _load(home: Path, org: str) -> CertificateAuthority:
    return CertificateAuthority.load(_folder(home, org))


def _serial(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    try:
        serial = int(value.removeprefix("0x"), 16)
    except ValueError:
        serial = 0
    if serial <= 0:
        raise click.BadParameter(f"{value!r} is not a serial: give the hex digits `ca list` shows")
    return serial


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidRoleError(role=value, roles=_ROLES) from None


def _public_key(value: str) -> PublicKey:
    """32 bytes are an Ed25519 key, 33 a compressed P-256 point."""
    suites = {suite.public_key_size: suite for suite in (Suite.P256, Suite.ED25519)}
    try:
        raw = bytes.fromhex(value)
        return PublicKey(raw, suites[len(raw)])
    except (ValueError, KeyError):
        raise click.BadParameter(
            "give 64 hex digits (Ed25519) or 66 (compressed ECDSA P-256 point)",
            param_hint="--public-key",
        ) from None


def _mode(path: Path) -> str:
    return f"{path.stat().st_mode & 0o777:04o}"


def _show_issued(authority: CertificateAuthority, issued: IssuedCertificate, verb: str) -> None:
    click.echo(
        f"{verb} certificate {serial_hex(issued.serial)} to {issued.common_name} "
        f"({issued.role}) of {authority.org}"
    )
    click.echo(f"  valid        {_iso(issued.not_before_s)} to {_iso(issued.not_after_s)}")
    cert_path = authority.directory / issued.cert_file
    click.echo(f"  certificate  {cert_path} (mode {_mode(cert_path)})")
    if issued.key_file is not None:
        key_path = authority.directory / issued.key_file
        click.echo(f"  private key  {key_path} (mode {_mode(key_path)}, {issued.public_key.suite})")
    else:
        click.echo(f"  public key   {issued.public_key.hex()} ({issued.public_key.suite})")


def _iso(seconds: int) -> str:
    return format_utc_ns(seconds * NS_PER_S)


_days = click.option(
    "--days", type=click.IntRange(min=1), default=365, show_default=True, help="Validity in days."
)
_serial_arg = click.argument("serial", callback=_serial)


@click.group()
def ca() -> None:
    """Your organization's certificate authority: issue, renew and revoke member certificates."""


@ca.command("init")
@click.argument("org")
@click.option("--suite", type=click.Choice(_SUITES), default=Suite.ED25519.value, show_default=True)
@click.option(
    "--days", type=click.IntRange(min=1), default=3650, show_default=True, help="Validity in days."
)
@home_option
@_one_sentence
def ca_init(org: str, suite: str, days: int, home: Path) -> None:
    """Create the root CA of organization ORG, with a new key."""
    authority = CertificateAuthority.create(_folder(home, org), org, suite=Suite(suite), days=days)
    cert_path = authority.directory / CA_CERT_FILE
    key_path = authority.directory / CA_KEY_FILE
    click.echo(
        f"created the certificate authority of {org} ({authority.suite}), "
        f"valid until {_iso(authority.not_after_s)}"
    )
    click.echo(f"  root certificate  {cert_path} (mode {_mode(cert_path)})")
    click.echo(f"  fingerprint       {authority.fingerprint.hex()} (sha256 of its DER bytes)")
    click.echo(
        f"  CA private key    {key_path} (mode {_mode(key_path)}): keep it safe and backed up"
    )


@ca.command("issue")
@click.argument("org")
@click.argument("name")
@click.option("--role", "role_name", required=True, help=f"The member's role: {_ROLES}.")
@_days
@click.option(
    "--public-key",
    "public_key_hex",
    default=None,
    help="The member's public key in hex [default: generate a key next to the certificate].",
)
@click.option(
    "--suite",
    type=click.Choice(_SUITES),
    default=None,
    help="Suite of a generated key [default: the CA's].",
)
@home_option
@_one_sentence
def ca_issue(
    org: str,
    name: str,
    role_name: str,
    days: int,
    public_key_hex: str | None,
    suite: str | None,
    home: Path,
) -> None:
    """Issue a certificate to member NAME of ORG."""
    role = _role(role_name)
    public_key = None if public_key_hex is None else _public_key(public_key_hex)
    authority = _load(home, org)
    issued = authority.issue(
        name,
        role,
        public_key=public_key,
        key_suite=None if suite is None else Suite(suite),
        days=days,
    )
    _show_issued(authority, issued, "issued")


@ca.command("renew")
@click.argument("org")
@_serial_arg
@_days
@home_option
@_one_sentence
def ca_renew(org: str, serial: int, days: int, home: Path) -> None:
    """Issue a new certificate for the key, name and role of certificate SERIAL.

    The old certificate stays valid until it expires or is revoked.
    """
    authority = _load(home, org)
    _show_issued(authority, authority.renew(serial, days=days), "renewed as")


@ca.command("revoke")
@click.argument("org")
@_serial_arg
@click.option("--reason", default="unspecified", show_default=True, help="Why, for the record.")
@home_option
@_one_sentence
def ca_revoke(org: str, serial: int, reason: str, home: Path) -> None:
    """Record certificate SERIAL as revoked in the CA's index."""
    revoked = _load(home, org).revoke(serial, reason)
    click.echo(
        f"revoked certificate {serial_hex(serial)} of {org} ({revoked.common_name}) "
        f"in the local record, reason: {reason}"
    )
    click.echo(
        "the chain accepts it until a governance proposal revokes it there "
        "(on-chain revocation comes in a later release)"
    )


@ca.command("list")
@click.argument("org")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@home_option
@_one_sentence
def ca_list(org: str, as_json: bool, home: Path) -> None:
    """List the certificates ORG's CA has issued."""
    authority = _load(home, org)
    issued = authority.list()
    if as_json:
        document = {
            "org": authority.org,
            "suite": authority.suite.value,
            "root_fingerprint": authority.fingerprint.hex(),
            "certificates": [certificate.to_json() for certificate in issued],
        }
        click.echo(json.dumps(document, indent=2))
        return
    if not issued:
        click.echo(f"{org} has issued no certificates; issue one with `cornerstone ca issue`")
        return
    now_s = time.time_ns() // NS_PER_S
    click.echo(f"{'SERIAL':<16}  {'NAME':<20} {'ROLE':<9} {'STATUS':<7}  NOT AFTER")
    for certificate in issued:
        status = certificate.status.value
        if certificate.status is Status.VALID and certificate.not_after_s < now_s:
            status = "expired"
        click.echo(
            f"{serial_hex(certificate.serial):<16}  {certificate.common_name:<20} "
            f"{certificate.role:<9} {status:<7}  {_iso(certificate.not_after_s)}"
        )
