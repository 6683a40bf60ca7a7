"""`cornerstone data`: share datasets between organizations with the data encrypted off chain.

    keys register            make (once) and register your X25519 encryption key
    publish FILE             encrypt, upload the ciphertext, register a version
    grant / revoke           who may receive the keys of a dataset, for what purpose: an
                             organization, a member, or holders of a credential type
    request / deliver        ask for a version's key (as a credential holder: with a
                             presentation); the owner releases keys the grants allow
    fetch                    download, check, unwrap, decrypt, check: or say which step failed
    audit                    who obtained which version, under which grant, with proofs

Encryption keys live in <home>/enckeys/NAME.json (mode 0600), NAME being the signing key's
name; they are never printed. Ciphertexts go to --store: a gateway's blob URL
(http://HOST:PORT/v1/blobs, with its upload token), a store server's URL, an S3 bucket
(s3://BUCKET[/PREFIX], at --s3-endpoint) or a folder; by default the local network's first
gateway. An s3:// location on chain names no endpoint: `fetch` reads it at its own
--s3-endpoint (else $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, AWS), with its own credentials.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import click

from cornerstone.cli import common
from cornerstone.cli.common import (
    committed_line,
    home_option,
    key_option,
    node_option,
    proof_line,
    signer,
    table,
)
from cornerstone.crypto import load_key
from cornerstone.datashare import (
    DataShare,
    EncryptionKey,
    audit,
    audit_csv,
    load_encryption_key,
    save_encryption_key,
)
from cornerstone.datashare.delegation import UmbralKeys, save_umbral_keys
from cornerstone.datashare.errors import StoreError
from cornerstone.datashare.store import BlobStore, open_store, store_of_location
from cornerstone.datashare.store.s3config import S3Settings
from cornerstone.errors import LocalnetError, ProofError
from cornerstone.modules.datashare.keys import DATASET_ID_SIZE
from cornerstone.sdk import Client, VerifiedValue

ENCKEYS_DIR: Final = "enckeys"
STORE_ENV: Final = "CORNERSTONE_STORE"
STORE_TOKEN_ENV: Final = "CORNERSTONE_STORE_TOKEN_FILE"

store_option = click.option(
    "--store",
    "store_spec",
    default=None,
    metavar="URL|DIR",
    help="Object store: a gateway's blob URL (http://HOST:PORT/v1/blobs), a store server's URL, "
    f"s3://BUCKET[/PREFIX] or a folder [default: ${STORE_ENV}, else the local network's first "
    "gateway, else <home>/store].",
)
s3_endpoint_option = click.option(
    "--s3-endpoint",
    default=None,
    metavar="URL",
    help="The S3 API of s3:// stores and locations, e.g. http://127.0.0.1:8333 "
    "[default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL, else AWS S3].",
)
s3_credentials_option = click.option(
    "--s3-credentials-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="An AWS credentials file (INI; profile $AWS_PROFILE or default) for S3 "
    "[default: $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY, else "
    "$AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, else anonymous].",
)
store_token_option = click.option(
    "--store-token-file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="The file of the store's upload token (a gateway's --blob-token-file) "
    f"[default: ${STORE_TOKEN_ENV}, or the gateway's own for a gateway of the local network].",
)


def enckey_path(home: Path, key_name: str) -> Path:
    return home / ENCKEYS_DIR / f"{key_name}.json"


def _local_gateways(home: Path) -> dict[str, Path]:
    """The local network's gateway blob URLs (the first node's first) and their token files;
    none without a local network at `home`."""
    from cornerstone.localnet import Localnet

    try:
        network = Localnet.load(home)
    except LocalnetError:
        return {}
    if network.app == "kvstore":  # no gateways
        return {}
    return {node.blob_url: node.blob_token_file for node in network.nodes}


def _upload_store(
    home: Path, spec: str | None, token_file: Path | None, s3: S3Settings | None = None
) -> BlobStore:
    """Where `publish` uploads: --store, $CORNERSTONE_STORE, the local network's first gateway,
    or <home>/store. An HTTP store gets the token of --store-token-file, of
    $CORNERSTONE_STORE_TOKEN_FILE, or, for a gateway of the local network, of its own file; an
    S3 store the endpoint and credentials of `s3`."""
    spec = spec or os.environ.get(STORE_ENV)
    if spec is not None and spec.startswith("s3://"):
        return open_store(spec, s3=s3)
    if spec is not None and not spec.startswith(("http://", "https://")):
        return open_store(spec)
    gateways = _local_gateways(home)
    if spec is None:
        spec = next(iter(gateways), None)
        if spec is None:
            return open_store(str(home / "store"))
    env_file = os.environ.get(STORE_TOKEN_ENV)
    token_file = token_file or (Path(env_file) if env_file else None)
    if token_file is None:
        token_file = gateways.get(spec.rstrip("/"))
    token = None
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise StoreError(
                store=spec, reason=f"its token file {token_file} cannot be read ({exc.strerror})"
            ) from None
    return open_store(spec, token=token)


def _share(
    client: Client,
    home: Path,
    key_name: str,
    *,
    with_key: bool = True,
    store: BlobStore | None = None,
) -> DataShare:
    """`store` is where ciphertexts are uploaded (publish); reads follow the locations on
    chain."""
    encryption_key = load_encryption_key(enckey_path(home, key_name)) if with_key else None
    from cornerstone.cli.data_proxy import load_umbral

    return DataShare(
        signer(client, home, key_name),
        encryption_key=encryption_key,
        store=store,
        umbral=load_umbral(home, key_name) if with_key else None,
    )


def _dataset_id(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != DATASET_ID_SIZE:
        raise click.BadParameter(f"a dataset id is {2 * DATASET_ID_SIZE} hex characters")
    return raw


def _identity(text: str) -> bytes:
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise click.BadParameter("an identity id is 64 hex characters")
    return raw


@click.group()
def data() -> None:
    """Share datasets: encrypted off chain; ownership, grants, key releases and receipts on it.

    \b
    Owner:      keys register, publish FILE, grant, revoke, deliver
    Recipient:  keys register, request, fetch
    Anyone:     show DATASET, audit [--csv]
    """


# ---------------------------------------------------------------------------- keys
@data.group("keys")
def data_keys() -> None:
    """Your X25519 encryption key, to which data keys are sealed."""


@data_keys.command("register")
@key_option
@home_option
@node_option
def keys_register(key_name: str, home: Path, node_url: str | None) -> None:
    """Create <home>/enckeys/NAME.json (mode 0600) unless it exists, and register its public key
    on chain for the identity of signing key NAME (again after a rotation: the new one wins)."""
    path = enckey_path(home, key_name)
    if not path.exists():
        save_encryption_key(path, EncryptionKey.generate(), name=key_name)
        click.echo(f"created encryption key {path} (mode 0600)")
    from cornerstone.cli.data_proxy import umbral_path

    umbral = umbral_path(home, key_name)
    if not umbral.exists():  # for delivery by the nodes' proxies
        save_umbral_keys(umbral, UmbralKeys.generate(), name=key_name)
        click.echo(f"created Umbral keys {umbral} (mode 0600)")
    with common.connect(home, node_url) as client:
        share = _share(client, home, key_name)
        committed = share.register_key()
        assert share.encryption_key is not None
        public = share.encryption_key.public_key.hex()
    click.echo(f"registered encryption key {public} for {share.identity.hex()}")
    click.echo(f"  {committed_line(committed)}")


# ---------------------------------------------------------------------------- owner
@data.command("publish")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--title", default="", help="Title (required for a new dataset).")
@click.option("--description", default="", help="What this version holds.")
@click.option("--schema", default="", help="The schema of its content (JSON Schema, URI...).")
@click.option("--dataset", "dataset_hex", default=None, help="Publish a new version of it.")
@key_option
@store_option
@store_token_option
@s3_endpoint_option
@s3_credentials_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@home_option
@node_option
def data_publish(
    file: Path,
    title: str,
    description: str,
    schema: str,
    dataset_hex: str | None,
    key_name: str,
    store_spec: str | None,
    store_token_file: Path | None,
    s3_endpoint: str | None,
    s3_credentials_file: Path | None,
    as_json: bool,
    home: Path,
    node_url: str | None,
) -> None:
    """Encrypt FILE under a fresh key, upload the ciphertext, and register it on chain."""
    dataset = _dataset_id(dataset_hex) if dataset_hex else None
    if dataset is None and not title:
        raise click.BadParameter("a new dataset needs a title", param_hint="--title")
    with common.connect(home, node_url) as client:
        s3 = S3Settings(endpoint=s3_endpoint, credentials_file=s3_credentials_file)
        store = _upload_store(home, store_spec, store_token_file, s3)
        published = _share(client, home, key_name, store=store).publish(
            file.read_bytes(),
            title=title,
            description=description,
            schema=schema,
            dataset=dataset,
        )
    if as_json:
        common.echo_json(
            {
                "dataset": published.dataset,
                "version": published.version,
                "content_hash": published.content_hash,
                "cipher_hash": published.cipher_hash,
                "location": published.location,
                "height": published.committed.height,
            }
        )
        return
    click.echo(f"published dataset {published.dataset.hex()} version {published.version}")
    click.echo(f"  content sha256  {published.content_hash.hex()}")
    click.echo(f"  cipher sha256   {published.cipher_hash.hex()}")
    click.echo(f"  location        {published.location}")
    click.echo(f"  {committed_line(published.committed)}")


def _expiry_time(text: str | None) -> int:
    if not text:
        return 0
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            "give an ISO 8601 time with its offset, e.g. 2027-01-01T00:00:00+00:00",
            param_hint="--expires-at",
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter("give the time's UTC offset", param_hint="--expires-at")
    return int(moment.timestamp()) * 1_000_000_000


@data.command("grant")
@click.argument("dataset_hex", metavar="DATASET")
@click.option("--org", "org", default=None, help="Grant to every member of this organization.")
@click.option("--member", "member", default=None, help="Grant to one identity (64 hex).")
@click.option(
    "--credential-type",
    "credential",
    default=None,
    metavar="TYPE",
    help="Grant to holders of a verifiable credential of this type.",
)
@click.option(
    "--issuer",
    default="",
    metavar="DID",
    help="With --credential-type: accept this issuer's credentials only.",
)
@click.option("--purpose", required=True, help="What the data may be used for.")
@click.option("--expires-height", type=click.IntRange(min=0), default=0, help="Last valid height.")
@click.option("--expires-at", default=None, help="Block time it ends (ISO 8601 with offset).")
@click.option(
    "--delegate",
    "delegated",
    is_flag=True,
    help="Also let the nodes' proxies deliver the keys while you are offline "
    "(`cornerstone data delegate`).",
)
@key_option
@home_option
@node_option
def data_grant(
    dataset_hex: str,
    org: str | None,
    member: str | None,
    credential: str | None,
    issuer: str,
    purpose: str,
    expires_height: int,
    expires_at: str | None,
    delegated: bool,
    key_name: str,
    home: Path,
    node_url: str | None,
) -> None:
    """Let an organization, a member or the holders of a credential type (trusted issuers'
    credentials, proved with a presentation when they request) receive DATASET's keys."""
    if delegated and credential:
        raise click.UsageError("--delegate needs --org or --member (use `data delegate` later)")
    chosen = [
        (k, v) for k, v in (("org", org), ("member", member), ("credential", credential)) if v
    ]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --org, --member and --credential-type")
    kind, grantee = chosen[0]
    if issuer and kind != "credential":
        raise click.UsageError("--issuer goes with --credential-type")
    with common.connect(home, node_url) as client:
        number, committed = _share(client, home, key_name, with_key=False).grant(
            _dataset_id(dataset_hex),
            kind=kind,
            grantee=grantee,
            purpose=purpose,
            expires_height=expires_height,
            expires_time=_expiry_time(expires_at),
            issuer=issuer,
        )
        by = f" issued by {issuer}" if issuer else ""
        click.echo(f"grant {number} of {dataset_hex}: {kind} {grantee}{by} for {purpose!r}")
        click.echo(f"  {committed_line(committed)}")
        if delegated:
            from cornerstone.cli.data_proxy import delegate_grant, echo_delegated

            done = delegate_grant(
                client,
                home,
                key_name,
                dataset=_dataset_id(dataset_hex),
                grant=number,
                kind=kind,
                grantee=grantee,
            )
            echo_delegated(dataset_hex, number, done)


