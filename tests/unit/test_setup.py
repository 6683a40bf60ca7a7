"""Setup on a machine that lacks what it needs ends with one sentence saying what to install."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from cornerstone.abci import __main__ as node_main

REPO = Path(__file__).resolve().parents[2]


def run_setup(bin_dir: Path) -> subprocess.CompletedProcess[str]:
    (bin_dir / "python3.11").symlink_to(Path(sys.base_exec_prefix) / "bin" / "python3.11")
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "setup.sh")],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root")},
        check=False,
    )


def test_setup_without_go_says_to_install_it(tmp_path: Path) -> None:
    result = run_setup(tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "Go 1.22 or newer is required" in result.stderr and "install Go" in result.stderr


def test_setup_with_an_old_go_says_it_is_too_old(tmp_path: Path) -> None:
    fake_go = tmp_path / "go"
    fake_go.write_text("#!/bin/sh\necho go1.19.3\n")
    fake_go.chmod(0o755)
    result = run_setup(tmp_path)
    assert result.returncode == 1
    assert "Go 1.19.3 is too old" in result.stderr and "Traceback" not in result.stderr


def test_the_node_refuses_library_versions_other_than_the_pinned_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert node_main._refuse_foreign_runtime() is None
    real_version = metadata.version
    monkeypatch.setattr(
        metadata,
        "version",
        lambda name: "0.0.1" if name == "lmdb" else real_version(name),
    )
    problem = node_main._refuse_foreign_runtime()
    assert problem is not None and "needs lmdb 3.0.0, not 0.0.1" in problem
