"""The import benchmark still runs (tiny size; the figures come from the real command)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_import_benchmark_runs() -> None:
    result = subprocess.run(
        [sys.executable, "tests/bench/bench_import.py", "--cases", "60", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "import cases/s (60 cases)" in result.stdout
