"""`cornerstone org`: the consortium's organizations, their members and certificates.

Reads are module queries; with --prove the state record behind the answer is also read with a
proof checked against a block header. Writes are transactions signed by an admin's key.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import click
from cryptography import x509

from cornerstone import encoding
from cornerstone.cli import common
from cornerstone.cli.chain import read_certificate
from cornerstone.cli.common import (
    as_dict,
    as_list,
    committed_line,
    echo_json,
    home_option,
    json_option,
    key_option,
    listing,
    node_option,
    proof_json,
    proof_line,
    prove_option,
    proven,
    signer,
    table,
)
from cornerstone.crypto import Suite
from cornerstone.identity.certs import format_utc_ns, serial_hex, valid_org_id
from cornerstone.identity.roles import Role
from cornerstone.modules.membership.keys import org_key, revoked_key
from cornerstone.modules.membership.messages import RegisterMember, RemoveMember

MAX_SERIAL: Final = 1 << 159


# ---------------------------------------------------------------------------- org
@click.group()
def org() -> None:
    """The consortium's organizations, their members and certificates.

    Registering and removing a member key is a transaction by an admin of the organization;
    admitting or removing an organization, rotating its root or revoking a certificate are
    governance proposals (see `cornerstone proposal new --help`).
    """


def _org_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not valid_org_id(value):
        raise click.BadParameter(
            f"{value!r} is not an organization id (1-32 of a-z, 0-9 and '-', starting with a "
            "letter)"
        )
    return value


_org_argument = click.argument("org_id", metavar="ORG", callback=_org_id)


@org.command("list")
@json_option
@home_option
@node_option
def org_list(as_json: bool, home: Path, node_url: str | None) -> None:
    """List the organizations, active and removed."""
    with common.connect(home, node_url) as client:
        orgs = as_list(client.query("membership", "organizations"))
    if as_json:
        echo_json(orgs)
        return
    rows = [
        (
            o["id"],
            o["name"],
            o["status"] if o["status"] == "active" else f"{o['status']} at {o.get('removed_at')}",
            o["since"],
            len(o["nodes"]),
            len(o["validators"]),
        )
        for o in orgs
    ]
    table(("ID", "NAME", "STATUS", "SINCE", "NODES", "VALIDATORS"), rows)


@org.command("show")
@_org_argument
@prove_option
@json_option
@home_option
@node_option
def org_show(org_id: str, prove: bool, as_json: bool, home: Path, node_url: str | None) -> None:
    """Show organization ORG: its root certificate, nodes, validators, members and revoked
    certificates."""
    with common.connect(home, node_url) as client:
        verified = proven(client, org_key(org_id)) if prove else None
        found = client.query("membership", "organization", id=org_id)
    if found is None:
        proof = f" (proven absent at height {verified.height})" if verified else ""
        raise click.ClickException(
            f"there is no organization {org_id}{proof}: `cornerstone org list` lists them"
        )
    value = as_dict(found)
    if as_json:
        echo_json({**value, "proof": proof_json(verified)} if verified else value)
        return
    root: bytes = value["root_certificate"]
    click.echo(f"{value['id']}  {value['name']}")
    status = "active" if value["status"] == "active" else f"removed at {value.get('removed_at')}"
    click.echo(f"  status            {status}, member since height {value['since']}")
    click.echo(f"  root certificate  sha256 {hashlib.sha256(root).hexdigest()}")
    click.echo(f"                    {_validity(root)}")
    listing("nodes", value["nodes"], str)
    listing(
        "validators",
        value["validators"],
        lambda v: f"{v['public_key'].hex()}  power {v['power']}",
    )
    listing(
        "members",
        value["members"],
        lambda m: f"{m['role']:<9} {m['public_key'].hex()} ({m['suite']})  {m['name']}",
    )
    listing(
        "revoked",
        value["revoked"],
        lambda r: f"{r['serial']}  at height {r['height']}  ({r['reason']})",
    )
    if verified is not None:
        click.echo(proof_line(verified))


def _validity(der: bytes) -> str:
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return "(not readable as X.509)"
    subject = cert.subject.rfc4514_string()
    until = cert.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{subject}, valid until {until}"


# ---------------------------------------------------------------------------- org member
@org.group("member")
def org_member() -> None:
    """Register or remove a member key (a transaction by an admin of the organization)."""


def _public_key(_ctx: click.Context, _param: click.Parameter, value: str) -> bytes:
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        raise click.BadParameter(
            "give the key in hex: 64 digits (Ed25519) or 66 (compressed ECDSA P-256)"
        ) from None


def _suite_of(public_key: bytes, suite: str | None) -> str:
    """The suite given, or the one the key's length implies (32 bytes: Ed25519, 33: P-256)."""
    if suite is not None:
        return suite
    by_size = {s.public_key_size: s.value for s in Suite}
    return by_size.get(len(public_key), Suite.ED25519.value)


_public_key_option = click.option(
    "--public-key",
    required=True,
    callback=_public_key,
    metavar="HEX",
    help="The member's public key, in hex (`cornerstone keys show NAME` prints it).",
)
_suite_option = click.option(
    "--suite",
    type=click.Choice([s.value for s in Suite]),
    default=None,
    help="The key's signature suite [default: by its length, 32 bytes Ed25519, 33 P-256].",
)


