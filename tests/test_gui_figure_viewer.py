"""The figure viewer: stepping, zoom, pan, fit, window/level, invert, reset, legend, full
screen, placeholders for missing and refused images, decoding off the GUI thread, and the
cache of decoded figures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop import window_level as wl
from desktop.ui import figure_viewer as fv
from desktop.ui.app import application
from desktop.ui.figure_viewer import CACHE_SIZE, FigureViewer, ViewerFigure, keys
from desktop.ui.image_loading import LoadedImage, load_image
from tests.test_image_loading import png_bomb

LEGEND = "Axial CT: a <b>4 cm</b> enhancing mass & a central scar in the left kidney."


def grey_ramp(path: Path, width: int = 1600, height: int = 1200) -> Path:
    """Grey level = x mod 256, every row alike."""
    image = QImage(width, height, QImage.Format.Format_Grayscale8)
    rows = np.frombuffer(image.bits(), dtype=np.uint8).reshape(height, image.bytesPerLine())
    rows[:, :width] = (np.arange(width) % 256).astype(np.uint8)
    assert image.save(str(path), "PNG")
    return path


def colour_block(path: Path) -> Path:
    image = QImage(300, 200, QImage.Format.Format_RGB32)
    image.fill(QColor(40, 120, 200))
    assert image.save(str(path), "PNG")
    return path


@pytest.fixture
def figures(tmp_path: Path) -> list[ViewerFigure]:
    refused = tmp_path / "notes.png"
    refused.write_text("not an image", encoding="utf-8")
    return [
        ViewerFigure("Figure 1", LEGEND, grey_ramp(tmp_path / "ramp.png"), "CT · Axial"),
        ViewerFigure("Figure 2a", "Colour Doppler.", colour_block(tmp_path / "c.png"), "US"),
        ViewerFigure("Figure 3", "Lost.", None, "MRI", "the image file was not in the package"),
        ViewerFigure("Figure 4", "", refused, ""),
    ]


@pytest.fixture(autouse=True)
def fresh_session(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new session would: legends shown."""
    monkeypatch.setattr(FigureViewer, "_legend_visible", True)


def open_viewer(qtbot: QtBot, figures: list[ViewerFigure], start: int = 0) -> FigureViewer:
    application("light")
    viewer = FigureViewer(figures, start)
    qtbot.addWidget(viewer)
    viewer.resize(900, 700)
    viewer.show()
    qtbot.waitExposed(viewer)
    viewer.activateWindow()
    qtbot.waitActive(viewer)
    settle(qtbot, viewer)
    return viewer


def settle(qtbot: QtBot, viewer: FigureViewer) -> None:
    qtbot.waitUntil(lambda: not viewer.is_loading())
    QApplication.processEvents()


@pytest.fixture
def viewer(qtbot: QtBot, figures: list[ViewerFigure]) -> Iterator[FigureViewer]:
    yield open_viewer(qtbot, figures)


def shown_grey(viewer: FigureViewer, x: int, y: int = 10) -> int:
    return viewer.view.pixmap().toImage().pixelColor(x, y).red()


def mouse(viewer: FigureViewer, kind: QMouseEvent.Type, at: QPoint, button: Qt.MouseButton) -> None:
    buttons = Qt.MouseButton.NoButton if kind == QMouseEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(
        kind,
        QPointF(at),
        QPointF(viewer.view.viewport().mapToGlobal(at)),
        button if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewer.view.viewport(), event)


def drag(viewer: FigureViewer, start: QPoint, end: QPoint, button: Qt.MouseButton) -> None:
    mouse(viewer, QMouseEvent.Type.MouseButtonPress, start, button)
    middle = (start + end) / 2
    mouse(viewer, QMouseEvent.Type.MouseMove, middle, button)
    mouse(viewer, QMouseEvent.Type.MouseMove, end, button)
    mouse(viewer, QMouseEvent.Type.MouseButtonRelease, end, button)


