"""The web console, and the few endpoints it needs beyond the API: the network's overview and
signing with the keys the organization manages.

    GET  /                                  redirects to /console
    GET  /console, /console/<asset>         the console: static files of this package, no CDN
    GET  /v1/network                        chain id, heights, validators, peers, block rate
    GET  /v1/managed                        the keys this gateway signs with (names, public keys)
    POST /v1/managed/{key_name}/vote        sign and submit a governance vote with that key
    POST /v1/managed/{key_name}/propose     sign and submit a governance proposal with that key

Managed signing is the issue's "for members whose keys the organization manages, sign for an
authenticated member". A gateway started with `--managed-key NAME=FILE` holds those keys in
memory; at start it writes a fresh random token to `--console-token-file` (mode 0600), and only
a request with `Authorization: Bearer <token>` may sign. Reading the token needs access to the
organization's machine, as reading the key files does, so the token grants nothing more than
the files; it stops every other client of the gateway. Keys never leave the process: answers
name a key and its public key, never its private part, and the log names the key only.

Without managed keys and a token file, the /v1/managed routes answer 404.
"""

from __future__ import annotations

import base64
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, FastAPI, Header, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from cornerstone import encoding
from cornerstone.chain import NONCE_PREFIX
from cornerstone.crypto import PrivateKey, load_key
from cornerstone.gateway import models
from cornerstone.gateway.errors import GatewayError, NotFoundError, UnauthorizedError
from cornerstone.gateway.node import ChainRefusal, Node
from cornerstone.tx import sign_transaction

if TYPE_CHECKING:
    from cornerstone.gateway.app import Gateway

log = logging.getLogger("cornerstone.gateway.console")

ASSETS_DIR = Path(__file__).resolve().parent / "console"
ASSETS: Mapping[str, str] = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
    "sse.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
"""Every file the console serves, with its content type: nothing else under /console is read."""
SECURITY_HEADERS: Mapping[str, str] = {
    # Only this gateway's own files and API: a console that loaded anything from elsewhere
    # would not work offline, and would hand the token to whoever served it.
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}
TOKEN_BYTES = 32
MANAGED_GAS = 2_000_000
"""Gas of a managed transaction: enough for a proposal that carries a contract's source."""
COMMIT_TIMEOUT = 30.0
RATE_WINDOW = 50
"""Blocks the block rate is measured over."""

PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"model": models.Problem, "content": {"application/problem+json": {}}}
    for status in (400, 401, 404, 422, 502, 503, 504)
}


# ---------------------------------------------------------------------------- models
class Validator(models.Model):
    """A validator of the current set, as the node's RPC reports it."""

    address: str
    """Its address, hex."""
    public_key: str
    """Its consensus public key, hex."""
    power: int
    """Its voting power."""
    proposer_priority: int
    """CometBFT's proposer priority."""
    org: str | None
    """The organization the membership module says it belongs to."""


class Peer(models.Model):
    """A node this gateway's node is connected to."""

    node_id: str
    """Its P2P id."""
    moniker: str
    """Its name."""
    remote_ip: str
    """Its address as seen from this node."""


class NetworkInfo(models.Model):
    """The network as this gateway's node sees it."""

    chain_id: str
    """The chain id."""
    node_id: str
    """This node's P2P id."""
    moniker: str
    """This node's name."""
    cometbft_version: str
    """The CometBFT version this node runs."""
    height: int
    """This node's latest committed height."""
    latest_block_time: str
    """The time of that block."""
    catching_up: bool
    """True while the node is still syncing."""
    index_height: int
    """The highest block in this gateway's index."""
    validators: list[Validator]
    """The validator set."""
    peers: list[Peer]
    """The connected peers."""
    block_rate: float | None
    """Blocks per minute over the last indexed blocks; None with fewer than two."""


class ManagedKey(models.Model):
    """A key this gateway signs with for an authenticated console user."""

    name: str
    """The name it was given with --managed-key."""
    public_key: str
    """Its public key, hex."""
    identity: str
    """Its identity id (the public key's fingerprint), hex: the sender of what it signs."""


class VoteRequest(models.Model):
    """A governance vote."""

    proposal: int = Field(ge=1)
    """The proposal's number."""
    approve: bool
    """True to approve, False to reject."""


class ProposeRequest(models.Model):
    """A governance proposal."""

    module: str
    """The module that owns the action, e.g. `governance`."""
    action: str
    """The action, e.g. `set_param`."""
    args: dict[str, Any] = Field(default_factory=dict)
    """The action's arguments."""
    title: str = ""
    """What it is for, for people."""
    voting_period: int = Field(default=0, ge=0)
    """Blocks it stays open; 0 takes the chain's default."""


