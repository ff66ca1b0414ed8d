"""`make demo` stays true: the emulator drives the real callback to agreement."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_store_agrees_with_the_truth(tmp_path: Path) -> None:
    """A short seeded run ends with every describable stream matching."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "demo",
            "--streams",
            "5",
            "--steps",
            "60",
            "--data",
            str(tmp_path / "demo-data"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "result: OK" in result.stdout
    assert (tmp_path / "demo-data" / "live-sync.sqlite3").exists()
