"""`python -m cornerstone.gateway --rpc URL --listen HOST:PORT --data DIR`: serve one gateway."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cornerstone.gateway.app import DEFAULT_RATE, Settings, run
from cornerstone.gateway.limits import RateLimit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cornerstone.gateway", description="Serve a node's gateway."
    )
    parser.add_argument("--rpc", required=True, help="The node's CometBFT RPC, http://HOST:PORT.")
    parser.add_argument("--listen", required=True, help="HOST:PORT to serve on.")
    parser.add_argument("--data", required=True, type=Path, help="Folder of the SQL index.")
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
    args = parser.parse_args(argv)
    host, _, port = args.listen.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"--listen wants HOST:PORT, not {args.listen!r}")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings(
        rpc_url=args.rpc,
        data_dir=args.data,
        rate_limit=RateLimit(rate=args.rate, burst=args.burst),
        trust_identity_header=args.trust_identity_header,
    )
    run(settings, host=host, port=int(port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