def wheel(viewer: FigureViewer, at: QPoint, delta: int, modifiers: Qt.KeyboardModifier) -> None:
    viewport = viewer.view.viewport()
    event = QWheelEvent(
        QPointF(at),
        QPointF(viewport.mapToGlobal(at)),
        QPoint(),
        QPoint(0, delta),
        Qt.MouseButton.NoButton,
        modifiers,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, event)


def test_it_opens_on_the_chosen_figure_fitted(viewer: FigureViewer) -> None:
    assert viewer.windowTitle() == "Figure 1 of 4 — Figure 1"
    assert viewer.has_image()
    assert viewer.where.text() == "Figure 1 of 4 · CT · Axial"
    viewport = viewer.view.viewport().size()
    fitted = min(viewport.width() / 1600, viewport.height() / 1200)
    assert viewer.zoom() == pytest.approx(fitted)
    assert viewer.status_text() == f"W 255 L 128  ·  {round(fitted * 100)}%"
    assert viewer.readout.text() == viewer.status_text()
    assert viewer.view.pixmap().size().width() == 1600


def test_loading_shows_until_the_worker_is_done(qtbot: QtBot, figures: list[ViewerFigure]) -> None:
    application("light")
    viewer = FigureViewer(figures, 0)
    qtbot.addWidget(viewer)
    # The result comes back through the event loop, so nothing is shown before it runs.
    assert viewer.is_loading()
    assert viewer.placeholder_text() == "Loading…"
    assert viewer.status_text() == "Loading…"
    with qtbot.waitSignal(viewer.shown, timeout=10_000) as shown:
        viewer.show()
    assert shown.args == [0]
    assert viewer.has_image()
    assert viewer.placeholder_text() == ""


