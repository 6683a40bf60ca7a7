"""The gateway's command-line options for authentication and TLS (`python -m cornerstone.gateway`).

--auth none|optional|required        member authentication (default optional)
--auth-window SECONDS                how far a signature's `created` may be from the clock
--member-cache SECONDS               how long a chain answer about a member is reused
--anonymous-rate / --anonymous-burst the limit of a client that is not an authenticated member
--tls-cert FILE --tls-key FILE       serve HTTPS
--client-ca FILE (repeat)            organization roots client certificates chain to
--client-ca-from-chain               ... and those the chain holds at start
--client-certs optional|required     whether the TLS handshake demands a client certificate
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cornerstone.gateway.auth import (
    DEFAULT_MEMBER_CACHE_S,
    DEFAULT_WINDOW_S,
    MODES,
    AuthSettings,
)
from cornerstone.gateway.limits import RateLimit
from cornerstone.gateway.tls import CLIENT_CERTS, TlsSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("authentication and TLS")
    group.add_argument(
        "--auth",
        choices=MODES,
        default="optional",
        help="Member authentication: none (no checks), optional (checked when sent; the "
        "default), required (every /v1 route but the public reads needs a member).",
    )
    group.add_argument(
        "--auth-window",
        type=int,
        default=DEFAULT_WINDOW_S,
        metavar="SECONDS",
        help="How far a request signature's `created` may be from this clock, either way.",
    )
    group.add_argument(
        "--member-cache",
        type=float,
        default=DEFAULT_MEMBER_CACHE_S,
        metavar="SECONDS",
        help="How long the chain's answer about a member is reused: a revocation takes "
        "effect here at most this long after the node commits it.",
    )
    group.add_argument(
        "--anonymous-rate",
        type=float,
        help="Requests per second per address of clients that are not members "
        "(default: a fifth of --rate).",
    )
    group.add_argument(
        "--anonymous-burst",
        type=int,
        help="Requests at once per such address (default: a fifth of --burst).",
    )
    group.add_argument("--tls-cert", type=Path, help="Serve HTTPS with this certificate (PEM).")
    group.add_argument("--tls-key", type=Path, help="The TLS certificate's private key (PEM).")
    group.add_argument(
        "--client-ca",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="An organization root CA certificate that members' client certificates chain to "
        "(PEM or DER; repeatable).",
    )
    group.add_argument(
        "--client-ca-from-chain",
        action="store_true",
        help="Also trust every organization root the chain holds at start.",
    )
    group.add_argument(
        "--client-certs",
        choices=CLIENT_CERTS,
        default="optional",
        help="Whether the TLS handshake demands a client certificate (with client CAs).",
    )


def settings_of(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """`Settings` fields from the parsed options; a usage error for options that do not fit."""
    if args.auth_window <= 0:
        parser.error("--auth-window must be positive")
    if args.member_cache < 0:
        parser.error("--member-cache cannot be negative")
    anonymous = None
    if args.anonymous_rate is not None or args.anonymous_burst is not None:
        if args.anonymous_rate is None or args.anonymous_burst is None:
            parser.error("give --anonymous-rate and --anonymous-burst together")
        anonymous = RateLimit(rate=args.anonymous_rate, burst=args.anonymous_burst)
    tls = None
    if (args.tls_cert is None) != (args.tls_key is None):
        parser.error("give --tls-cert and --tls-key together")
    if args.tls_cert is not None:
        tls = TlsSettings(
            cert_file=args.tls_cert,
            key_file=args.tls_key,
            client_ca_files=tuple(args.client_ca),
            client_ca_from_chain=args.client_ca_from_chain,
            client_certs=args.client_certs,
        )
    elif args.client_ca or args.client_ca_from_chain:
        parser.error("client certificates need TLS: give --tls-cert and --tls-key")
    auth = AuthSettings(
        mode=args.auth,
        window_s=args.auth_window,
        member_cache_s=args.member_cache,
        anonymous_rate_limit=anonymous,
    )
    return {"auth": auth, "tls": tls}
