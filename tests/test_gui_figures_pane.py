"""Figures in the detail pane: thumbnails decoded off the GUI thread and cached, drawn into
the inert page in place of their boxes, and figure links that ask for the viewer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QImage, QTextCursor, QTextDocument
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.model import Case, CaseId, DiscussionPart, Figure
from desktop.render import DARK, LIGHT, render_case
from desktop.sections import case_sections
from desktop.store import Library
from desktop.ui.case_view import CaseView, DetailPane
from desktop.ui.thumbnails import ThumbnailKey, ThumbnailService, thumbnail_key
from tests.gui_helpers import shown_window

RED, BLUE = QColor("#d01010"), QColor("#1030d0")


def png(width: int, height: int, colour: QColor) -> bytes:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(colour)
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, "PNG")
    return bytes(data.data())


def figure_case(red: str, blue: str) -> Case:
    return Case(
        source="lightbox",
        source_id="figs-1",
        title="A case with figures",
        clinical_history="Headache (see Fig. 2).",
        imaging_findings="A lesion (Figure 1) and a second one (figs 2 and 3).",
        discussion=(DiscussionPart(None, "As figure 3 shows."),),
        final_diagnosis="Meningioma",
        figures=(
            Figure("Figure 1", "Axial CT: a red lesion 😀.", image=red, width=600, height=400),
            Figure("Figure 2", "Coronal: blue.", image=blue, modality="MR", width=300, height=600),
            Figure("Figure 3", "Lost.", image=None, missing="image file x.png not found"),
        ),
    )


@pytest.fixture
def stored(tmp_path: Path) -> tuple[Path, CaseId, Case]:
    """A library file holding a case with two real images and one figure without."""
    path = tmp_path / "library.db"
    with Library.open(path) as library:
        red = library.media.put(png(600, 400, RED))
        blue = library.media.put(png(300, 600, BLUE))
        case = figure_case(red, blue)
        case_id = library.store_case(case, dt.datetime(2026, 12, 1, tzinfo=dt.UTC)).case_id
    return path, case_id, case


@pytest.fixture
def detail(qtbot: QtBot, tmp_path: Path, stored: tuple[Path, CaseId, Case]) -> Iterator[DetailPane]:
    path, case_id, _ = stored
    with shown_window(qtbot, path, tmp_path / "settings.ini") as window:
        assert window.list.select_case(case_id)
        yield window.detail


def wait_for_thumbnails(qtbot: QtBot, detail: DetailPane) -> None:
    service = detail.thumbnails
    assert service is not None
    qtbot.waitUntil(lambda: service.pending() == 0)


def resource(view: CaseView, digest: str) -> QImage:
    found = view.document().resource(
        QTextDocument.ResourceType.ImageResource.value, QUrl(f"lightbox-img:{digest}")
    )
    return found.toImage() if hasattr(found, "toImage") else found


def centre(image: QImage) -> QColor:
    return image.pixelColor(image.width() // 2, image.height() // 2)


# --- the page in the window ---------------------------------------------------------------


def test_the_page_shows_thumbnails_when_decoded(qtbot: QtBot, detail: DetailPane) -> None:
    case = detail._case
    assert case is not None
    red, blue = case.figures[0].image, case.figures[1].image
    assert red and blue
    wait_for_thumbnails(qtbot, detail)
    view = detail.view
    ratio = view.devicePixelRatioF()
    picture = resource(view, red)
    keys = {key.digest: key for key in view.thumbnail_keys()}
    assert (picture.width(), picture.height()) == (
        keys[red].pixels.width(),
        keys[red].pixels.height(),
    )
    assert keys[red].width / keys[red].height == pytest.approx(1.5, abs=0.02)
    assert keys[red].dpr == pytest.approx(ratio)
    assert centre(picture).name() == RED.name()
    assert centre(resource(view, blue)).name() == BLUE.name()
    # The page shows them: the grabbed view holds the red and the blue.
    grabbed = view.viewport().grab().toImage()
    colours = {
        grabbed.pixelColor(x, y).name()
        for x in range(0, grabbed.width(), 4)
        for y in range(0, grabbed.height(), 4)
    }
    assert RED.name() in colours
    # Every other request Qt made (none here) would have had the placeholder.
    assert all(url.scheme() == "lightbox-img" for url in view.requested)


def test_every_run_is_its_section_text_in_the_live_document(
    qtbot: QtBot, detail: DetailPane
) -> None:
    wait_for_thumbnails(qtbot, detail)
    case = detail._case
    assert case is not None and detail.positions is not None
    document = detail.view.document()
    assert document.characterCount() == detail.positions.character_count
    texts = {section.key: section.text for section in case_sections(case)}
    assert {"figures.1", "figures.2", "figures.3"} <= set(texts)
    cursor = QTextCursor(document)
    for run in detail.positions.runs:
        cursor.setPosition(run.doc_start)
        cursor.setPosition(run.doc_end, QTextCursor.MoveMode.KeepAnchor)
        assert cursor.selectedText() == texts[run.key][run.offset : run.offset + run.length]
    # A legend selects like any passage, so it can be highlighted.
    legend = texts["figures.1"]
    assert detail.show_passage("figures.1", 0, len(legend))
    assert detail.selected_passages() == [("figures.1", 0, len(legend))]


def test_a_thumbnail_click_asks_for_its_figure(qtbot: QtBot, detail: DetailPane) -> None:
    wait_for_thumbnails(qtbot, detail)
    view = detail.view
    text = view.document().toPlainText()
    second = text.index("\ufffc", text.index("\ufffc") + 1)  # figure 2's thumbnail
    cursor = QTextCursor(view.document())
    cursor.setPosition(len(text[:second].encode("utf-16-le")) // 2)  # positions count UTF-16
    view.setTextCursor(cursor)
    view.ensureCursorVisible()
    rect = view.cursorRect(cursor)
    point = QPoint(rect.x() + 20, rect.center().y())
    assert view.anchorAt(point) == "lightbox:figure/2"
    with qtbot.waitSignal(view.figure_requested) as blocker:
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [1]


def test_figure_links_never_leave_the_app(
    detail: DetailPane, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    view = detail.view
    before = view.toPlainText()
    asked: list[int] = []
    view.figure_requested.connect(asked.append)
    for url in (
        "lightbox:figure/1",
        "lightbox:figure/3",
        "lightbox:figure/4",  # the case has three
        "lightbox:figure/0",
        "lightbox:figure/x",
        "lightbox:case/eurorad:1",
    ):
        view.anchorClicked.emit(QUrl(url))
    assert asked == [0, 2]
    assert opened == []
    assert view.toPlainText() == before
    # References in the text are links to the figures.
    assert '<a href="lightbox:figure/2">Fig. 2</a>' in detail.html


def test_tab_to_a_figure_link_and_enter_asks_for_it(qtbot: QtBot, detail: DetailPane) -> None:
    view = detail.view
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    cursor = QTextCursor(view.document())
    view.setTextCursor(cursor)
    QTest.keyClick(view, Qt.Key.Key_Tab)
    assert view.textCursor().charFormat().anchorHref() == "lightbox:figure/2"  # "see Fig. 2"
    with qtbot.waitSignal(view.figure_requested) as blocker:
        QTest.keyClick(view, Qt.Key.Key_Return)
    assert blocker.args == [1]


def test_zoom_decodes_a_bigger_thumbnail(qtbot: QtBot, detail: DetailPane) -> None:
    wait_for_thumbnails(qtbot, detail)
    before = {key.digest: key for key in detail.view.thumbnail_keys()}
    detail.set_zoom(detail.zoom + 4)
    after = {key.digest: key for key in detail.view.thumbnail_keys()}
    digest = next(iter(before))
    assert after[digest].width > before[digest].width
    wait_for_thumbnails(qtbot, detail)
    picture = resource(detail.view, digest)
    assert picture.width() == after[digest].pixels.width()


def test_a_missing_image_file_gets_a_box_saying_so(
    qtbot: QtBot, tmp_path: Path, stored: tuple[Path, CaseId, Case]
) -> None:
    path, case_id, case = stored
    blue = case.figures[1].image
    assert blue
    with Library.open(path) as library:
        library.media.path(blue).unlink()
    with shown_window(qtbot, path, tmp_path / "settings.ini") as window:
        detail = window.detail
        assert window.list.select_case(case_id)
        wait_for_thumbnails(qtbot, detail)
        key = next(k for k in detail.view.thumbnail_keys() if k.digest == blue)
        box = resource(detail.view, blue)
        assert (box.width(), box.height()) == (key.pixels.width(), key.pixels.height())
        assert detail.thumbnails.failure(key) == "the image file is missing"  # type: ignore[union-attr]
        # The box is not the waiting one: it carries the reason, in the muted ink.
        inks = {
            box.pixelColor(x, y).name() for x in range(box.width()) for y in range(box.height())
        }
        assert len(inks) > 3


# --- the view alone ---------------------------------------------------------------------------


@pytest.mark.parametrize("page_theme", [LIGHT, DARK])
def test_boxes_wait_in_the_page_colours(qtbot: QtBot, page_theme) -> None:  # type: ignore[no-untyped-def]
    view = CaseView()
    qtbot.addWidget(view)
    digest = "c" * 64
    case = figure_case(digest, "d" * 64)
    page = render_case(case, theme=page_theme)
    view.show_page(page.html, images=page.images, figure_count=3, page_theme=page_theme)
    box = resource(view, digest)
    key = next(k for k in view.thumbnail_keys() if k.digest == digest)
    assert (box.width(), box.height()) == (key.pixels.width(), key.pixels.height())
    assert centre(box).name() == page_theme.chip_background


def test_thumbnails_of_a_page_left_are_not_kept(qtbot: QtBot, detail: DetailPane) -> None:
    wait_for_thumbnails(qtbot, detail)
    case = detail._case
    assert case is not None and case.figures[0].image
    digest = case.figures[0].image
    assert resource(detail.view, digest).width() > 1
    detail.show_case(None, dataclasses.replace(case, figures=()))
    assert detail.view.thumbnail_keys() == []
    # Asked again, Qt gets the placeholder: the picture went with the page.
    assert resource(detail.view, digest).width() == 1
    detail.show_case(None, None)
    assert resource(detail.view, digest).width() == 1


def test_only_this_pages_thumbnails_get_pictures(qtbot: QtBot) -> None:
    view = CaseView()
    qtbot.addWidget(view)
    digest = "c" * 64
    page = render_case(figure_case(digest, "d" * 64), theme=LIGHT)
    view.show_page(page.html, images=page.images, figure_count=3)
    image_kind = QTextDocument.ResourceType.ImageResource.value
    assert view.loadResource(image_kind, QUrl(f"lightbox-img:{digest}")).width() > 1
    for url in (
        f"lightbox-img:{'e' * 64}",  # a hash this page does not show
        f"lightbox-img:{digest.upper()}",
        f"lightbox-img:{digest}/../../etc/passwd",
        f"lightbox-img:///{digest}",
        "lightbox-img:../../etc/passwd",
        "file:///etc/passwd",
        f"file:///{digest}",
    ):
        image = view.loadResource(image_kind, QUrl(url))
        assert (image.width(), image.height()) == (1, 1), url
    assert view.loadResource(1, QUrl(f"lightbox-img:{digest}")) == ""


# --- the thumbnail service ------------------------------------------------------------------


@pytest.fixture
def images(tmp_path: Path) -> dict[str, Path]:
    files = {
        "red": tmp_path / "red.png",
        "wide": tmp_path / "wide.png",
        "junk": tmp_path / "junk.png",
    }
    files["red"].write_bytes(png(400, 400, RED))
    files["wide"].write_bytes(png(800, 200, BLUE))
    files["junk"].write_bytes(b"this is not an image at all")
    return files


class Resolver:
    """Names files by key (thread-safe), counting how often each is asked for."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, digest: str) -> Path | None:
        with self.lock:
            self.calls.append(digest)
        return self.files.get(digest)


