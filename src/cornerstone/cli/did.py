"""`cornerstone did` and `cornerstone vc`: DIDs on the chain, and verifiable credentials issued,
presented and verified off chain against it. Documents and credentials are JSON files in and
out.

Trust lists are changed by governance proposals:
    cornerstone proposal new did trust_issuer --key org1-admin \\
        --arg credential_type=MembershipCredential --arg issuer=did:cornerstone:...
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import click

from cornerstone.cli import common
from cornerstone.cli.common import (
    committed_line,
    echo_json,
    home_option,
    json_option,
    key_option,
    keys_dir,
    node_option,
    signer,
)
from cornerstone.crypto import PrivateKey, load_key
from cornerstone.sdk.did import allocate_status, created_did, did_registry, resolve
from cornerstone.vc import (
    CredentialError,
    StatusRef,
    issue_credential,
    present,
    sign_status_list,
    verify_credential,
    verify_presentation,
)
from cornerstone.vc.credentials import PRESENTATION_TYPE
from cornerstone.vc.statuslist import LIST_SIZE
from cornerstone.vc.times import from_text

MODULE: Final = "did"
DAY_NS: Final = 24 * 3600 * 1_000_000_000


def _load_key(home: Path, name: str) -> PrivateKey:
    return load_key(keys_dir(home) / f"{name}.json")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {path} as JSON ({exc})") from None
    if not isinstance(value, dict):
        raise click.ClickException(f"{path} does not hold a JSON object")
    return value


def _write_json(value: Mapping[str, Any], out: Path | None) -> None:
    text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text)


def _split(text: str, parts: int, option: str) -> list[str]:
    pieces = text.split("=", parts - 1)
    if len(pieces) != parts or not all(pieces):
        shape = "=".join(["X"] * parts)
        raise click.BadParameter(f"{text!r} is not of the form {shape}", param_hint=option)
    return pieces


service_option = click.option(
    "--service",
    "services",
    multiple=True,
    metavar="ID=TYPE=URL",
    help="A service endpoint (repeatable).",
)


# ---------------------------------------------------------------------------- did
@click.group()
def did() -> None:
    """Decentralized identifiers did:cornerstone:<chain>:<id>: create, show (as of any
    height), update, deactivate, and bind to an organization or member."""


@did.command("create")
@key_option
@click.option("--name", default="", help="Make the id <your org>.<NAME> [default: derived].")
@service_option
@home_option
@node_option
def did_create(
    key_name: str, name: str, services: tuple[str, ...], home: Path, node_url: str | None
) -> None:
    """Create a DID whose first key (#key-1) is the signing key."""
    parsed = [
        dict(zip(("id", "type", "endpoint"), _split(s, 3, "--service"), strict=True))
        for s in services
    ]
    with common.connect(home, node_url) as client:
        committed = signer(client, home, key_name).submit(
            MODULE, "create", {"name": name, "services": parsed}
        )
    click.echo(created_did(committed))
    click.echo(f"  {committed_line(committed)}")


@did.command("show")
@click.argument("did_text", metavar="DID")
@click.option("--height", type=click.IntRange(min=0), default=0, help="As of this height.")
@click.option("--at", "at_text", default=None, help="As of this time (2026-01-01T00:00:00Z).")
@click.option("--metadata", is_flag=True, help="Print the whole resolution result.")
@home_option
@node_option
def did_show(
    did_text: str,
    height: int,
    at_text: str | None,
    metadata: bool,
    home: Path,
    node_url: str | None,
) -> None:
    """Print the DID document (JSON), now or as it was at a past height or time."""
    time_ns = _time(at_text, "--at") if at_text else 0
    with common.connect(home, node_url) as client:
        found = resolve(client, did_text, height=height, time_ns=time_ns)
    if found.get("didDocument") is None:
        raise click.ClickException(f"{did_text} does not resolve (it did not exist then)")
    echo_json(found if metadata else found["didDocument"])


@did.command("history")
@click.argument("did_text", metavar="DID")
@home_option
@node_option
def did_history(did_text: str, home: Path, node_url: str | None) -> None:
    """List the versions of a DID: number, height, and deactivation."""
    with common.connect(home, node_url) as client:
        versions = client.query(MODULE, "history", did=did_text)
    assert isinstance(versions, list)
    for v in versions:
        flag = "  deactivated" if v["deactivated"] else ""
        click.echo(f"version {v['versionId']}  height {v['height']}{flag}")


@did.command("update")
@click.argument("did_text", metavar="DID")
@key_option
@click.option(
    "--add-key",
    "add_keys",
    multiple=True,
    metavar="FRAGMENT=KEYNAME[:REL,REL]",
    help="Add the public key of <home>/keys/KEYNAME.json as #FRAGMENT, with relationships "
    "(authentication, assertionMethod, capabilityInvocation; default all).",
)
@click.option("--remove-key", "remove_keys", multiple=True, metavar="FRAGMENT")
@service_option
@click.option("--remove-service", "remove_services", multiple=True, metavar="ID")
@click.option(
    "--controller",
    "controllers",
    multiple=True,
    metavar="DID",
    help="Replace the controllers with these DIDs (repeatable).",
)
@click.option("--no-controllers", is_flag=True, help="Remove every other controller.")
@home_option
@node_option
def did_update(
    did_text: str,
    key_name: str,
    add_keys: tuple[str, ...],
    remove_keys: tuple[str, ...],
    services: tuple[str, ...],
    remove_services: tuple[str, ...],
    controllers: tuple[str, ...],
    no_controllers: bool,
    home: Path,
    node_url: str | None,
) -> None:
    """Change a DID in one version (removals first: remove and add #key-1 to rotate it)."""
    args: dict[str, Any] = {
        "did": did_text,
        "remove_keys": list(remove_keys),
        "remove_services": list(remove_services),
        "add_services": [
            dict(zip(("id", "type", "endpoint"), _split(s, 3, "--service"), strict=True))
            for s in services
        ],
        "add_keys": [_key_arg(home, text) for text in add_keys],
    }
    if controllers or no_controllers:
        args["controllers"] = list(controllers)
    with common.connect(home, node_url) as client:
        committed = signer(client, home, key_name).submit(MODULE, "update", args)
    click.echo(f"updated {did_text}: {committed_line(committed)}")


def _key_arg(home: Path, text: str) -> dict[str, Any]:
    fragment, rest = _split(text, 2, "--add-key")
    name, _, relationships = rest.partition(":")
    key = _load_key(home, name).public_key
    value: dict[str, Any] = {"id": fragment, "public_key": key.raw, "suite": key.suite.value}
    if relationships:
        value["relationships"] = relationships.split(",")
    return value


@did.command("deactivate")
@click.argument("did_text", metavar="DID")
@key_option
@home_option
@node_option
def did_deactivate(did_text: str, key_name: str, home: Path, node_url: str | None) -> None:
    """Deactivate a DID for good."""
    with common.connect(home, node_url) as client:
        committed = signer(client, home, key_name).submit(MODULE, "deactivate", {"did": did_text})
    click.echo(f"deactivated {did_text}: {committed_line(committed)}")


@did.command("bind")
@click.argument("did_text", metavar="DID")
@click.option("--org", required=True, help="The organization (you must be its admin).")
@click.option(
    "--member",
    default=None,
    metavar="KEYNAME|ID",
    help="Bind to this member: a key name in <home>/keys, or its identity id in hex.",
)
@key_option
@home_option
@node_option
def did_bind(
    did_text: str, org: str, member: str | None, key_name: str, home: Path, node_url: str | None
) -> None:
    """Bind a DID to your organization, or to one of its members (its alsoKnownAs names it)."""
    args: dict[str, Any] = {"did": did_text, "org": org}
    if member:
        path = keys_dir(home) / f"{member}.json"
        args["member"] = (
            load_key(path).public_key.fingerprint if path.exists() else bytes.fromhex(member)
        )
    with common.connect(home, node_url) as client:
        committed = signer(client, home, key_name).submit(MODULE, "bind", args)
    click.echo(f"bound {did_text} to {member or org}: {committed_line(committed)}")


@did.command("trusted")
@click.option("--type", "credential_type", default="", help="Only this credential type.")
@json_option
@home_option
@node_option
def did_trusted(credential_type: str, as_json: bool, home: Path, node_url: str | None) -> None:
    """List the trust lists: which issuers verifiers accept for each credential type."""
    with common.connect(home, node_url) as client:
        found = client.query(MODULE, "trusted", credential_type=credential_type)
    assert isinstance(found, list)
    if as_json:
        echo_json(found)
        return
    for entry in found:
        click.echo(
            f"{entry['credential_type']}  {entry['issuer']}  (since height {entry['since']})"
        )
    if not found:
        click.echo("no trusted issuers; `cornerstone proposal new did trust_issuer` adds one")


# ---------------------------------------------------------------------------- vc
@click.group()
def vc() -> None:
    """Verifiable credentials (W3C VC 2.0, eddsa-jcs-2022): issue, verify, revoke, suspend,
    reinstate, present; status lists from chain state."""


def _time(text: str, option: str) -> int:
    try:
        return from_text(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@vc.command("issue")
@key_option
@click.option("--issuer", required=True, metavar="DID", help="Your issuer DID.")
@click.option("--method", default="key-1", show_default=True, help="Its key's fragment.")
@click.option("--type", "types", multiple=True, required=True, help="Credential type(s).")
@click.option(
    "--subject",
    "subject_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="JSON file of the subject and its claims (with its id).",
)
@click.option("--valid-days", type=click.IntRange(min=1), default=365, show_default=True)
@click.option("--id", "credential_id", default=None, help="The credential's id (a URL).")
@click.option("--no-status", is_flag=True, help="Issue without a revocation status.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@home_option
@node_option
def vc_issue(
    key_name: str,
    issuer: str,
    method: str,
    types: tuple[str, ...],
    subject_path: Path,
    valid_days: int,
    credential_id: str | None,
    no_status: bool,
    out: Path | None,
    home: Path,
    node_url: str | None,
) -> None:
    """Issue a credential: take a status index on the chain, then sign it off chain."""
    subject = _read_json(subject_path)
    key = _load_key(home, key_name)
    status = None
    if not no_status:
        with common.connect(home, node_url) as client:
            index = allocate_status(signer(client, home, key_name), issuer)
        status = StatusRef(issuer=issuer, index=index)
    now = time.time_ns()
    credential = issue_credential(
        issuer=issuer,
        key=key,
        verification_method=f"{issuer}#{method}",
        types=types,
        subject=subject,
        valid_from_ns=now,
        valid_until_ns=now + valid_days * DAY_NS,
        status=status,
        credential_id=credential_id,
        created_ns=now,
    )
    _write_json(credential, out)
    if out is not None:
        where = f" (status index {status.index})" if status else ""
        click.echo(f"issued {', '.join(types)} to {out}{where}")


@vc.command("verify")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--challenge", default=None, help="For a presentation: the challenge you gave.")
@click.option("--domain", default=None, help="For a presentation: your domain.")
@click.option("--at", "at_text", default=None, help="Judge validity at this time [now].")
@json_option
@home_option
@node_option
def vc_verify(
    path: Path,
    challenge: str | None,
    domain: str | None,
    at_text: str | None,
    as_json: bool,
    home: Path,
    node_url: str | None,
) -> None:
    """Verify a credential or presentation: proof, issuer key as of issuance, validity,
    trust list and status. Exit 1 with the reason and its code when anything fails."""
    document = _read_json(path)
    now = _time(at_text, "--at") if at_text else None
    with common.connect(home, node_url) as client:
        registry = did_registry(client)
        try:
            if PRESENTATION_TYPE in document.get("type", []):
                if challenge is None or domain is None:
                    raise click.UsageError("a presentation needs --challenge and --domain")
                verified = verify_presentation(
                    document, registry, challenge=challenge, domain=domain, now_ns=now
                )
            else:
                verified = (verify_credential(document, registry, now_ns=now),)
        except CredentialError as error:
            if as_json:
                echo_json({"verified": False, "code": error.code, "reason": error.message})
            else:
                click.echo(f"not verified: {error.message} (vc code {error.code})", err=True)
            raise SystemExit(1) from None
    if as_json:
        echo_json(
            {
                "verified": True,
                "credentials": [
                    {"issuer": v.issuer, "types": list(v.types), "statuses": list(v.statuses)}
                    for v in verified
                ],
            }
        )
        return
    for v in verified:
        click.echo(f"verified: {', '.join(v.types)} issued by {v.issuer}")
        for status in v.statuses:
            click.echo(f"  status  {status}: clear")


def _status_command(name: str, operation: str, verb: str) -> None:
    @vc.command(name, help=f"{verb.capitalize()} a credential (its file, or --issuer and --index).")
    @click.argument("path", type=click.Path(path_type=Path, dir_okay=False), required=False)
    @click.option("--issuer", default=None, metavar="DID", help="Without a file: the issuer.")
    @click.option("--index", type=click.IntRange(min=0), default=None, help="...and the index.")
    @key_option
    @home_option
    @node_option
    def command(
        path: Path | None,
        issuer: str | None,
        index: int | None,
        key_name: str,
        home: Path,
        node_url: str | None,
    ) -> None:
        if path is not None:
            issuer, index = _status_of(_read_json(path))
        if issuer is None or index is None:
            raise click.UsageError("give the credential's file, or --issuer and --index")
        with common.connect(home, node_url) as client:
            committed = signer(client, home, key_name).submit(
                MODULE, operation, {"issuer": issuer, "index": index}
            )
        click.echo(f"{verb} status {index} of {issuer}: {committed_line(committed)}")


def _status_of(credential: Mapping[str, Any]) -> tuple[str, int]:
    entries = credential.get("credentialStatus")
    if not isinstance(entries, list) or not entries:
        raise click.ClickException("the credential has no status to change")
    entry = entries[0]
    number = int(str(entry["statusListCredential"]).rsplit("/", 1)[1])
    return str(credential["issuer"]), number * LIST_SIZE + int(entry["statusListIndex"])


_status_command("revoke", "revoke_status", "revoked")
_status_command("suspend", "suspend_status", "suspended")
_status_command("reinstate", "reinstate_status", "reinstated")


@vc.command("present")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option("--holder", required=True, metavar="DID", help="Your DID (the subject's).")
@click.option("--method", default="key-1", show_default=True, help="Its key's fragment.")
@click.option("--challenge", required=True, help="The verifier's challenge.")
@click.option("--domain", required=True, help="The verifier's domain.")
@key_option
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@home_option
def vc_present(
    paths: tuple[Path, ...],
    holder: str,
    method: str,
    challenge: str,
    domain: str,
    key_name: str,
    out: Path | None,
    home: Path,
) -> None:
    """Sign a presentation of credential files for one verifier (no network needed)."""
    presentation = present(
        [_read_json(p) for p in paths],
        holder=holder,
        key=_load_key(home, key_name),
        verification_method=f"{holder}#{method}",
        challenge=challenge,
        domain=domain,
    )
    _write_json(presentation, out)


@vc.command("status-list")
@click.argument("issuer", metavar="DID")
@click.option("--purpose", type=click.Choice(("revocation", "suspension")), default="revocation")
@click.option("--number", type=click.IntRange(min=0), default=0, help="Which list.")
@click.option("--key", "key_name", default=None, metavar="NAME", help="Sign it as the issuer.")
@click.option("--method", default="key-1", show_default=True)
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False), default=None)
@home_option
@node_option
def vc_status_list(
    issuer: str,
    purpose: str,
    number: int,
    key_name: str | None,
    method: str,
    out: Path | None,
    home: Path,
    node_url: str | None,
) -> None:
    """Print an issuer's BitstringStatusListCredential built from chain state (signed with
    --key, for verifiers outside the network)."""
    with common.connect(home, node_url) as client:
        found = client.query(MODULE, "status_list", issuer=issuer, purpose=purpose, number=number)
    if not isinstance(found, dict):
        raise click.ClickException(f"{issuer} has no {purpose} list {number}")
    if key_name is not None:
        found = sign_status_list(
            found, _load_key(home, key_name), verification_method=f"{issuer}#{method}"
        )
    _write_json(found, out)
