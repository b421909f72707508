"""The benchmarks still run (tiny sizes; the figures come from the real commands)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

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


@pytest.mark.slow  # 19 s; the import benchmark above keeps a smoke test in the default suite
def test_whole_benchmark_runs_at_a_thousand_cases() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "tests/bench/bench_all.py", "--sizes", "1000", "--queries", "5"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    for figure in ("import cases/s", "search p95 ms, single words", "list first screen",
                   "open a case", "start-up to first case", "peak memory",
                   "damage check before a run's first write"):  # fmt: skip
        assert figure in result.stdout


def test_highlight_benchmarks_run() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for command in (
        ["tests/bench/bench_highlights.py", "--highlights", "20", "--browser", "500",
         "--repeat", "3"],
        ["tests/bench/bench_anchoring.py", "--highlights", "50", "--kb", "10", "--repeat", "1"],
    ):  # fmt: skip
        result = subprocess.run(
            [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True,
            check=False, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        assert "re-anchor" in result.stdout or "highlight browser first screen" in result.stdout


def test_search_language_benchmark_runs_at_a_thousand_cases() -> None:
    result = subprocess.run(
        [sys.executable, "tests/bench/bench_search_language.py", "--cases", "1000", "--runs", "3"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    for figure in ("search p95 ms: tag:", "search p95 ms: liver in:topic3",
                   "list p95 ms: collection topic3, by position",
                   "collections() p95 ms after trashing a case",
                   "tag_counts() p95 ms after saving a note",
                   "reference: counts() p95 ms after another program's write"):  # fmt: skip
        assert figure in result.stdout


def test_drill_benchmark_runs_at_a_thousand_cases() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "tests/bench/bench_drill.py", "--cases", "1000", "--reviewed", "500",
         "--runs", "3"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    for figure in ("due queue", "next case", "check"):
        assert f"\n{figure} " in "\n" + result.stdout
