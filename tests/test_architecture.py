"""Layering: the non-UI modules load without Qt, and the import contracts hold."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from tests.tools import tool

NON_UI = [
    "desktop.model",
    "desktop.sections",
    "desktop.positions",
    "desktop.case_dict",
    "desktop.formats.decoding",
    "desktop.formats.eurorad_text",
    "desktop.formats.medpix2",
    "desktop.formats.registry",
    "desktop.image_info",
    "desktop.store.media",
    "desktop.window_level",
    "desktop.store.library",
    "desktop.importer",
    "desktop.paths",
    "desktop.render",
    "desktop.library_setup",
    "desktop.preview_service",
    "desktop.cli",
    "desktop.palette",
    "desktop.anchoring",
    "desktop.export",
    "desktop.query",
]


def test_non_ui_modules_do_not_load_qt() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in NON_UI)
        + "loaded = [m for m in sys.modules if m.startswith('PySide6')]\n"
        + "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_import_contracts() -> None:
    result = subprocess.run(
        [tool("lint-imports")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ui_reaches_storage_only_through_the_store_package() -> None:
    """The contract that keeps sqlite3 and the store's modules out of desktop.ui is in force
    (lint-imports above proves it holds)."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    ui = [c for c in contracts if c.get("source_modules") == ["desktop.ui"]]
    assert len(ui) == 1
    assert {"sqlite3", "desktop.store.*"} <= set(ui[0]["forbidden_modules"])
