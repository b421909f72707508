"""Retakes the screenshots in packaging/screenshots/: the window on a fresh default library
(seeded from cases/, as a first start makes it) at 1440×900 and 1280×720, light and dark,
showing a case, a search, a note with a table, and the keyboard shortcuts dialog (F1).

Run: ``.venv/bin/python packaging/take_screenshots.py [--out FOLDER]`` (offscreen: no
display needed; FOLDER defaults to packaging/screenshots).

Each screen size and theme runs in a child process of its own, with a fresh library and
Qt's offscreen platform set to that screen size, so the window is sized as a first start on
such a screen sizes it. Files are named ``<scene>-<width>x<height>-<theme>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "packaging" / "screenshots"
SIZES = ((1440, 900), (1280, 720))
THEMES = ("light", "dark")
#: The case each scene shows (a sample case with a discussion worth reading).
CASE = "lightbox:neuro-02"
SEARCH = "haemorrhage"
NOTE = """\
# Subdural vs epidural

| | Subdural | Epidural |
|---|---|---|
| Shape | crescent | lens |
| Crosses sutures | yes | no |
| Vessel | bridging veins | middle meningeal artery |

Look for the **swirl sign** (`active bleeding`) and measure the midline shift.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # width height theme
    args = parser.parse_args()
    out = args.out.resolve()
    if args.child:
        width, height, scheme = args.child
        return _take(int(width), int(height), scheme, out)
    out.mkdir(parents=True, exist_ok=True)
    for width, height in SIZES:
        for scheme in THEMES:
            with tempfile.TemporaryDirectory() as home:
                screen = Path(home) / "screen.json"
                screen.write_text(json.dumps(_screen(width, height)), encoding="utf-8")
                env = {
                    **os.environ,
                    "LIGHTBOX_HOME": str(Path(home) / "data"),
                    "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
                }
                child = [str(width), str(height), scheme]
                args = [sys.executable, __file__, "--out", str(out), "--child", *child]
                subprocess.run(args, env=env, check=True, timeout=300)
    return 0


def _screen(width: int, height: int) -> dict[str, object]:
    screen = {"name": "screen", "x": 0, "y": 0, "width": width, "height": height}
    # No window frame: the offscreen platform would otherwise take 2 px off each side.
    return {
        "windowFrameMargins": False,
        "screens": [{**screen, "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}],
    }


def _take(width: int, height: int, scheme: str, out: Path) -> int:
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from desktop.ui.app import open_window
    from desktop.ui.dialogs import ShortcutsDialog

    window = open_window(None, scheme)  # type: ignore[arg-type]
    window.keep_settings = False
    app = QApplication.instance()
    assert app is not None

    def settle(seconds: float = 1.0) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def save(widget: object, scene: str) -> None:
        target = out / f"{scene}-{width}x{height}-{scheme}.png"
        widget.grab().save(str(target))  # type: ignore[attr-defined]
        print(f"saved {target}")

    window.show()
    settle(2.0)
    window.open_case(window.library.resolve(CASE))
    settle()
    save(window, "main")

    window.focus_search()
    window.search.setText(SEARCH)
    settle(1.5)
    save(window, "search")
    window.search.clear()
    settle()

    window.open_case(window.library.resolve(CASE))
    window.notes.editor.setPlainText(NOTE)
    settle(2.0)
    save(window, "notes")

    dialog = ShortcutsDialog(window.shortcut_groups(), window)
    dialog.show()
    settle()
    save(dialog, "shortcuts")
    dialog.close()

    # Leave the reader's (temporary) library as found: the note was only for the picture.
    window.notes.editor.setPlainText("")
    settle(1.0)
    window.close()
    window.library.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
