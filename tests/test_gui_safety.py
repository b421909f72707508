"""Case text and links in the window are inert: nothing is interpreted, loaded or opened."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from desktop.ui.case_view import external_url
from desktop.ui.main_window import MainWindow
from tests.gui_helpers import shown_window

HOSTILE = """CASE 999001 Published on 01.01.2020

<b>Bold</b> title <img src="file:///etc/passwd" width=200 height=200>


Chest imaging


40 years, male

Clinical History
<script>alert(1)</script> history.
Imaging Findings
<img src="http://example.com/x.png"> and <img src="file:///etc/passwd"> and <img src="/etc/hosts">.
<a href="javascript:alert(1)">click me</a> and <style>@import url(http://example.com/a.css)</style>.
Differential Diagnosis List
<iframe src="http://example.com"></iframe>
Final Diagnosis
<a href="file:///etc/passwd">passwd</a>
"""


@pytest.fixture
def hostile_window(qtbot: QtBot, tmp_path: Path) -> Iterator[MainWindow]:
    case_file = tmp_path / "hostile.txt"
    case_file.write_text(HOSTILE, encoding="utf-8")
    with shown_window(qtbot, tmp_path / "l.db", tmp_path / "s.ini", case_file) as window:
        yield window


def test_hostile_case_text_is_shown_literally_and_loads_nothing(
    hostile_window: MainWindow,
) -> None:
    window = hostile_window
    assert window.list.select_case(window.library.resolve("eurorad:999001"))
    view = window.detail.view
    text = view.toPlainText()
    assert '<b>Bold</b> title <img src="file:///etc/passwd" width=200 height=200>' in text
    assert "<script>alert(1)</script> history." in text
    assert '<img src="http://example.com/x.png">' in text
    assert '<a href="javascript:alert(1)">click me</a>' in text
    assert "<iframe" in text
    # Qt asked the view for no resource at all: no image, no stylesheet, local or remote.
    assert view.requested == []
    assert "<img" not in window.detail.html
    assert "javascript:" not in window.detail.html.replace("javascript:alert(1)&quot;", "")
    # Labels showing case text are plain text; the title bar shows it literally.
    assert "<b>Bold</b>" in window.windowTitle()
    index = window.model.index(0, 0)
    assert window.model.data(index).startswith("<b>Bold</b> title")
    tooltip = window.model.data(index, 3)
    assert tooltip.startswith("<p>&lt;b&gt;Bold")


def test_resource_requests_get_placeholders(hostile_window: MainWindow) -> None:
    view = hostile_window.detail.view
    view.show_html('<p>x<img src="file:///etc/passwd"><img src="data:image/png;base64,AAAA"></p>')
    view.document().adjustSize()
    view.grab()
    for url in view.requested:
        assert url.scheme() in ("file", "data")
    # Whatever Qt asks for, it gets an empty 1x1 image, never the file.
    image = view.loadResource(2, QUrl("file:///etc/passwd"))
    assert (image.width(), image.height()) == (1, 1)
    assert view.loadResource(1, QUrl("file:///etc/passwd")) == ""


@pytest.mark.parametrize(
    ("url", "opened"),
    [
        ("http://example.com/a", "http://example.com/a"),
        ("https://doi.org/10.1594/EURORAD/CASE.8455", "https://doi.org/10.1594/EURORAD/CASE.8455"),
        ("doi:10.1594/EURORAD/CASE.8455", "https://doi.org/10.1594/EURORAD/CASE.8455"),
        ("file:///etc/passwd", None),
        ("javascript:alert(1)", None),
        ("relative.html", None),
        ("data:text/html,hi", None),
        ("lightbox:case/eurorad:8455", None),
    ],
)
def test_which_links_may_open(url: str, opened: str | None) -> None:
    target = external_url(QUrl(url))
    assert (target.toString() if target else None) == opened


def test_clicking_links_opens_only_web_links(
    hostile_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    view = hostile_window.detail.view
    before = view.toPlainText()
    for url in ("file:///etc/passwd", "javascript:alert(1)", "relative.html", "https://x.org/"):
        view.anchorClicked.emit(QUrl(url))
    assert opened == ["https://x.org/"]
    assert view.toPlainText() == before