# ---------------------------------------------------------------------------- managed keys
class ManagedKeys:
    """The keys a gateway signs with, and the token that allows it."""

    def __init__(self, keys: Mapping[str, PrivateKey], token: str | None) -> None:
        self._keys = dict(keys)
        self._token = token
        self._locks = {name: threading.Lock() for name in self._keys}
        """One submission per key at a time: each reads the key's next nonce from the chain."""

    @classmethod
    def from_settings(
        cls, pairs: tuple[tuple[str, Path], ...], token_file: Path | None
    ) -> ManagedKeys:
        """Load the key files (KeyFileError for a bad one: the gateway does not start) and,
        with a token file, write a fresh token to it."""
        keys = {name: load_key(path) for name, path in pairs}
        token = None
        if token_file is not None:
            token = secrets.token_urlsafe(TOKEN_BYTES)
            write_token(token_file, token)
        return cls(keys, token)

    @property
    def enabled(self) -> bool:
        return self._token is not None and bool(self._keys)

    def authorize(self, authorization: str | None) -> None:
        """UnauthorizedError unless `authorization` is `Bearer <the token>`."""
        if not self.enabled:
            raise NotFoundError(
                what="managed signing (start the gateway with --managed-key and "
                "--console-token-file)"
            )
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise UnauthorizedError(reason="this request carries no console token")
        assert self._token is not None
        if not hmac.compare_digest(given.strip().encode(), self._token.encode()):
            raise UnauthorizedError(reason="the console token is wrong")

    def accepts(self, token: str) -> bool:
        """Whether `token` is the console token: the operator, for member authentication."""
        return self._token is not None and hmac.compare_digest(token.encode(), self._token.encode())

    def listing(self) -> list[ManagedKey]:
        return [
            ManagedKey(
                name=name,
                public_key=key.public_key.hex(),
                identity=key.public_key.fingerprint.hex(),
            )
            for name, key in sorted(self._keys.items())
        ]

    def key(self, name: str) -> tuple[PrivateKey, threading.Lock]:
        if name not in self._keys:
            raise NotFoundError(what=f"the managed key {name!r}")
        return self._keys[name], self._locks[name]