@data.command("revoke")
@click.argument("dataset_hex", metavar="DATASET")
@click.argument("grant", type=click.IntRange(min=1))
@key_option
@home_option
@node_option
def data_revoke(
    dataset_hex: str, grant: int, key_name: str, home: Path, node_url: str | None
) -> None:
    """Revoke GRANT of DATASET: no key is released under it from now on."""
    with common.connect(home, node_url) as client:
        committed = _share(client, home, key_name, with_key=False).revoke(
            _dataset_id(dataset_hex), grant
        )
    click.echo(f"revoked grant {grant} of {dataset_hex}")
    click.echo(f"  {committed_line(committed)}")


@data.command("deliver")
@click.option("--dataset", "dataset_hex", default=None, help="Only requests for this dataset.")
@key_option
@home_option
@node_option
def data_deliver(dataset_hex: str | None, key_name: str, home: Path, node_url: str | None) -> None:
    """Release keys for the pending requests to your datasets that a grant covers now; say why
    for the others (they stay pending)."""
    dataset = _dataset_id(dataset_hex) if dataset_hex else None
    with common.connect(home, node_url) as client:
        done = _share(client, home, key_name).deliver(dataset)
    if not done:
        click.echo("no pending requests")
    for d in done:
        what = f"{d.dataset.hex()} v{d.version} to {d.recipient.hex()} for {d.purpose!r}"
        if d.committed is not None:
            click.echo(f"released {what}: {committed_line(d.committed)}")
        else:
            click.echo(f"refused {what}: {d.refusal}")


