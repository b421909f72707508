"""Guards the Qt binding pin: PySide6 6.12.0 aborts Python 3.11 after ~5,000 None returns."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

# In a child process: the failure is a fatal abort of the interpreter, not an exception.
PROBE = """
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
widget = QWidget()
for _ in range(20_000):
    widget.update()
    widget.resize(100, 100)
    app.processEvents()
print("ok")
"""


def test_twenty_thousand_calls_returning_none_do_not_abort() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"},
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