def test_decoding_runs_off_the_gui_thread(
    qtbot: QtBot, figures: list[ViewerFigure], monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[threading.Thread] = []

    def recording(path: Path, *, max_side: int | None = None) -> LoadedImage:
        threads.append(threading.current_thread())
        return load_image(path, max_side=max_side)

    monkeypatch.setattr(fv, "load_image", recording)
    open_viewer(qtbot, figures)
    assert threads
    assert threading.main_thread() not in threads


def test_keys_step_through_the_figures_and_stop_at_the_ends(
    qtbot: QtBot, viewer: FigureViewer
) -> None:
    qtbot.keyClick(viewer.view, Qt.Key.Key_Left)
    assert viewer.index == 0
    qtbot.keyClick(viewer.view, Qt.Key.Key_Right)
    assert viewer.index == 1
    assert viewer.windowTitle() == "Figure 2 of 4 — Figure 2a"
    assert viewer.where.text() == "Figure 2 of 4 · Figure 2a · US"
    qtbot.keyClick(viewer.view, Qt.Key.Key_PageDown)
    assert viewer.index == 2
    qtbot.keyClick(viewer.view, Qt.Key.Key_PageDown)
    assert viewer.index == 3
    qtbot.keyClick(viewer.view, Qt.Key.Key_Right)
    qtbot.keyClick(viewer.view, Qt.Key.Key_PageDown)
    assert viewer.index == 3
    assert viewer.windowTitle() == "Figure 4 of 4 — Figure 4"
    qtbot.keyClick(viewer.view, Qt.Key.Key_PageUp)
    assert viewer.index == 2
    assert not viewer.step(-5)
    assert viewer.index == 2


def test_ctrl_wheel_steps_and_plain_wheel_does_not(viewer: FigureViewer) -> None:
    centre = viewer.view.viewport().rect().center()
    ctrl = Qt.KeyboardModifier.ControlModifier
    wheel(viewer, centre, -120, ctrl)
    assert viewer.index == 1
    wheel(viewer, centre, 120, ctrl)
    assert viewer.index == 0
    for _ in range(3):  # a touchpad's small deltas add up to one notch
        wheel(viewer, centre, -40, ctrl)
    assert viewer.index == 1
    wheel(viewer, centre, -120, Qt.KeyboardModifier.NoModifier)
    assert viewer.index == 1


def test_a_missing_image_shows_its_reason_and_stepping_goes_on(
    qtbot: QtBot, figures: list[ViewerFigure]
) -> None:
    viewer = open_viewer(qtbot, figures, start=2)
    assert not viewer.has_image()
    assert viewer.placeholder_text() == (
        "Figure 3: image not shown\n\nThe image file was not in the package."
    )
    assert viewer.placeholder.textFormat() == Qt.TextFormat.PlainText
    assert viewer.status_text() == "No image"
    viewer.set_window(10, 10)  # nothing to apply it to: no error
    qtbot.keyClick(viewer.view, Qt.Key.Key_Right)
    settle(qtbot, viewer)
    assert viewer.placeholder_text().endswith("Not a raster image (text).")
    qtbot.keyClick(viewer.view, Qt.Key.Key_Left)
    qtbot.keyClick(viewer.view, Qt.Key.Key_Left)
    settle(qtbot, viewer)
    assert viewer.has_image()
    assert viewer.index == 1


def test_a_figure_without_a_reason_or_a_label(qtbot: QtBot) -> None:
    viewer = open_viewer(qtbot, [ViewerFigure("", "")])
    assert viewer.windowTitle() == "Figure 1 of 1"
    assert viewer.placeholder_text() == "This figure: image not shown\n\nThe image is missing."


def test_a_png_bomb_shows_a_placeholder(qtbot: QtBot, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_bomb(30000, 30000))
    viewer = open_viewer(qtbot, [ViewerFigure("Figure 1", "", bomb)])
    assert viewer.placeholder_text().endswith("Image too large (30000×30000).")


def test_a_decoder_bug_is_shown_not_swallowed(
    qtbot: QtBot, figures: list[ViewerFigure], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> LoadedImage:
        raise RuntimeError("boom")

    monkeypatch.setattr(fv, "load_image", broken)
    viewer = open_viewer(qtbot, figures)
    assert viewer.placeholder_text().endswith("The image could not be shown (RuntimeError: boom).")


def test_no_figures_is_an_error() -> None:
    application("light")
    with pytest.raises(ValueError, match="at least one figure"):
        FigureViewer([])


def test_wheel_zooms_around_the_pointer(viewer: FigureViewer) -> None:
    view = viewer.view
    at = QPoint(200, 150)
    before = view.mapToScene(at)
    zoom = viewer.zoom()
    wheel(viewer, at, 240, Qt.KeyboardModifier.NoModifier)
    assert viewer.zoom() == pytest.approx(zoom * fv.WHEEL_ZOOM_STEP**2)
    after = view.mapToScene(at)
    assert abs(after.x() - before.x()) < 2 / viewer.zoom()
    assert abs(after.y() - before.y()) < 2 / viewer.zoom()
    wheel(viewer, at, -240, Qt.KeyboardModifier.NoModifier)
    assert viewer.zoom() == pytest.approx(zoom)


def test_zoom_keys_actual_size_and_fit(qtbot: QtBot, viewer: FigureViewer) -> None:
    fitted = viewer.zoom()
    qtbot.keyClick(viewer.view, Qt.Key.Key_Plus)
    assert viewer.zoom() == pytest.approx(fitted * fv.ZOOM_STEP)
    qtbot.keyClick(viewer.view, Qt.Key.Key_Equal)
    qtbot.keyClick(viewer.view, Qt.Key.Key_Minus)
    qtbot.keyClick(viewer.view, Qt.Key.Key_Minus)
    assert viewer.zoom() == pytest.approx(fitted)
    qtbot.keyClick(viewer.view, Qt.Key.Key_1)
    assert viewer.zoom() == 1.0
    assert viewer.status_text().endswith("100%")
    qtbot.keyClick(viewer.view, Qt.Key.Key_F)
    assert viewer.zoom() == pytest.approx(fitted)
    for _ in range(40):
        viewer.zoom_in()
    assert viewer.zoom() == fv.MAX_ZOOM
    for _ in range(80):
        viewer.zoom_out()
    assert viewer.zoom() == fv.MIN_ZOOM


def test_double_click_fits(qtbot: QtBot, viewer: FigureViewer) -> None:
    fitted = viewer.zoom()
    viewer.actual_size()
    qtbot.mouseDClick(viewer.view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(100, 100))
    assert viewer.zoom() == pytest.approx(fitted)


def test_a_fitted_image_refits_when_the_window_resizes(qtbot: QtBot, viewer: FigureViewer) -> None:
    fitted = viewer.zoom()
    viewer.resize(600, 500)
    qtbot.waitUntil(lambda: viewer.zoom() < fitted)
    viewer.actual_size()
    viewer.resize(900, 700)
    QApplication.processEvents()
    assert viewer.zoom() == 1.0


def test_a_small_image_is_enlarged_to_fit_but_not_beyond_eight_times(
    qtbot: QtBot, tmp_path: Path
) -> None:
    image = QImage(4, 3, QImage.Format.Format_RGB32)
    image.fill(QColor("#808080"))
    image.save(str(tmp_path / "tiny.png"))
    viewer = open_viewer(qtbot, [ViewerFigure("Figure 1", "", tmp_path / "tiny.png")])
    assert viewer.zoom() == fv.MAX_FIT_ZOOM


def test_left_drag_pans(viewer: FigureViewer) -> None:
    viewer.actual_size()
    view = viewer.view
    centre = view.viewport().rect().center()
    before = view.mapToScene(centre)
    drag(viewer, QPoint(400, 300), QPoint(300, 250), Qt.MouseButton.LeftButton)
    after = view.mapToScene(centre)
    assert after.x() - before.x() == pytest.approx(100, abs=2)
    assert after.y() - before.y() == pytest.approx(50, abs=2)
    assert viewer.zoom() == 1.0


def test_right_drag_sets_the_window_and_shows_it(viewer: FigureViewer) -> None:
    assert shown_grey(viewer, 100) == 100
    drag(viewer, QPoint(300, 300), QPoint(340, 270), Qt.MouseButton.RightButton)
    assert (viewer.window_centre, viewer.window_width) == wl.drag(
        wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH, 40, -30
    )
    assert viewer.status_text().startswith("W 295 L 98  ·  ")
    table = wl.lookup_table(viewer.window_centre, viewer.window_width)
    assert shown_grey(viewer, 100) == table[100] > 100  # dragged up: brighter
    assert viewer.uses_colour_table()


def count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The paths the viewer decodes from now on, in order."""
    decoded: list[Path] = []

    def counting(path: Path, *, max_side: int | None = None) -> LoadedImage:
        decoded.append(path)
        return load_image(path, max_side=max_side)

    monkeypatch.setattr(fv, "load_image", counting)
    return decoded


def test_window_level_on_a_grey_figure_never_decodes_again(
    qtbot: QtBot, figures: list[ViewerFigure], monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = count_decodes(monkeypatch)
    viewer = open_viewer(qtbot, figures[:1])
    for step in range(20):
        viewer.set_window(60 + step * 5, 40 + step * 3)
    viewer.toggle_invert()
    assert decoded == [figures[0].path]
    assert viewer.uses_colour_table()
    table = wl.lookup_table(155, 97, invert=True)
    assert [shown_grey(viewer, x) for x in (0, 100, 155, 255)] == [
        table[x] for x in (0, 100, 155, 255)
    ]


def test_invert_and_reset(qtbot: QtBot, viewer: FigureViewer) -> None:
    qtbot.keyClick(viewer.view, Qt.Key.Key_I)
    assert viewer.inverted
    assert shown_grey(viewer, 10) == 245
    assert "Inverted" in viewer.status_text()
    viewer.set_window(50, 20)
    viewer.zoom_in()
    qtbot.keyClick(viewer.view, Qt.Key.Key_R)
    assert not viewer.inverted
    assert (viewer.window_centre, viewer.window_width) == (wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH)
    assert viewer.view.fitted
    assert shown_grey(viewer, 10) == 10
    assert "Inverted" not in viewer.status_text()


def test_window_level_works_per_channel_on_colour(qtbot: QtBot, viewer: FigureViewer) -> None:
    qtbot.keyClick(viewer.view, Qt.Key.Key_Right)
    settle(qtbot, viewer)
    assert viewer.has_image()
    assert not viewer.uses_colour_table()
    viewer.set_window(120, 100)
    viewer.toggle_invert()
    table = wl.lookup_table(120, 100, invert=True)
    colour = viewer.view.pixmap().toImage().pixelColor(150, 100)
    assert (colour.red(), colour.green(), colour.blue()) == (table[40], table[120], table[200])
    viewer.reset()
    colour = viewer.view.pixmap().toImage().pixelColor(150, 100)
    assert (colour.red(), colour.green(), colour.blue()) == (40, 120, 200)


def test_stepping_starts_the_next_figure_afresh(qtbot: QtBot, viewer: FigureViewer) -> None:
    viewer.set_window(40, 30)
    viewer.toggle_invert()
    viewer.actual_size()
    qtbot.keyClick(viewer.view, Qt.Key.Key_Right)
    settle(qtbot, viewer)
    assert not viewer.inverted
    assert (viewer.window_centre, viewer.window_width) == (wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH)
    assert viewer.view.fitted


def test_the_legend_is_plain_text_and_l_hides_it_for_the_session(
    qtbot: QtBot, viewer: FigureViewer, figures: list[ViewerFigure]
) -> None:
    assert viewer.legend.text() == LEGEND
    assert viewer.legend.textFormat() == Qt.TextFormat.PlainText
    assert viewer.legend.wordWrap()
    assert viewer.legend_area.isVisible()
    qtbot.keyClick(viewer.view, Qt.Key.Key_L)
    assert not viewer.legend_area.isVisible()
    assert not viewer.legend_visible()
    qtbot.keyClick(viewer.view, Qt.Key.Key_Right)
    assert not viewer.legend_area.isVisible()
    viewer.close()
    again = open_viewer(qtbot, figures)
    assert not again.legend_area.isVisible()
    again.toggle_legend()
    assert again.legend_area.isVisible()
    again.go_to(3)
    assert again.legend.text() == "No legend."


def test_a_long_legend_scrolls_rather_than_crowd_out_the_image(
    qtbot: QtBot, figures: list[ViewerFigure]
) -> None:
    long = [ViewerFigure("Figure 1", "A long legend sentence. " * 400, figures[0].path)]
    viewer = open_viewer(qtbot, long)
    assert viewer.legend_area.height() <= viewer.height() * fv.LEGEND_SHARE + 1
    assert viewer.view.height() > viewer.height() / 2


def test_full_screen_and_escape(qtbot: QtBot, viewer: FigureViewer) -> None:
    qtbot.keyClick(viewer.view, Qt.Key.Key_F11)
    qtbot.waitUntil(viewer.isFullScreen)
    qtbot.keyClick(viewer.view, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isFullScreen())
    assert viewer.isVisible()
    qtbot.keyClick(viewer.view, Qt.Key.Key_Escape)
    assert not viewer.isVisible()


def test_decoded_figures_are_cached_and_the_cache_is_bounded(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = count_decodes(monkeypatch)
    paths = [grey_ramp(tmp_path / f"{n}.png", 64, 48) for n in range(8)]
    viewer = open_viewer(
        qtbot, [ViewerFigure(f"Figure {n + 1}", "", p) for n, p in enumerate(paths)]
    )
    for _ in range(2):
        viewer.next_figure()
        settle(qtbot, viewer)
        viewer.previous_figure()
        settle(qtbot, viewer)
    qtbot.waitUntil(lambda: not viewer._pending)
    # The first two, and the neighbour of the second, fetched ahead: each once.
    assert sorted(decoded) == sorted(paths[:3])
    for _ in range(7):
        viewer.next_figure()
        settle(qtbot, viewer)
    qtbot.waitUntil(lambda: not viewer._pending)
    assert len(viewer._cache) <= CACHE_SIZE
    assert paths[7] in viewer._cache
    assert len(decoded) == len(set(decoded)) == 8


def test_keys_lists_every_binding(viewer: FigureViewer) -> None:
    table = keys()
    described = dict(table)
    for key in ("F11", "Esc", "I", "R", "L", "1", "Right-drag", "Left-drag", "Wheel"):
        assert key in described, key
    assert all(key and action for key, action in table)
    bound = {sequence.toString() for action in viewer.actions() for sequence in action.shortcuts()}
    assert {"Left", "Right", "PgUp", "PgDown", "+", "=", "-", "F", "1", "I", "R", "L"} <= bound
    assert {"F11", "Esc"} <= bound


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_stage_is_dark_in_both_themes(qtbot: QtBot, tmp_path: Path, scheme: str) -> None:
    image = QImage(40, 400, QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    image.save(str(tmp_path / "tall.png"))
    try:
        application("dark" if scheme == "dark" else "light")
        viewer = FigureViewer([ViewerFigure("Figure 1", "Tall.", tmp_path / "tall.png")])
        qtbot.addWidget(viewer)
        viewer.resize(800, 600)
        viewer.show()
        qtbot.waitExposed(viewer)
        settle(qtbot, viewer)
        shot = viewer.grab().toImage()
        margin = shot.pixelColor(20, 20)
        assert margin.lightness() < 40, margin.name()
        assert margin.name() == QColor(fv.STAGE_COLOUR).name()
    finally:
        application("light")


def test_a_long_label_is_cut_short_on_screen_but_kept_whole(
    qtbot: QtBot, figures: list[ViewerFigure]
) -> None:
    label = "Figure 12b (arrowheads: enhancing nodular component along the posterior wall)"
    long = [ViewerFigure(label, "", figures[0].path, "MRI · T1 fat-saturated · Sagittal")]
    viewer = open_viewer(qtbot, long)
    viewer.resize(520, 480)
    QApplication.processEvents()
    assert viewer.windowTitle() == f"Figure 1 of 1 — {label}"
    assert viewer.where.text() == f"Figure 1 of 1 · {label} · MRI · T1 fat-saturated · Sagittal"
    assert viewer.where.toolTip() == viewer.where.text()
    strip = viewer.where.parentWidget()
    assert viewer.where.geometry().right() < viewer.readout.geometry().left()
    assert viewer.readout.geometry().right() <= strip.width()
    assert viewer.readout.width() >= viewer.readout.sizeHint().width()


def test_a_large_colour_figure_maps_only_the_pixels_shown(qtbot: QtBot, tmp_path: Path) -> None:
    """Window/level on a colour figure shown smaller than its size maps a copy of the size
    shown (a quarter of a 2048² photograph fitted in the window), drawn over the same
    stretch of the scene; at 1:1 it maps the image itself."""
    image = QImage(2000, 1600, QImage.Format.Format_RGB32)
    image.fill(QColor(40, 120, 200))
    path = tmp_path / "photo.png"
    assert image.save(str(path))
    viewer = open_viewer(qtbot, [ViewerFigure("Figure 1", "A photograph.", path)])
    settle(qtbot, viewer)
    assert viewer.has_image() and not viewer.uses_colour_table()
    scene = viewer.view.sceneRect()
    assert (scene.width(), scene.height()) == (2000, 1600)
    viewer.set_window(120, 100)
    viewer.toggle_invert()
    shown = viewer.view.pixmap()
    assert shown.width() < 1000  # fitted in 900 × 700: mapped at about the size shown
    assert viewer.view.sceneRect() == scene
    table = wl.lookup_table(120, 100, invert=True)
    colour = shown.toImage().pixelColor(shown.width() // 2, shown.height() // 2)
    assert (colour.red(), colour.green(), colour.blue()) == (table[40], table[120], table[200])
    viewer.actual_size()  # 1:1: drawn again from the image itself
    assert viewer.view.pixmap().width() == 2000
    viewer.fit()
    assert viewer.view.pixmap().width() < 1000