# ---------------------------------------------------------------------------- recipient
@data.command("request")
@click.argument("dataset_hex", metavar="DATASET")
@click.option("--version", type=click.IntRange(min=1), default=None, help="[default: latest]")
@click.option("--purpose", required=True, help="Why you need it.")
@click.option(
    "--presentation",
    "presentation_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="A presentation (JSON) made for this request (its challenge: `--show-challenge`).",
)
@click.option(
    "--credential",
    "credential_paths",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A credential file to present (repeatable); the presentation is made here.",
)
@click.option("--holder", default=None, metavar="DID", help="With --credential: your DID.")
@click.option(
    "--holder-key",
    default=None,
    metavar="NAME",
    help="With --credential: the key that signs for the holder DID [default: --key].",
)
@click.option("--method", default="key-1", show_default=True, help="That key's fragment.")
@click.option(
    "--show-challenge", is_flag=True, help="Print the challenge a presentation needs; send nothing."
)
@key_option
@home_option
@node_option
def data_request(
    dataset_hex: str,
    version: int | None,
    purpose: str,
    presentation_path: Path | None,
    credential_paths: tuple[Path, ...],
    holder: str | None,
    holder_key: str | None,
    method: str,
    show_challenge: bool,
    key_name: str,
    home: Path,
    node_url: str | None,
) -> None:
    """Ask DATASET's owner for the key of a version, with a purpose. To be covered by a grant
    to credential holders, present a credential: --credential FILE --holder DID (the
    presentation is signed here), or --presentation FILE made elsewhere with the challenge
    `--show-challenge` prints and the chain id as domain."""
    if presentation_path is not None and credential_paths:
        raise click.UsageError("give --presentation or --credential, not both")
    if credential_paths and not holder:
        raise click.UsageError("--credential needs --holder (your DID)")
    dataset = _dataset_id(dataset_hex)
    with common.connect(home, node_url) as client:
        share = _share(client, home, key_name, with_key=False)
        number = version or share.latest_version(dataset)
        if show_challenge:
            click.echo(f"challenge {share.challenge(dataset, number, purpose)}")
            click.echo(f"domain    {client.chain_id()}")
            return
        presentation = None
        if presentation_path is not None:
            presentation = _read_json(presentation_path)
        elif credential_paths:
            assert holder is not None
            presentation = share.present_for(
                [_read_json(p) for p in credential_paths],
                dataset=dataset,
                version=number,
                purpose=purpose,
                holder=holder,
                holder_key=load_key(common.keys_dir(home) / f"{holder_key or key_name}.json"),
                method=method,
            )
        committed = share.request(dataset, number, purpose, presentation=presentation)
    held = [
        a["credential"]
        for t, a in committed.events
        if t == "datashare.requested" and "credential" in a
    ]
    as_holder = f" as holder of {held[0]}" if held else ""
    click.echo(f"requested {dataset_hex} version {number} for {purpose!r}{as_holder}")
    click.echo(f"  {committed_line(committed)}")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"{path} is not a JSON file: {exc}") from None
    if not isinstance(value, dict):
        raise click.BadParameter(f"{path} does not hold a JSON object")
    return value


