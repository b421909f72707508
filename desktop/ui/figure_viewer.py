"""The figure viewer: one case's figures in a window of their own, for reading them closely.

Zoom, pan, fit, 1:1, invert and window/level (right-drag, as on a PACS), stepping through
the figures, the legend shown or hidden, full screen. Images are decoded by
`image_loading.load_image` on a worker thread (a big one never blocks the window) and the
last few are kept. Window/level on a grey figure only swaps the 256-entry colour table of
its Indexed8 copy; on a colour figure numpy maps each channel through the table into one
buffer kept for that figure.

Stepping to another figure starts it afresh (fitted, default window, not inverted); whether
the legend shows is remembered for the session.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QObject, QPoint, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QImage,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import window_level as wl
from desktop.render import DARK
from desktop.ui.image_loading import (
    LoadedImage,
    apply_table,
    colour_table,
    load_image,
    to_greyscale_indexed,
)

#: The stage behind the image: near black in both themes, as on a reading-room monitor.
STAGE_COLOUR = "#0e1114"
#: How many decoded figures are kept (the one shown, its neighbours, two before).
CACHE_SIZE = 5
#: Zoom limits, and the most a small image is enlarged to fit the window.
MIN_ZOOM = 0.02
MAX_ZOOM = 32.0
MAX_FIT_ZOOM = 8.0
#: One +/− press, and one wheel notch (120 units of angle).
ZOOM_STEP = 1.25
WHEEL_ZOOM_STEP = 1.2
#: From this zoom up pixels are drawn as squares (nearest neighbour), so they can be seen.
SHARP_FROM_ZOOM = 2.0
#: Tallest the legend gets before it scrolls, as a share of the window's height.
LEGEND_SHARE = 0.3


@dataclass(frozen=True)
class ViewerFigure:
    """One figure as the viewer shows it.

    Attributes:
        label: What the case calls it ("Figure 2").
        legend: Its legend, plain text.
        path: The stored image file; None when the image is missing.
        details: Modality and plane, or the like ("CT · Axial"); may be empty.
        missing_reason: Why there is no image, when path is None.
    """

    label: str
    legend: str = ""
    path: Path | None = None
    details: str = ""
    missing_reason: str | None = None


#: Every key and mouse gesture: (keys as shown, shortcuts, what it does, handler name).
#: Mouse gestures have no shortcut and no handler here (the image view handles them).
_BINDINGS: tuple[tuple[str, tuple[str, ...], str, str], ...] = (
    ("Left, Page Up, Ctrl+Wheel up", ("Left", "PgUp"), "Previous figure", "previous_figure"),
    ("Right, Page Down, Ctrl+Wheel down", ("Right", "PgDown"), "Next figure", "next_figure"),
    ("Wheel", (), "Zoom around the pointer", ""),
    ("+ / −", (), "Zoom in / out", ""),
    ("", ("+", "="), "", "zoom_in"),
    ("", ("-",), "", "zoom_out"),
    ("F, double-click", ("F",), "Fit to the window", "fit"),
    ("1", ("1",), "Actual size (1:1)", "actual_size"),
    ("Left-drag", (), "Pan", ""),
    (
        "Right-drag",
        (),
        "Window/level: right widens, left narrows; up brightens, down darkens",
        "",
    ),
    ("I", ("I",), "Invert", "toggle_invert"),
    ("R", ("R",), "Reset: fit, default window, not inverted", "reset"),
    ("L", ("L",), "Show or hide the legend", "toggle_legend"),
    ("F11", ("F11",), "Full screen", "toggle_full_screen"),
    ("Esc", ("Esc",), "Leave full screen, or close the viewer", "escape"),
)


def keys() -> list[tuple[str, str]]:
    """The viewer's keys and mouse gestures, (keys, what they do), for the shortcut table."""
    return [(shown, action) for shown, _, action, _ in _BINDINGS if shown]


@dataclass(frozen=True)
class _Decoded:
    """A decoded figure: the image (or the reason there is none) and, for an all-grey
    image, its Indexed8 copy that window/level recolours (then also `loaded.image`)."""

    loaded: LoadedImage
    grey: QImage | None


class _DecodeSignals(QObject):
    """Carries one decode's result from the worker thread back to the window.

    Signals:
        done(object, object): the path and its `_Decoded`.
    """

    done = Signal(object, object)


