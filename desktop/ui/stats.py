"""The drill statistics view: reviews per day, the due forecast, accuracy by section and by
collection, and the cases most often missed, drawn from a `StudyStats`.

pyqtgraph (and numpy under it) is imported when the first chart is drawn, never at module
level, and the window imports this module only when the reader opens the view: start-up loads
neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.model import RATING_NAMES, CaseId, MissedCase, StudyStats, Tally
from desktop.ui import theme
from desktop.ui.labels import plain_tip
from desktop.ui.roles import Roles

#: Shown instead of the charts while the review log is empty.
EMPTY_MESSAGE = "No reviews yet — start a drill from the Drill menu."
#: Shown in place of the collection chart when no reviewed case sits in a collection.
NO_COLLECTION_MESSAGE = "No collection reviewed yet"
#: Shown in place of the table when no case was ever missed.
NO_MISSES_MESSAGE = "No case missed yet"

#: Bar colours per rating, (light palette, dark palette): red, amber, green and blue that
#: keep their contrast on a white and on a near-black background.
RATING_COLOURS: dict[str, tuple[str, str]] = {
    "Missed": ("#d64541", "#f07470"),
    "Partly": ("#e39b1b", "#f2b84b"),
    "Got it": ("#3f9c4a", "#6cc477"),
    "Easy": ("#3478c6", "#6aa9ea"),
}
#: The forecast's bars and the accuracy bars, (light, dark).
PLAIN_BAR = ("#5b7fa6", "#7ea6d1")

#: Height of a bar chart, width of the names beside the accuracy bars, height of one bar's row.
_CHART_HEIGHT = 230
_NAME_WIDTH = 220
_ROW_HEIGHT = 26
#: Where the day chart puts a date under its bars: every fifth day, counted back from today.
_DAY_TICK_EVERY = 5


def _pyqtgraph() -> ModuleType:
    """pyqtgraph, imported on first use (with numpy, ~0.25 s that start-up never pays)."""
    import pyqtgraph  # type: ignore[import-untyped]  # pyqtgraph ships no type hints

    pyqtgraph.setConfigOptions(antialias=True)
    return pyqtgraph


class StatsDialog(QDialog):
    """How the drills went, as charts, with the cases missed most.

    Attributes:
        summary: The line at the top ("1,234 reviews of 210 cases · 12 due now · 3 leeches").
        empty_message: Shown instead of everything else while there are no reviews.
        plots: The charts by name ("days", "forecast", "sections", "collections").
        day_bars: The stacked bars of the day chart, one item per rating name.
        forecast_bars: The bars of the forecast.
        section_bars: The accuracy bars by section (None without sections).
        collection_bars: The accuracy bars by collection (None without collections).
        collection_empty: The muted line shown instead of an empty collection chart.
        missed_table: The most-missed cases and the leeches; activating a row opens its case.
    """

    def __init__(
        self,
        stats: StudyStats,
        parent: QWidget | None = None,
        *,
        open_case: Callable[[CaseId], None] | None = None,
    ):
        super().__init__(parent)
        self._ready = False
        self._redraw_due = False
        self.setWindowTitle("Drill statistics")
        self.resize(900, 700)
        self._pg: ModuleType | None = None
        self._stats = stats
        self._open_case = open_case
        self.plots: dict[str, Any] = {}
        self.day_bars: dict[str, Any] = {}
        self.forecast_bars: Any = None
        self.section_bars: Any = None
        self.collection_bars: Any = None
        self.summary = _plain_label("")
        self.empty_message = _plain_label(EMPTY_MESSAGE)
        self.collection_empty = _plain_label(NO_COLLECTION_MESSAGE)
        self.missed_table = QTreeWidget()
        self._scroll = QScrollArea()
        self._scroll.setWidgetResizable(True)
        self._scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._scroll, 1)
        layout.addWidget(buttons)
        self._draw()
        self._ready = True

    def set_stats(self, stats: StudyStats) -> None:
        """Redraws every chart and the table from new figures (the library changed)."""
        self._stats = stats
        self._draw()

    @property
    def stats(self) -> StudyStats:
        """The figures shown now."""
        return self._stats

    # Drawing -------------------------------------------------------------------------

    def _draw(self) -> None:
        """Builds the page afresh: the charts are cheap, and a rebuild leaves no stale item."""
        position = self._scroll.verticalScrollBar().value()
        stats = self._stats
        self.plots = {}
        self.day_bars = {}
        self.forecast_bars = self.section_bars = self.collection_bars = None
        page = QWidget()
        page.setObjectName("statsPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(6)
        # Each rebuild makes new widgets; the old page (and its labels) goes with it.
        self.summary = _plain_label(summary_text(stats))
        font = QFont(self.summary.font())
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.summary.setFont(font)
        layout.addWidget(self.summary)
        self.empty_message = _muted(_plain_label(EMPTY_MESSAGE))
        self.collection_empty = _muted(_plain_label(NO_COLLECTION_MESSAGE))
        self.missed_table = self._make_table(stats)
        if stats.reviews == 0:
            self.summary.hide()
            self.empty_message.setAlignment(Qt.AlignmentFlag.AlignCenter)
            layout.addStretch(1)
            layout.addWidget(self.empty_message)
            layout.addStretch(2)
        else:
            # Imported with the first chart: an empty view never loads it.
            self._pg = self._pg or _pyqtgraph()
            self.empty_message.hide()
            self._add_days(layout, stats.days)
            self._add_forecast(layout, stats.forecast)
            self.section_bars = self._add_accuracy(
                layout, "sections", "Accuracy by section", stats.by_section
            )
            self.collection_bars = self._add_accuracy(
                layout, "collections", "Accuracy by collection", stats.by_collection
            )
            if not stats.by_collection:
                layout.addWidget(self.collection_empty)
            else:
                self.collection_empty.hide()
            layout.addWidget(_heading("Most-missed cases and leeches"))
            if self.missed_table.topLevelItemCount():
                layout.addWidget(self.missed_table)
            else:
                layout.addWidget(_muted(_plain_label(NO_MISSES_MESSAGE)))
            layout.addStretch(1)
        self._scroll.setWidget(page)
        self._scroll.verticalScrollBar().setValue(position)

    def _add_days(self, layout: QVBoxLayout, days: Sequence[Tally]) -> None:
        layout.addWidget(_heading("Reviews per day, last 30 days"))
        layout.addWidget(_legend(self.palette()))
        plot = self._plot("days", "Reviews", "Date")
        xs = list(range(len(days)))
        base = [0] * len(days)
        for rating, name in RATING_NAMES.items():
            heights = [_count(day, rating) for day in days]
            bars = self._bars(xs, heights, _colour(RATING_COLOURS[name], self.palette()), base)
            plot.addItem(bars)
            self.day_bars[name] = bars
            base = [low + high for low, high in zip(base, heights, strict=True)]
        ticks = [
            (index, short_date(dt.date.fromisoformat(day.label)))
            for index, day in enumerate(days)
            if (len(days) - 1 - index) % _DAY_TICK_EVERY == 0
        ]
        self._finish_counts(plot, len(days), max(base, default=0), ticks)
        layout.addWidget(plot)

    def _add_forecast(self, layout: QVBoxLayout, forecast: Sequence[tuple[dt.date, int]]) -> None:
        layout.addWidget(_heading("Due in the next 14 days"))
        plot = self._plot("forecast", "Cases due", "Day")
        heights = [count for _day, count in forecast]
        self.forecast_bars = self._bars(
            list(range(len(forecast))), heights, _colour(PLAIN_BAR, self.palette())
        )
        plot.addItem(self.forecast_bars)
        ticks = [
            (index, "Today" if index == 0 else short_date(day))
            for index, (day, _count) in enumerate(forecast)
        ]
        self._finish_counts(plot, len(forecast), max(heights, default=0), ticks)
        layout.addWidget(plot)

    def _add_accuracy(
        self, layout: QVBoxLayout, name: str, title: str, tallies: Sequence[Tally]
    ) -> Any:
        """Horizontal bars of the share rated Got it or Easy, one per group, biggest first."""
        layout.addWidget(_heading(title))
        if not tallies:
            return None
        pg = self._charts()
        plot = self._plot(name, None, "Got it or Easy (%)")
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        ys = list(range(len(tallies)))
        widths = [100 * (tally.accuracy or 0.0) for tally in tallies]
        bars = pg.BarGraphItem(
            x0=[0] * len(tallies),
            y=ys,
            width=widths,
            height=0.62,
            brush=_colour(PLAIN_BAR, palette),
            pen=pg.mkPen(None),
        )
        plot.addItem(bars)
        for y, width, tally in zip(ys, widths, tallies, strict=True):
            label = pg.TextItem(
                f"{round(width)}% · {_plural(tally.total, 'review')}", color=text, anchor=(0, 0.5)
            )
            label.setPos(width + 1.5, y)
            plot.addItem(label)
        item = plot.getPlotItem()
        item.invertY(True)
        left = item.getAxis("left")
        metrics = QFontMetrics(left.style.get("tickFont") or self.font())
        left.setWidth(_NAME_WIDTH)
        left.setTicks(
            [
                [
                    (y, metrics.elidedText(t.label, Qt.TextElideMode.ElideMiddle, _NAME_WIDTH - 12))
                    for y, t in zip(ys, tallies, strict=True)
                ],
                [],
            ]
        )
        item.getAxis("bottom").setTicks([[(v, str(v)) for v in range(0, 101, 25)], []])
        item.setXRange(0, 125, padding=0)
        item.setYRange(-0.6, len(tallies) - 0.4, padding=0)
        plot.setFixedHeight(_ROW_HEIGHT * len(tallies) + 64)
        # Names cut short to fit are whole in the tooltip.
        plot.setToolTip(
            plain_tip("\n".join(f"{t.label}: {_plural(t.total, 'review')}" for t in tallies))
        )
        layout.addWidget(plot)
        return bars

    def _make_table(self, stats: StudyStats) -> QTreeWidget:
        table = QTreeWidget()
        table.setObjectName("mostMissed")
        table.setColumnCount(5)
        table.setHeaderLabels(["Case", "Section", "Missed", "Reviews", "Leech"])
        table.setRootIsDecorated(False)
        table.setUniformRowHeights(True)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = table.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # A long section name is cut (whole in its tooltip) rather than squeezing the titles.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(1, _NAME_WIDTH)
        for column in range(2, 5):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for case in missed_rows(stats):
            item = QTreeWidgetItem(
                [
                    case.title,
                    case.section or "—",
                    str(case.misses),
                    str(case.reviews),
                    "leech" if case.leech else "",
                ]
            )
            item.setData(0, Roles.IdRole, int(case.case_id))
            item.setToolTip(0, plain_tip(case.title))
            item.setToolTip(1, plain_tip(case.section or ""))
            for column in (2, 3):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            table.addTopLevelItem(item)
        rows = table.topLevelItemCount()
        if rows:
            row_height = table.sizeHintForRow(0)
            table.setFixedHeight(
                table.header().sizeHint().height() + row_height * min(rows, 12) + 6
            )
        table.itemActivated.connect(self._activated)
        # The view passes Enter on after activating, and the dialog would take it as Close.
        table.installEventFilter(self)
        return table

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        if self._open_case is not None:
            self._open_case(CaseId(int(item.data(0, Roles.IdRole))))

    # pyqtgraph pieces -------------------------------------------------------------------

    def _charts(self) -> ModuleType:
        assert self._pg is not None, "pyqtgraph is imported before the first chart"
        return self._pg

    def _plot(self, name: str, left: str | None, bottom: str | None) -> Any:
        """A still chart in the palette's colours: no zoom, pan, menu or auto-range button."""
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.Text)
        line = palette.color(QPalette.ColorRole.PlaceholderText)
        plot = self._charts().PlotWidget(background=palette.color(QPalette.ColorRole.Base))
        plot.setFrameShape(QScrollArea.Shape.NoFrame)
        item = plot.getPlotItem()
        item.setMouseEnabled(False, False)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.hideAxis("top")
        item.hideAxis("right")
        # Room at the top and right for the labels of the last ticks, which pyqtgraph would
        # otherwise clip or drop ("Nov 30" under the last bar, the top count).
        item.layout.setContentsMargins(2, 10, 24, 2)
        for side, label in (("left", left), ("bottom", bottom)):
            axis = item.getAxis(side)
            axis.setPen(line)
            axis.setTextPen(text)
            axis.setStyle(tickFont=QFont(self.font()), hideOverlappingLabels=False)
            if label:
                axis.setLabel(label, color=text.name())
        plot.setFixedHeight(_CHART_HEIGHT)
        # Wheel over a chart scrolls the page, as over any other part of it.
        plot.viewport().installEventFilter(self)
        self.plots[name] = plot
        return plot

    def _bars(
        self,
        xs: list[int],
        heights: list[int],
        colour: QColor,
        base: list[int] | None = None,
    ) -> Any:
        pg = self._charts()
        return pg.BarGraphItem(
            x=xs,
            height=heights,
            y0=base if base is not None else [0] * len(xs),
            width=0.72,
            brush=colour,
            pen=pg.mkPen(None),
        )

    def _finish_counts(
        self, plot: Any, columns: int, top: int, ticks: list[tuple[int, str]]
    ) -> None:
        """Whole-number ticks up the side, the given labels along the bottom."""
        item = plot.getPlotItem()
        item.getAxis("bottom").setTicks([ticks, []])
        limit, step = count_scale(top)
        item.getAxis("left").setTicks([[(v, f"{v:,}") for v in range(0, limit + 1, step)], []])
        item.setXRange(-0.6, columns - 0.4, padding=0)
        item.setYRange(0, limit, padding=0)

    # Qt overrides -------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        # Switching to dark while the dialog is open: the charts take the new palette.
        # Later, not now: Qt is still handing the change down through the very widgets a
        # redraw would delete (that crashes), and a style sheet sends several in a row.
        if event.type() == QEvent.Type.PaletteChange and self._ready and not self._redraw_due:
            self._redraw_due = True
            QTimer.singleShot(0, self, self._redraw)
        super().changeEvent(event)

    def _redraw(self) -> None:
        self._redraw_due = False
        self._draw()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.missed_table
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            current = self.missed_table.currentItem()
            if current is not None:
                self._activated(current, 0)
            return True
        if event.type() == QEvent.Type.Wheel:
            QApplication.sendEvent(self._scroll.verticalScrollBar(), event)
            return True
        return super().eventFilter(watched, event)