def test_a_thumbnail_is_decoded_once_and_then_cached(qtbot: QtBot, images) -> None:  # type: ignore[no-untyped-def]
    resolver = Resolver(images)
    service = ThumbnailService(resolver)
    key = thumbnail_key("red", (90, 90), 2.0)
    with qtbot.waitSignal(service.ready) as blocker:
        assert service.request(key) is None
        assert service.request(key) is None  # asked again while decoding: no second decode
        assert service.pending() == 1
    found_key, image = blocker.args
    assert found_key == key
    assert (image.width(), image.height()) == (180, 180)
    assert image.devicePixelRatio() == 2.0
    assert centre(image).name() == RED.name()
    assert service.request(key) is image or service.cached(key) is not None
    service.wait()
    assert resolver.calls == ["red"]


def test_a_thumbnail_keeps_its_shape_in_another_box(qtbot: QtBot, images) -> None:  # type: ignore[no-untyped-def]
    service = ThumbnailService(Resolver(images))
    key = thumbnail_key("wide", (100, 100), 1.0)
    with qtbot.waitSignal(service.ready) as blocker:
        service.request(key)
    image = blocker.args[1]
    assert (image.width(), image.height()) == (100, 100)
    assert centre(image).name() == BLUE.name()
    assert image.pixelColor(50, 5).alpha() == 0  # letterboxed, not stretched


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("gone", "the image file is missing"),
        ("junk", "not a raster image"),
    ],
)
def test_failures_carry_the_loaders_reason(qtbot: QtBot, images, name: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    resolver = Resolver(images)
    service = ThumbnailService(resolver)
    key = thumbnail_key(name, (50, 50), 1.0)
    with qtbot.waitSignal(service.failed) as blocker:
        service.request(key)
    assert blocker.args[0] == key
    assert blocker.args[1].startswith(reason)
    assert service.failure(key) == blocker.args[1]
    assert service.request(key) is None  # remembered: not tried again
    service.wait()
    assert resolver.calls == [name]


def test_the_cache_forgets_the_least_recently_used_beyond_its_cap(qtbot: QtBot, images) -> None:  # type: ignore[no-untyped-def]
    one = 100 * 100 * 4
    service = ThumbnailService(Resolver(images), cache_bytes=2 * one)
    keys = [ThumbnailKey("red", 100, 100, 1.0), ThumbnailKey("wide", 100, 100, 1.0)]
    for key in keys:
        with qtbot.waitSignal(service.ready):
            service.request(key)
    assert service.cached_bytes() == 2 * one
    assert service.cached(keys[0]) is not None  # now the most recent
    third = ThumbnailKey("red", 100, 100, 2.0)
    with qtbot.waitSignal(service.ready):
        service.request(third)  # 4 times the bytes of one: more than the cap, never kept
    assert service.cached(third) is None
    fourth = ThumbnailKey("red", 50, 50, 2.0)  # as many bytes as one
    with qtbot.waitSignal(service.ready):
        service.request(fourth)
    assert service.cached(keys[1]) is None  # the least recently used went
    assert service.cached(keys[0]) is not None
    assert service.cached(fourth) is not None
    assert service.cached_bytes() <= 2 * one


def test_different_ratios_and_boxes_are_different_thumbnails() -> None:
    assert thumbnail_key("a", (10, 10), 1.0) != thumbnail_key("a", (10, 10), 2.0)
    assert thumbnail_key("a", (10, 10), 1.25000001) == thumbnail_key("a", (10, 10), 1.25)


def test_a_service_going_away_while_decoding_waits_for_its_workers(qtbot: QtBot, images) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QObject
    from shiboken6 import delete

    owner = QObject()
    service = ThumbnailService(Resolver(images), parent=owner)
    for side in range(20, 60):
        service.request(ThumbnailKey("red", side, side, 1.0))
    delete(owner)  # the service and its pool with it, decodes under way
    qtbot.wait(50)  # results queued for the gone relay are dropped, nothing crashes
