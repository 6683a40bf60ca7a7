"""`python -m cornerstone.gateway --rpc URL --listen HOST:PORT --data DIR`: serve one gateway."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cornerstone.errors import ConfigError, KeyFileError
from cornerstone.gateway import auth_options
from cornerstone.gateway.app import DEFAULT_RATE, Settings, run
from cornerstone.gateway.blobs import DEFAULT_MAX_BLOB_BYTES
from cornerstone.gateway.limits import RateLimit
from cornerstone.logs import LOG_FORMATS, configure_logging


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cornerstone.gateway", description="Serve a node's gateway."
    )
    parser.add_argument("--rpc", required=True, help="The node's CometBFT RPC, http://HOST:PORT.")
    parser.add_argument("--listen", required=True, help="HOST:PORT to serve on.")
    parser.add_argument("--data", required=True, type=Path, help="Folder of the SQL index.")
    parser.add_argument(
        "--database",
        default=os.environ.get("CORNERSTONE_GATEWAY_DATABASE") or None,
        metavar="URL",
        help="The index in PostgreSQL, postgresql://USER@HOST:PORT/NAME (default: SQLite in "
        "--data; env CORNERSTONE_GATEWAY_DATABASE).",
    )
    parser.add_argument(
        "--rate", type=float, default=DEFAULT_RATE.rate, help="Requests per second per client."
    )
    parser.add_argument(
        "--burst", type=int, default=DEFAULT_RATE.burst, help="Requests at once per client."
    )
    parser.add_argument(
        "--trust-identity-header",
        action="store_true",
        help="Rate-limit by X-Cornerstone-Identity, set by an authenticating proxy in front.",
    )
    parser.add_argument(
        "--managed-key",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="A key file the gateway signs with for the console's user (repeatable).",
    )
    parser.add_argument(
        "--console-token-file",
        type=Path,
        help="Where to write, at start, the token that allows managed signing (mode 0600).",
    )
    parser.add_argument(
        "--max-blob-bytes",
        type=int,
        default=DEFAULT_MAX_BLOB_BYTES,
        help="Largest blob uploaded to /v1/blobs (default: 256 MiB).",
    )
    parser.add_argument(
        "--blob-token-file",
        type=Path,
        help="The token blob uploads need: read from this file, or made and written to it "
        "(mode 0600) when it is absent (default: DATA/blob.token).",
    )
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="auto",
        help="json: one JSON object per line; text: for people; auto (default): text on a "
        "terminal, else json.",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="Log every request (off by default: /metrics counts requests by route and status).",
    )
    auth_options.add_arguments(parser)
    args = parser.parse_args(argv)
    if args.max_blob_bytes < 0:
        parser.error("--max-blob-bytes cannot be negative")
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--listen wants HOST:PORT, not {args.listen!r}")
    managed = []
    for entry in args.managed_key:
        name, _, file = entry.partition("=")
        if not name or not file:
            parser.error(f"--managed-key wants NAME=FILE, not {entry!r}")
        managed.append((name, Path(file)))
    configure_logging(args.log_format)
    settings = Settings(
        rpc_url=args.rpc,
        data_dir=args.data,
        database=args.database,
        rate_limit=RateLimit(rate=args.rate, burst=args.burst),
        trust_identity_header=args.trust_identity_header,
        managed_keys=tuple(managed),
        console_token_file=args.console_token_file,
        max_blob_bytes=args.max_blob_bytes,
        blob_token_file=args.blob_token_file,
        **auth_options.settings_of(args, parser),
    )
    try:
        run(settings, host=host, port=int(port), access_log=args.access_log)
    except (KeyFileError, ConfigError) as exc:  # a key, an index database, a token or TLS file
        print(f"gateway: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
