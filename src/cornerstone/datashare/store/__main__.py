"""`python -m cornerstone.datashare.store --dir D --listen 127.0.0.1:PORT`: serve a folder of
ciphertexts over HTTP until interrupted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cornerstone.datashare.store import StoreServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cornerstone.datashare.store")
    parser.add_argument("--dir", required=True, type=Path, help="Folder of the ciphertexts.")
    parser.add_argument("--listen", default="127.0.0.1:8700", help="HOST:PORT to listen on.")
    options = parser.parse_args(argv)
    host, _, port = options.listen.rpartition(":")
    if not host or not port.isdigit():
        parser.error("--listen is HOST:PORT")
    options.dir.mkdir(parents=True, exist_ok=True)
    server = StoreServer(options.dir, host, int(port))
    print(f"serving {options.dir.resolve()} at {server.url}/blobs/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