def write_token(path: Path, token: str) -> None:
    """Write `token` to `path`, readable by its owner only (an older token is replaced)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a file that existed keeps its mode otherwise
        os.write(fd, (token + "\n").encode())
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------- routes
def add_routes(app: FastAPI, gateway: Gateway) -> None:
    """The console's files, the network overview and the managed-signing routes."""
    settings = gateway.settings
    managed = ManagedKeys.from_settings(settings.managed_keys, settings.console_token_file)
    app.state.managed = managed
    gateway.auth.accept_bearer(managed.accepts)  # the console's reads, under --auth required
    node = gateway.node
    index = gateway.index

    def token(authorization: Annotated[str | None, Header()] = None) -> None:
        """The console token, checked before anything else of the request is read."""
        managed.authorize(authorization)

    authorized = [Depends(token)]

    # Plain Starlette routes, not API operations: pages and files stay out of the OpenAPI
    # document, which describes the API only.
    async def root(_request: Request) -> Response:
        return RedirectResponse("/console", status_code=307)

    async def console_page(_request: Request) -> Response:
        return _asset("index.html")

    async def console_asset(request: Request) -> Response:
        return _asset(str(request.path_params["name"]))

    app.add_route("/", root, methods=["GET"], include_in_schema=False)
    app.add_route("/console", console_page, methods=["GET"], include_in_schema=False)
    app.add_route("/console/", console_page, methods=["GET"], include_in_schema=False)
    app.add_route("/console/{name}", console_asset, methods=["GET"], include_in_schema=False)

    @app.get(
        "/v1/network",
        response_model=NetworkInfo,
        responses=PROBLEMS,
        tags=["network"],
        summary="The network as this node sees it",
    )
    def network() -> NetworkInfo:
        """Chain id, heights, the validator set (with each validator's organization), peers,
        and the block rate over the last indexed blocks."""
        status = node.status()
        validators = node.call("validators", per_page="100")["validators"]
        peers = node.call("net_info")["peers"]
        owners = _validator_orgs(node)
        return NetworkInfo(
            chain_id=str(status["node_info"]["network"]),
            node_id=str(status["node_info"]["id"]),
            moniker=str(status["node_info"]["moniker"]),
            cometbft_version=str(status["node_info"]["version"]),
            height=int(status["sync_info"]["latest_block_height"]),
            latest_block_time=str(status["sync_info"]["latest_block_time"]),
            catching_up=bool(status["sync_info"]["catching_up"]),
            index_height=index.height(),
            validators=[
                Validator(
                    address=str(v["address"]).lower(),
                    public_key=(key := _b64_hex(v["pub_key"]["value"])),
                    power=int(v["voting_power"]),
                    proposer_priority=int(v["proposer_priority"]),
                    org=owners.get(key),
                )
                for v in validators
            ],
            peers=[
                Peer(
                    node_id=str(p["node_info"]["id"]),
                    moniker=str(p["node_info"]["moniker"]),
                    remote_ip=str(p["remote_ip"]),
                )
                for p in peers
            ],
            block_rate=block_rate_of([b.time for b in index.blocks(limit=RATE_WINDOW).items]),
        )

    @app.get(
        "/v1/managed",
        response_model=list[ManagedKey],
        responses=PROBLEMS,
        tags=["managed signing"],
        summary="The keys this gateway signs with",
        dependencies=authorized,
    )
    def managed_keys() -> list[ManagedKey]:
        """Names and public keys of the managed keys (needs the console token)."""
        return managed.listing()

    @app.post(
        "/v1/managed/{key_name}/vote",
        response_model=models.Committed,
        responses=PROBLEMS,
        tags=["managed signing"],
        summary="Vote on a proposal with a managed key",
        dependencies=authorized,
    )
    async def managed_vote(key_name: str, body: VoteRequest) -> models.Committed:
        """Sign a governance vote with the managed key, submit it and wait for its block. A
        vote the chain refuses in the block comes back with its code and sentence."""
        args = {"proposal": body.proposal, "approve": body.approve}
        committed = await run_in_threadpool(
            _sign_and_commit, gateway, managed, key_name, "vote", args
        )
        log.info("managed key %s voted on proposal %d", key_name, body.proposal)
        return committed

    @app.post(
        "/v1/managed/{key_name}/propose",
        response_model=models.Committed,
        responses=PROBLEMS,
        tags=["managed signing"],
        summary="Make a proposal with a managed key",
        dependencies=authorized,
    )
    async def managed_propose(key_name: str, body: ProposeRequest) -> models.Committed:
        """Sign a governance proposal with the managed key, submit it and wait for its block."""
        args: dict[str, encoding.Value] = {
            "module": body.module,
            "action": body.action,
            "args": body.args,
            "title": body.title,
            "voting_period": body.voting_period,
        }
        committed = await run_in_threadpool(
            _sign_and_commit, gateway, managed, key_name, "propose", args
        )
        log.info("managed key %s proposed %s.%s", key_name, body.module, body.action)
        return committed


def _asset(name: str) -> Response:
    content_type = ASSETS.get(name)
    if content_type is None:
        raise NotFoundError(what=f"the console file {name!r}")
    return Response(
        (ASSETS_DIR / name).read_bytes(), media_type=content_type, headers=dict(SECURITY_HEADERS)
    )


def _sign_and_commit(
    gateway: Gateway,
    managed: ManagedKeys,
    key_name: str,
    operation: str,
    args: Mapping[str, encoding.Value],
) -> models.Committed:
    key, lock = managed.key(key_name)
    node = gateway.node
    with lock:
        raw_nonce, _ = node.read(NONCE_PREFIX + key.public_key.fingerprint)
        tx = sign_transaction(
            key,
            chain_id=str(node.status()["node_info"]["network"]),
            nonce=0 if raw_nonce is None else encoding.decode_int(raw_nonce),
            module="governance",
            operation=operation,
            args=args,
            gas_limit=MANAGED_GAS,
        )
        outcome = node.wait_for_commit(node.broadcast(tx.encode()), timeout=COMMIT_TIMEOUT)
    return models.committed_of(outcome)


def _validator_orgs(node: Node) -> dict[str, str]:
    """Validator public key (hex) to organization, from the membership module."""
    try:
        value, _ = node.query("membership", "validators", {})
    except (ChainRefusal, GatewayError):
        return {}
    owners = {}
    for entry in value if isinstance(value, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("public_key"), bytes):
            owners[entry["public_key"].hex()] = str(entry.get("org"))
    return owners


def _b64_hex(text: str) -> str:
    return base64.b64decode(text).hex()


def block_rate_of(times: list[str]) -> float | None:
    """Blocks per minute between the oldest and newest of `times` (RFC 3339)."""
    if len(times) < 2:
        return None
    stamps = sorted(datetime.fromisoformat(t) for t in times)
    seconds = (stamps[-1] - stamps[0]).total_seconds()
    if seconds <= 0:
        return None
    return round((len(stamps) - 1) * 60.0 / seconds, 2)
