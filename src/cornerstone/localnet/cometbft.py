"""The `cometbft` binary: where it is, which version it is, and the two setup commands we run.

The binary is, in order: `$CORNERSTONE_COMETBFT`; `.tools/bin/cometbft` of the repository this
package is in (where `make setup` builds it); `cometbft` on the PATH.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

from cornerstone.errors import LocalnetError

COMETBFT_ENV = "CORNERSTONE_COMETBFT"
REPO_ROOT = Path(__file__).resolve().parents[3]
"""The checkout this package runs from, when it runs from one (src/cornerstone/localnet/..)."""
REPO_BINARY = REPO_ROOT / ".tools" / "bin" / "cometbft"
COMMAND_TIMEOUT = 60.0
"""Seconds a setup command (init, show-node-id, version) may take."""


def find_cometbft() -> Path:
    """The cometbft binary to run, or a LocalnetError saying how to install it."""
    configured = os.environ.get(COMETBFT_ENV)
    if configured:
        path = Path(configured)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise LocalnetError(
                reason=f"${COMETBFT_ENV} is {configured}, which is not an executable file"
            )
        return path.resolve()
    if REPO_BINARY.is_file() and os.access(REPO_BINARY, os.X_OK):
        return REPO_BINARY
    found = shutil.which("cometbft")
    if found:
        return Path(found).resolve()
    raise LocalnetError(reason="CometBFT is not installed: run `make setup`")


def version(binary: Path) -> str:
    """What `cometbft version` prints, e.g. 0.38.26."""
    stat = binary.stat()
    return _version(binary, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _version(binary: Path, mtime_ns: int, size: int) -> str:
    del mtime_ns, size  # part of the cache key only: a rebuilt binary is asked again
    return run(binary, "version").strip()


def init_home(binary: Path, home: Path) -> None:
    """`cometbft init`: config.toml, genesis.json, node key and validator key in `home`."""
    run(binary, "init", "--home", str(home))


def node_id(binary: Path, home: Path) -> str:
    """The P2P id of the node whose CometBFT home is `home`."""
    return run(binary, "show-node-id", "--home", str(home)).strip()


def run(binary: Path, *args: str) -> str:
    """Run a short cometbft command and return its output; failures become LocalnetError."""
    command = [str(binary), *args]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalnetError(reason=f"`cometbft {' '.join(args)}` could not run: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr.strip() or done.stdout.strip()).splitlines()
        last = detail[-1] if detail else f"exit status {done.returncode}"
        raise LocalnetError(reason=f"`cometbft {' '.join(args)}` failed: {last}")
    return done.stdout