def _decode(path: Path, signals: _DecodeSignals) -> None:
    """Runs on a pool thread: QImage work only, never a widget or a pixmap."""
    try:
        loaded = load_image(path)
        grey = to_greyscale_indexed(loaded.image) if loaded.image is not None else None
        if grey is not None:
            # The Indexed8 copy is all a grey figure needs: the decoded one (often RGB32,
            # four times its size) is not kept in the cache.
            loaded = dataclasses.replace(loaded, image=grey)
        result = _Decoded(loaded, grey)
    except Exception as error:  # a bug in decoding: shown to the reader, never swallowed
        reason = f"the image could not be shown ({type(error).__name__}: {error})"
        result = _Decoded(LoadedImage(None, reason, QSize()), None)
    signals.done.emit(path, result)


class _ImageView(QGraphicsView):
    """The image on its dark stage: wheel zoom, left-drag pan, right-drag window/level.

    Signals:
        window_dragged(float, float): a right-button drag moved by (dx, dy) pixels.
        fit_requested(): a double-click.
        step_requested(int): Ctrl+wheel asked for the previous (-1) or next (1) figure.
        zoomed(): the zoom changed.
    """

    window_dragged = Signal(float, float)
    fit_requested = Signal()
    step_requested = Signal(int)
    zoomed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("figureImage")
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setShapeMode(QGraphicsPixmapItem.ShapeMode.BoundingRectShape)
        self._scene.addItem(self._item)
        self.setScene(self._scene)
        self.setBackgroundBrush(QColor(STAGE_COLOUR))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.fitted = True
        self._window_drag: QPoint | None = None
        self._wheel_steps = 0

    def show_pixmap(self, pixmap: QPixmap, *, keep_view: bool, scale: float = 1.0) -> None:
        """Shows `pixmap`; keep_view keeps zoom and position (same image, new window).

        Args:
            scale: The pixmap's size over the image's (below 1: a copy made for the zoom on
                show); the scene stays in image pixels whatever it is.
        """
        self._item.setPixmap(pixmap)
        self._item.setScale(1.0 / scale)
        if not keep_view:
            self._scene.setSceneRect(self._item.sceneBoundingRect())
            self.fit()

    def zoom(self) -> float:
        return self.transform().m11()

    def pixmap(self) -> QPixmap:
        """What is drawn: the image through the current window/level."""
        return self._item.pixmap()

    def fit(self) -> None:
        """The whole image in the window, centred, enlarged at most MAX_FIT_ZOOM times."""
        rect = self._item.sceneBoundingRect()
        viewport = self.viewport().size()
        if rect.isEmpty() or viewport.isEmpty():
            return
        scale = min(viewport.width() / rect.width(), viewport.height() / rect.height())
        self._set_zoom(min(max(scale, MIN_ZOOM), MAX_FIT_ZOOM))
        self.centerOn(self._item)
        self.fitted = True
        self.zoomed.emit()

    def actual_size(self) -> None:
        """One image pixel to one screen pixel, around the centre of the view."""
        centre = self.mapToScene(self.viewport().rect().center())
        self._set_zoom(1.0)
        self.centerOn(centre)
        self.fitted = False
        self.zoomed.emit()

    def zoom_by(self, factor: float, around: QPoint | None = None) -> None:
        """Zooms by `factor` keeping the scene point under `around` (viewport) in place,
        or the centre of the view when None."""
        current = self.zoom()
        target = min(max(current * factor, MIN_ZOOM), MAX_ZOOM)
        if target == current:
            return
        anchor = around if around is not None else self.viewport().rect().center()
        before = self.mapToScene(anchor)
        self._set_zoom(target)
        after = self.mapToScene(anchor)
        shift = after - before
        centre = self.mapToScene(self.viewport().rect().center()) - shift
        self.centerOn(centre)
        self.fitted = False
        self.zoomed.emit()

    def _set_zoom(self, scale: float) -> None:
        self.setTransform(QTransform.fromScale(scale, scale))
        mode = (
            Qt.TransformationMode.FastTransformation
            if scale >= SHARP_FROM_ZOOM
            else Qt.TransformationMode.SmoothTransformation
        )
        self._item.setTransformationMode(mode)

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if not delta:
            return
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            # Touchpads send small deltas: step once per full notch, in either direction.
            self._wheel_steps += delta
            while abs(self._wheel_steps) >= 120:
                step = -1 if self._wheel_steps > 0 else 1
                self._wheel_steps += 120 * step
                self.step_requested.emit(step)
        else:
            self.zoom_by(WHEEL_ZOOM_STEP ** (delta / 120), event.position().toPoint())
        event.accept()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton:
            self._window_drag = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.SizeAllCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._window_drag is not None:
            position = event.position().toPoint()
            moved = position - self._window_drag
            self._window_drag = position
            if not moved.isNull():
                self.window_dragged.emit(float(moved.x()), float(moved.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.RightButton and self._window_drag is not None:
            self._window_drag = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.fit_requested.emit()
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fitted:
            self.fit()


class _ElidingLabel(QLabel):
    """A one-line plain-text label that ends in "…" when it does not fit (text() stays
    whole; the tooltip shows it all)."""

    def minimumSizeHint(self) -> QSize:
        return QSize(1, super().minimumSizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.setPen(self.palette().color(self.foregroundRole()))
        painter.drawText(rect, int(self.alignment()), shown)
        painter.end()


class FigureViewer(QDialog):
    """A window showing a case's figures one at a time.

    Attributes:
        figures: The figures, in the case's order.
        index: The one shown (0-based).
        window_centre: The window/level centre applied to it.
        window_width: The window/level width applied to it.
        inverted: Whether it is shown as a negative.

    Signals:
        shown(int): the figure at this index is on screen: its image, or the placeholder
            saying why there is none (not "Loading…").
    """

    shown = Signal(int)

    #: Whether legends show: one choice for every viewer in this session.
    _legend_visible: ClassVar[bool] = True

    def __init__(
        self,
        figures: Sequence[ViewerFigure],
        start: int = 0,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        if not figures:
            raise ValueError("the figure viewer needs at least one figure")
        self.setObjectName("figureViewer")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setWindowFlag(Qt.WindowType.WindowMinimizeButtonHint, True)
        self.figures: tuple[ViewerFigure, ...] = tuple(figures)
        self.index = min(max(start, 0), len(self.figures) - 1)
        self.window_centre = wl.DEFAULT_CENTRE
        self.window_width = wl.DEFAULT_WIDTH
        self.inverted = False
        self._cache: OrderedDict[Path, _Decoded] = OrderedDict()
        self._pending: dict[Path, _DecodeSignals] = {}
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._shown: _Decoded | None = None
        self._colour_out: QImage | None = None
        #: A colour figure's copy at the size shown, and that size over its own (see
        #: `_colour_source`); the scale of the pixmap on show.
        self._colour_small: tuple[float, QImage] | None = None
        self._colour_scale = 1.0
        self._build()
        self._bind_keys()
        self.resize(1000, 760)
        self._show_current()

    # Public: what the keys and the owner call.

    def current(self) -> ViewerFigure:
        return self.figures[self.index]

    def is_loading(self) -> bool:
        """Whether the current figure is still being decoded."""
        path = self.current().path
        return path is not None and path not in self._cache

    def has_image(self) -> bool:
        """Whether an image (not a placeholder) is shown."""
        return self._shown is not None and self._shown.loaded.image is not None

    def uses_colour_table(self) -> bool:
        """Whether window/level on the shown figure only swaps a 256-entry colour table
        (an all-grey image), rather than mapping every pixel's channels."""
        return self._shown is not None and self._shown.grey is not None

    def go_to(self, index: int) -> bool:
        """Shows the figure at `index`; False (and nothing changes) when there is none."""
        if not 0 <= index < len(self.figures) or index == self.index:
            return False
        self.index = index
        self._show_current()
        return True

    def step(self, delta: int) -> bool:
        """Moves by `delta` figures, stopping at the first and the last."""
        return self.go_to(self.index + delta)

    def previous_figure(self) -> None:
        self.step(-1)

    def next_figure(self) -> None:
        self.step(1)

    def zoom_in(self) -> None:
        self.view.zoom_by(ZOOM_STEP)

    def zoom_out(self) -> None:
        self.view.zoom_by(1 / ZOOM_STEP)

    def zoom(self) -> float:
        return self.view.zoom()

    def fit(self) -> None:
        self.view.fit()

    def actual_size(self) -> None:
        self.view.actual_size()

    def set_window(self, centre: float, width: float) -> None:
        """Applies a window/level (clamped) to the figure shown."""
        self.window_centre, self.window_width = wl.clamp(centre, width)
        self._refresh_pixels()

    def toggle_invert(self) -> None:
        self.inverted = not self.inverted
        self._refresh_pixels()

    def reset(self) -> None:
        """Fit, default window, not inverted."""
        self._reset_window()
        self._refresh_pixels()
        self.view.fit()

    def legend_visible(self) -> bool:
        return FigureViewer._legend_visible

    def toggle_legend(self) -> None:
        FigureViewer._legend_visible = not FigureViewer._legend_visible
        self._show_legend()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def escape(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.reject()

    def position_text(self) -> str:
        """Where the reader is among the figures: "Figure 2 of 5"."""
        return f"Figure {self.index + 1} of {len(self.figures)}"

    def status_text(self) -> str:
        """What the status strip says about the picture: window, invert and zoom."""
        if self.is_loading():
            return "Loading…"
        if not self.has_image():
            return "No image"
        parts = [wl.describe(self.window_centre, self.window_width)]
        if self.inverted:
            parts.append("Inverted")
        parts.append(f"{round(self.view.zoom() * 100)}%")
        return "  ·  ".join(parts)

    def placeholder_text(self) -> str:
        """The placeholder's words, or "" while an image is shown."""
        return "" if self.stack.currentWidget() is self.view else self.placeholder.text()

    # Building.

    def _build(self) -> None:
        self.view = _ImageView(self)
        self.view.window_dragged.connect(self._on_window_dragged)
        self.view.fit_requested.connect(self.fit)
        self.view.step_requested.connect(self.step)
        self.view.zoomed.connect(self._update_status)
        self.view.zoomed.connect(self._zoom_changed)
        self.placeholder = QLabel(self)
        self.placeholder.setObjectName("figurePlaceholder")
        self.placeholder.setTextFormat(Qt.TextFormat.PlainText)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(32)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.placeholder)

        self.where = _ElidingLabel(self)
        self.where.setObjectName("figureWhere")
        self.where.setTextFormat(Qt.TextFormat.PlainText)
        self.readout = QLabel(self)
        self.readout.setObjectName("figureReadout")
        self.readout.setTextFormat(Qt.TextFormat.PlainText)
        self.readout.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        strip = QFrame(self)
        strip.setObjectName("figureStrip")
        strip_layout = QHBoxLayout(strip)
        strip_layout.setContentsMargins(12, 6, 12, 6)
        strip_layout.setSpacing(24)
        strip_layout.addWidget(self.where, 1)
        strip_layout.addWidget(self.readout)

        self.legend = QLabel(self)
        self.legend.setObjectName("figureLegend")
        self.legend.setTextFormat(Qt.TextFormat.PlainText)
        self.legend.setWordWrap(True)
        self.legend.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.legend.setContentsMargins(16, 10, 16, 12)
        self.legend_area = QScrollArea(self)
        self.legend_area.setObjectName("figureLegendArea")
        self.legend_area.setWidget(self.legend)
        self.legend_area.setWidgetResizable(True)
        self.legend_area.setFrameShape(QFrame.Shape.NoFrame)
        self.legend_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.legend_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.stack, 1)
        layout.addWidget(strip)
        layout.addWidget(self.legend_area)
        self.setStyleSheet(
            f"#figurePlaceholder {{ background: {STAGE_COLOUR}; color: {DARK.muted}; }}"
            f" #figureStrip {{ background: {STAGE_COLOUR}; border-top: 1px solid #20262c; }}"
            f" #figureWhere {{ color: {DARK.text}; }}"
            f" #figureReadout {{ color: {DARK.accent}; }}"
        )
        self.view.setFocus()

    def _bind_keys(self) -> None:
        for _, shortcuts, description, handler in _BINDINGS:
            if not shortcuts:
                continue
            action = QAction(description or handler, self)
            action.setShortcuts([QKeySequence(key) for key in shortcuts])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(getattr(self, handler))
            self.addAction(action)

    # Showing a figure.

    def _show_current(self) -> None:
        figure = self.current()
        self._reset_window()
        self._shown = None
        self._colour_out = None
        self._colour_small = None
        self._colour_scale = 1.0
        title = self.position_text()
        self.setWindowTitle(f"{title} — {figure.label}" if figure.label else title)
        # "Figure 2 of 5 · Figure 2" says it twice: the label shows only when it adds to it.
        label = "" if figure.label == f"Figure {self.index + 1}" else figure.label
        self.where.setText(" · ".join(part for part in (title, label, figure.details) if part))
        self.where.setToolTip(self.where.text())
        self._show_legend()
        if figure.path is None:
            self._show_placeholder(figure.missing_reason or "the image is missing")
            self.shown.emit(self.index)
        elif figure.path in self._cache:
            self._cache.move_to_end(figure.path)
            self._display(self._cache[figure.path])
        else:
            self.placeholder.setText("Loading…")
            self.stack.setCurrentWidget(self.placeholder)
            self._request(figure.path)
        self._update_status()
        for neighbour in (self.index + 1, self.index - 1):
            if 0 <= neighbour < len(self.figures):
                path = self.figures[neighbour].path
                if path is not None and path not in self._cache:
                    self._request(path)

    def _reset_window(self) -> None:
        self.window_centre = wl.DEFAULT_CENTRE
        self.window_width = wl.DEFAULT_WIDTH
        self.inverted = False

    def _show_placeholder(self, reason: str) -> None:
        words = reason[:1].upper() + reason[1:]
        label = self.current().label or "This figure"
        self.placeholder.setText(f"{label}: image not shown\n\n{words}.")
        self.stack.setCurrentWidget(self.placeholder)

    def _show_legend(self) -> None:
        legend = self.current().legend.strip()
        self.legend.setText(legend or "No legend.")
        self.legend.setEnabled(bool(legend))
        self.legend_area.setVisible(FigureViewer._legend_visible)
        self._limit_legend()

    def _limit_legend(self) -> None:
        """The legend takes the height its text needs, up to LEGEND_SHARE of the window
        (then it scrolls)."""
        width = self.legend_area.width() or self.width()
        needed = self.legend.heightForWidth(width)
        most = max(48, int(self.height() * LEGEND_SHARE))
        self.legend_area.setFixedHeight(min(needed, most) if needed > 0 else most)

    def _request(self, path: Path) -> None:
        if path in self._pending:
            return
        signals = _DecodeSignals()
        signals.done.connect(self._on_decoded)
        self._pending[path] = signals
        self._pool.start(lambda: _decode(path, signals))

    def _on_decoded(self, path: Path, decoded: _Decoded) -> None:
        self._pending.pop(path, None)
        self._cache[path] = decoded
        self._cache.move_to_end(path)
        current = self.current().path
        while len(self._cache) > CACHE_SIZE:
            oldest = next(iter(self._cache))
            if oldest == current:
                self._cache.move_to_end(oldest)
                continue
            del self._cache[oldest]
        if path == current and self._shown is None:
            self._display(decoded)

    def _display(self, decoded: _Decoded) -> None:
        if decoded.loaded.image is None:
            self._show_placeholder(decoded.loaded.reason or "the image could not be read")
        else:
            self._shown = decoded
            self.view.show_pixmap(self._pixmap(), keep_view=False)
            self.stack.setCurrentWidget(self.view)
        self._update_status()
        self.shown.emit(self.index)

    def _pixmap(self) -> QPixmap:
        """The shown figure's pixels through the current window/level."""
        assert self._shown is not None and self._shown.loaded.image is not None
        table = wl.lookup_table(self.window_centre, self.window_width, self.inverted)
        grey = self._shown.grey
        if grey is not None:
            grey.setColorTable(colour_table(table))
            return QPixmap.fromImage(grey)
        image = self._shown.loaded.image
        if wl.is_default(self.window_centre, self.window_width) and not self.inverted:
            self._colour_scale = 1.0
            return QPixmap.fromImage(image)
        source = self._colour_source(image)
        if self._colour_out is None or self._colour_out.size() != source.size():
            self._colour_out = QImage(source.size(), source.format())
        apply_table(source, table, self._colour_out)
        return QPixmap.fromImage(self._colour_out)

    def _colour_source(self, image: QImage) -> QImage:
        """The colour image window/level maps: the image itself, or, while it is shown
        smaller than its size, a copy of the size shown (a 2048² photograph fitted in the
        window is a quarter of its pixels: every change of window maps those only)."""
        ratio = self.view.devicePixelRatioF()
        scale = min(1.0, self.view.zoom() * ratio * 1.1)  # a little over: never soft
        if scale > 0.9:
            self._colour_scale = 1.0
            return image
        scale = round(scale, 2)
        cached = self._colour_small
        if cached is None or cached[0] != scale:
            size = image.size() * scale
            small = image.scaled(
                size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            ).convertToFormat(image.format())
            self._colour_small = cached = (scale, small)
            self._colour_out = None
        self._colour_scale = cached[1].width() / image.width()
        return cached[1]

    def _refresh_pixels(self) -> None:
        if self.has_image():
            pixmap = self._pixmap()
            self.view.show_pixmap(pixmap, keep_view=True, scale=self._colour_scale)
        self._update_status()

    def _zoom_changed(self) -> None:
        # A colour figure under a window drawn at the old zoom's size: drawn again for the
        # new one (sharp when zoomed in, small when zoomed out).
        if self.has_image() and self._shown is not None and self._shown.grey is None:
            if not wl.is_default(self.window_centre, self.window_width) or self.inverted:
                self._refresh_pixels()

    def _on_window_dragged(self, dx: float, dy: float) -> None:
        if self.has_image():
            self.set_window(*wl.drag(self.window_centre, self.window_width, dx, dy))

    def _update_status(self) -> None:
        self.readout.setText(self.status_text())

    # Qt overrides.

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._limit_legend()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._pool.clear()
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self._pool.clear()
        super().done(result)