@data.command("fetch")
@click.argument("dataset_hex", metavar="DATASET")
@click.option("--version", type=click.IntRange(min=1), default=None, help="[default: latest]")
@click.option(
    "--out", "out", required=True, type=click.Path(path_type=Path, dir_okay=False), help="File."
)
@key_option
@click.option(
    "--store",
    "store_spec",
    default=None,
    metavar="DIR|URL",
    help="Fetch from this store instead of the location on chain.",
)
@s3_endpoint_option
@s3_credentials_option
@home_option
@node_option
def data_fetch(
    dataset_hex: str,
    version: int | None,
    out: Path,
    key_name: str,
    store_spec: str | None,
    s3_endpoint: str | None,
    s3_credentials_file: Path | None,
    home: Path,
    node_url: str | None,
) -> None:
    """Download a version, check its ciphertext hash, unwrap its key with your encryption key,
    decrypt, check its content hash, and write it to --out. Nothing is written unless every
    step passes; a failure names the step and why."""
    dataset = _dataset_id(dataset_hex)
    with common.connect(home, node_url) as client:
        share = _share(client, home, key_name)
        number = version or share.latest_version(dataset)
        s3 = S3Settings(endpoint=s3_endpoint, credentials_file=s3_credentials_file)
        override = open_store(store_spec, s3=s3) if store_spec else None
        location = "" if override else str(share.version(dataset, number)["location"])
        if location.startswith("s3://"):
            # The location names no endpoint: this side's settings give it. `fetch` still
            # checks what comes back against the proven ciphertext hash.
            override, _named = store_of_location(location, s3=s3)
        plaintext = share.fetch(dataset, number, store=override)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(plaintext)
    click.echo(f"fetched {dataset_hex} version {number}: {len(plaintext)} bytes to {out}")
    click.echo("  ciphertext hash, key, decryption and content hash checked")