def _message(cls: type[Any], **fields: Any) -> Any:
    """The message, checked as the chain will check it, or a usage error saying why."""
    try:
        return cls(**fields)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


@org_member.command("register")
@_org_argument
@key_option
@_public_key_option
@_suite_option
@click.option(
    "--role", required=True, type=click.Choice([r.value for r in Role]), help="The member's role."
)
@click.option("--name", required=True, help="A label for people, e.g. billing-service.")
@home_option
@node_option
def member_register(
    org_id: str,
    key_name: str,
    public_key: bytes,
    suite: str | None,
    role: str,
    name: str,
    home: Path,
    node_url: str | None,
) -> None:
    """Register a key to act for ORG with a role; sign with an admin key of ORG."""
    msg = _message(
        RegisterMember,
        org=org_id,
        public_key=public_key,
        role=role,
        name=name,
        suite=_suite_of(public_key, suite),
    )
    with common.connect(home, node_url) as client:
        committed = signer(client, home, key_name).submit(
            "membership", "register_member", dataclasses.asdict(msg)
        )
    click.echo(f"registered {public_key.hex()} as {role} {name!r} of {org_id}")
    click.echo(committed_line(committed))


@org_member.command("remove")
@_org_argument
@key_option
@_public_key_option
@_suite_option
@home_option
@node_option
def member_remove(
    org_id: str,
    key_name: str,
    public_key: bytes,
    suite: str | None,
    home: Path,
    node_url: str | None,
) -> None:
    """Remove a registered key of ORG; sign with an admin key of ORG."""
    msg = _message(
        RemoveMember, org=org_id, public_key=public_key, suite=_suite_of(public_key, suite)
    )
    with common.connect(home, node_url) as client:
        committed = signer(client, home, key_name).submit(
            "membership", "remove_member", dataclasses.asdict(msg)
        )
    click.echo(f"removed {public_key.hex()} from {org_id}")
    click.echo(committed_line(committed))


# ---------------------------------------------------------------------------- org cert-status
def _serial(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    try:
        serial = int(value.removeprefix("0x"), 16)
    except ValueError:
        serial = 0
    if not 0 < serial < MAX_SERIAL:
        raise click.BadParameter(
            f"{value!r} is not a serial: give the hex digits `cornerstone ca list` shows"
        )
    return serial


@org.command("cert-status")
@_org_argument
@click.argument("serial", metavar="SERIAL_HEX", callback=_serial)
@click.option(
    "--cert",
    "cert_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The certificate itself (PEM or DER): the chain also checks its issuer, role and "
    "validity now.",
)
@json_option
@home_option
@node_option
def cert_status(
    org_id: str,
    serial: int,
    cert_file: Path | None,
    as_json: bool,
    home: Path,
    node_url: str | None,
) -> None:
    """Whether ORG revoked its member certificate SERIAL_HEX, proven against a block header;
    with --cert, also whether the chain would accept that certificate now."""
    der = None if cert_file is None else read_certificate(cert_file, param_hint="--cert")
    with common.connect(home, node_url) as client:
        member = proven(client, org_key(org_id))
        if member.value is None:
            raise click.ClickException(
                f"there is no organization {org_id} (proven absent at height {member.height})"
            )
        revocation = proven(client, revoked_key(org_id, serial), height=member.height)
        verdict = (
            None
            if der is None
            else as_dict(
                client.query("membership", "certificate", certificate=der, at=time.time_ns())
            )
        )
    if (
        verdict is not None
        and "serial" in verdict
        and (verdict["org"], verdict["serial"]) != (org_id, serial_hex(serial))
    ):
        raise click.UsageError(
            f"{cert_file} is certificate {verdict['serial']} of {verdict['org']}, not "
            f"{serial_hex(serial)} of {org_id}"
        )
    record = None if revocation.value is None else as_dict(encoding.decode(revocation.value))
    if as_json:
        echo_json(
            {
                "org": org_id,
                "serial": serial_hex(serial),
                "revoked": record is not None,
                "revocation": record,
                "certificate": verdict,
                "proof": proof_json(revocation),
            }
        )
        return
    if record is None:
        click.echo(f"certificate {serial_hex(serial)} of {org_id}: not revoked")
    else:
        click.echo(
            f"certificate {serial_hex(serial)} of {org_id}: revoked at height "
            f"{record['height']} ({record['reason']})"
        )
    if verdict is not None:
        click.echo(f"the chain's verdict on it now: {_verdict(verdict)}")
    elif record is None:
        click.echo("(add --cert FILE to have the chain check its issuer, role and validity too)")
    click.echo(proof_line(revocation))


def _verdict(answer: Mapping[str, Any]) -> str:
    if "serial" not in answer:  # refused before it could be read
        return f"{answer['status']} (identity code {answer['code']}): {answer['reason']}"
    about = (
        f"{answer['common_name']} ({answer['role']}) of {answer['org']}, valid "
        f"{format_utc_ns(answer['not_before'])} to {format_utc_ns(answer['not_after'])}"
    )
    if "reason" in answer:
        return f"{answer['status']} (identity code {answer['code']}): {answer['reason']}; {about}"
    return f"{answer['status']}: {about}"