def summary_text(stats: StudyStats) -> str:
    """The line at the top: "1,234 reviews of 210 cases · 12 due now · 3 leeches"."""
    return " · ".join(
        [
            f"{_plural(stats.reviews, 'review')} of {_plural(stats.cases_reviewed, 'case')}",
            f"{stats.due_now:,} due now",
            _plural(len(stats.leeches), "leech", "leeches"),
        ]
    )


def missed_rows(stats: StudyStats) -> list[MissedCase]:
    """The table's rows: the most-missed cases, then any leech not among them."""
    rows = list(stats.most_missed)
    shown = {case.case_id for case in rows}
    rows.extend(case for case in stats.leeches if case.case_id not in shown)
    return rows


def short_date(day: dt.date) -> str:
    """ "Nov 3": a tick under a bar."""
    return f"{day:%b} {day.day}"


def count_scale(top: int) -> tuple[int, int]:
    """The top of a count axis and its tick step: whole numbers, at most six steps, and some
    room above the tallest bar."""
    step = 1
    for factor in _nice_steps():
        step = factor
        if top / factor <= 5:
            break
    limit = step * (top // step + 1)
    return limit, step


def _nice_steps() -> list[int]:
    return [base * 10**power for power in range(7) for base in (1, 2, 5)]


def _count(day: Tally, rating: int) -> int:
    return (day.missed, day.partly, day.got_it, day.easy)[rating - 1]


def _plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def _colour(pair: tuple[str, str], palette: QPalette) -> QColor:
    return QColor(pair[1] if theme.is_dark(palette) else pair[0])


def _plain_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


def _muted(label: QLabel) -> QLabel:
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def _heading(text: str) -> QLabel:
    label = _plain_label(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    label.setContentsMargins(0, 10, 0, 0)
    return label


def _legend(palette: QPalette) -> QWidget:
    """A swatch and a name per rating, above the stacked bars."""
    legend = QWidget()
    row = QHBoxLayout(legend)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(6)
    for name in RATING_NAMES.values():
        swatch = QPixmap(12, 12)
        swatch.fill(_colour(RATING_COLOURS[name], palette))
        mark = QLabel()
        mark.setPixmap(swatch)
        row.addWidget(mark)
        row.addWidget(_plain_label(name))
        row.addSpacing(10)
    row.addStretch(1)
    return legend