# ---------------------------------------------------------------------------- anyone
@data.command("show")
@click.argument("dataset_hex", metavar="DATASET")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@home_option
@node_option
def data_show(dataset_hex: str, as_json: bool, home: Path, node_url: str | None) -> None:
    """Show DATASET: owner, versions and grants (never a key)."""
    with common.connect(home, node_url) as client:
        found = client.query("datashare", "dataset", dataset=_dataset_id(dataset_hex))
    if found is None:
        raise click.ClickException(f"there is no dataset {dataset_hex}")
    record = common.as_dict(found)
    for version in record["versions_list"]:
        version.pop("owner_key")
    if as_json:
        common.echo_json(record)
        return
    click.echo(f"dataset {dataset_hex}: {record['title']}")
    click.echo(f"  owner    {record['owner'].hex()} ({record['org']})")
    table(
        ("VERSION", "SIZE", "HEIGHT", "CIPHER SHA256", "LOCATION"),
        [
            (v["version"], v["size"], v["height"], v["cipher_hash"].hex()[:16], v["location"])
            for v in record["versions_list"]
        ],
    )
    click.echo("")
    table(
        ("GRANT", "KIND", "GRANTEE", "PURPOSE", "EXPIRES", "REVOKED"),
        [
            (
                g["grant"],
                g["kind"],
                g["grantee"] + (f" by {g['issuer']}" if g.get("issuer") else ""),
                g["purpose"],
                _expires(g),
                g["revoked_at"] or "-",
            )
            for g in record["grants_list"]
        ],
    )


def _expires(grant: dict[str, Any]) -> str:
    parts = []
    if grant["expires_height"]:
        parts.append(f"height {grant['expires_height']}")
    if grant["expires_time"]:
        parts.append(f"time {grant['expires_time']}")
    return ", ".join(parts) or "never"


@data.command("audit")
@click.option("--dataset", "dataset_hex", default=None, help="Receipts of this dataset.")
@click.option("--recipient", "recipient_hex", default=None, help="Receipts of this identity.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the export to a file (CSV unless --json).",
)
@home_option
@node_option
def data_audit(
    dataset_hex: str | None,
    recipient_hex: str | None,
    as_csv: bool,
    as_json: bool,
    out: Path | None,
    home: Path,
    node_url: str | None,
) -> None:
    """Who obtained which version, when, under which grant and purpose: every access receipt,
    each proven against a block header's app hash."""
    with common.connect(home, node_url) as client:
        try:
            entries = audit(
                client,
                dataset=_dataset_id(dataset_hex) if dataset_hex else None,
                recipient=_identity(recipient_hex) if recipient_hex else None,
            )
        except ProofError as exc:
            raise click.ClickException(
                f"{exc.message}: do not trust the node at {client.rpc_url}"
            ) from None
    if as_csv or (out is not None and not as_json):
        text = audit_csv(entries)
    elif as_json:
        text = json.dumps([e.to_json() for e in entries], indent=2) + "\n"
    else:
        rows = [
            (
                e.receipt["dataset"].hex(),
                e.receipt["version"],
                e.receipt["recipient"].hex()[:16],
                e.receipt["org"],
                e.receipt["grant"],
                e.receipt["purpose"],
                e.receipt["height"],
                (e.receipt.get("credential") or {}).get("id", "-"),
            )
            for e in entries
        ]
        if not rows:
            click.echo("no access receipts")
            return
        table(
            ("DATASET", "VERSION", "RECIPIENT", "ORG", "GRANT", "PURPOSE", "HEIGHT", "CREDENTIAL"),
            rows,
        )
        last = entries[-1]
        click.echo(
            f"{len(entries)} receipt(s); each "
            + proof_line(VerifiedValue(b"", None, last.proof_height, last.app_hash))
        )
        return
    if out is not None:
        out.write_text(text)
        click.echo(f"wrote {len(entries)} proven receipt(s) to {out}")
    else:
        click.echo(text, nl=False)
