"""TLS for the gateway, and members' certificates as client certificates (mutual TLS).

    --tls-cert FILE --tls-key FILE        the gateway's server certificate and key (PEM)
    --client-ca FILE                      organization root CA certificates (PEM or DER; repeat)
    --client-ca-from-chain                ... and every organization root the chain holds
    --client-certs optional|required      whether the handshake demands a client certificate

The handshake checks that a client certificate chains to one of the roots; `auth.py` then asks
the chain whether the holder is an active member (organization active, certificate valid now and
not revoked), so a root taken from a file never outranks the chain's own membership records.
Roots read from the chain are those at start: an organization admitted later is trusted after a
restart (its members can sign requests meanwhile).

uvicorn does not pass the client's certificate to the application (it has no ASGI TLS
extension), so `PeerCertificateProtocol` is uvicorn's own protocol (httptools, the one the
gateway serves plain HTTP with, app.HTTP_PROTOCOL) with one addition: when a connection is made
over TLS with a client certificate, every request on it carries the ASGI TLS extension's
`scope["extensions"]["tls"]["client_cert_chain"]` (the leaf, PEM; Python's `ssl` on 3.11 gives
only the leaf). The certificate was verified by OpenSSL during the handshake, before any request
on the connection.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from cornerstone.errors import ConfigError
from cornerstone.gateway.node import Node

ClientCerts = Literal["optional", "required"]
CLIENT_CERTS: Final = ("optional", "required")
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]],
    Awaitable[None],
]


@dataclass(frozen=True, slots=True)
class TlsSettings:
    """The gateway's TLS: its own certificate, and the roots client certificates chain to."""

    cert_file: Path
    """The server certificate (PEM, the chain after it if any)."""
    key_file: Path
    """Its private key (PEM)."""
    client_ca_files: tuple[Path, ...] = ()
    """Organization root CA certificates, PEM (one or more) or DER."""
    client_ca_from_chain: bool = False
    """Also trust every organization root the chain holds at start."""
    client_certs: ClientCerts = "optional"
    """With roots: whether a client must present a certificate in the handshake."""


def server_context(settings: TlsSettings, chain_roots: Sequence[bytes] = ()) -> ssl.SSLContext:
    """The server side's SSL context; ConfigError naming a file that cannot be used."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            reason=f"cannot use the TLS certificate {settings.cert_file} with its key "
            f"{settings.key_file}: {exc}"
        ) from None
    roots = [*(der for path in settings.client_ca_files for der in _roots_in(path)), *chain_roots]
    for der in roots:
        context.load_verify_locations(cadata=der)
    if roots:
        context.verify_mode = (
            ssl.CERT_REQUIRED if settings.client_certs == "required" else ssl.CERT_OPTIONAL
        )
    elif settings.client_certs == "required":
        raise ConfigError(
            reason="--client-certs required needs roots: --client-ca or --client-ca-from-chain"
        )
    return context


def chain_roots(node: Node) -> list[bytes]:
    """The root certificates (DER) of the active organizations, as the chain holds them now."""
    answer, _height = node.query("membership", "organizations", {})
    assert isinstance(answer, list)
    return [
        bytes(org["root_certificate"])
        for org in answer
        if isinstance(org, dict) and org.get("status") == "active"
    ]


def uvicorn_options(context: ssl.SSLContext) -> dict[str, Any]:
    """What `uvicorn.Config` needs to serve with `context` and pass on client certificates."""

    def factory(_config: Config, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
        return context

    return {"ssl_context_factory": factory, "http": PeerCertificateProtocol}


class PeerCertificateProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, which also hands the client's certificate to the
    application."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der:
            self.app = with_client_certificate(self.app, der)


def with_client_certificate(app: Any, der: bytes) -> ASGIApp:
    """`app`, with the ASGI TLS extension naming `der` as the client's certificate."""
    pem = ssl.DER_cert_to_PEM_cert(der)

    async def app_with_certificate(
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[Any]],
        send: Callable[[Any], Awaitable[None]],
    ) -> None:
        extensions = scope.setdefault("extensions", {}) or {}
        extensions["tls"] = {
            "server_cert": None,
            "client_cert_chain": [pem],
            "client_cert_name": None,
            "client_cert_error": None,
            "tls_version": None,
            "cipher_suite": None,
        }
        scope["extensions"] = extensions
        await app(scope, receive, send)

    return app_with_certificate


def _roots_in(path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(reason=f"cannot read the client CA file {path}: {exc.strerror}") from None
    try:
        if b"-----BEGIN" in data:
            return [c.public_bytes(Encoding.DER) for c in x509.load_pem_x509_certificates(data)]
        return [x509.load_der_x509_certificate(data).public_bytes(Encoding.DER)]
    except ValueError:
        raise ConfigError(reason=f"the client CA file {path} holds no certificate") from None
