"""The drill statistics view: its summary, the numbers behind each chart, the empty state,
opening a missed case, redrawing, and start-up never loading the plotting library."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from desktop.model import CaseId, MissedCase, StudyStats, Tally
from desktop.ui import theme
from desktop.ui.app import application
from desktop.ui.roles import Roles
from tests.conftest import ROOT

TODAY = dt.date(2026, 11, 30)

SECTIONS = [
    "Neuroradiology",
    "Chest imaging",
    "Abdominal imaging",
    "Musculoskeletal system",
    "Paediatric radiology",
    "Cardiovascular, interventional and hybrid imaging with a very long section name",
]


def make_stats(*, leeches: bool = True) -> StudyStats:
    """Realistic figures: 30 days with quiet and busy days, six sections, three collections,
    a fortnight's forecast and five most-missed cases, two of them leeches."""
    days = []
    for back in range(29, -1, -1):
        day = TODAY - dt.timedelta(days=back)
        seed = (back * 7) % 11
        quiet = back % 6 == 3
        days.append(
            Tally(
                day.isoformat(),
                missed=0 if quiet else seed % 4,
                partly=0 if quiet else (seed + 1) % 3,
                got_it=0 if quiet else 3 + seed,
                easy=0 if quiet else seed // 2,
            )
        )
    by_section = tuple(
        Tally(name, missed=2 + i, partly=i % 3, got_it=30 - 4 * i, easy=8 - i)
        for i, name in enumerate(SECTIONS)
    )
    by_collection = (
        Tally("Boards/FRCR 2B/Neuro", missed=4, partly=2, got_it=20, easy=6),
        Tally("On call/Trauma", missed=6, partly=3, got_it=9, easy=1),
        Tally("Teaching file", missed=1, partly=0, got_it=5, easy=4),
    )
    forecast = tuple(
        (TODAY + dt.timedelta(days=i), count)
        for i, count in enumerate([12, 4, 7, 0, 3, 9, 5, 2, 0, 6, 1, 8, 3, 4])
    )
    most_missed = (
        MissedCase(CaseId(41), "Colloid cyst of the third ventricle", SECTIONS[0], 6, 9, True),
        MissedCase(CaseId(7), "Pulmonary sequestration", SECTIONS[1], 5, 8, True),
        MissedCase(CaseId(12), "Osteoid osteoma <b>of the femur</b>", SECTIONS[3], 3, 7, False),
        MissedCase(CaseId(3), "Intussusception", None, 2, 4, False),
        MissedCase(CaseId(99), "Aortic coarctation", SECTIONS[5], 1, 3, False),
    )
    reviews = sum(day.total for day in days)
    return StudyStats(
        days=tuple(days),
        by_section=by_section,
        by_collection=by_collection,
        forecast=forecast,
        most_missed=most_missed,
        leeches=most_missed[:2] if leeches else (),
        reviews=reviews,
        cases_reviewed=210,
        due_now=12,
    )


def empty_stats() -> StudyStats:
    return StudyStats(
        days=tuple(
            Tally((TODAY - dt.timedelta(days=back)).isoformat()) for back in range(29, -1, -1)
        ),
        by_section=(),
        by_collection=(),
        forecast=tuple((TODAY + dt.timedelta(days=i), 0) for i in range(14)),
        most_missed=(),
        leeches=(),
        reviews=0,
        cases_reviewed=0,
        due_now=0,
    )


def open_dialog(qtbot: QtBot, stats: StudyStats, **kwargs):  # type: ignore[no-untyped-def]
    application("light")
    from desktop.ui.stats import StatsDialog

    dialog = StatsDialog(stats, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def heights(bars) -> list[float]:  # type: ignore[no-untyped-def]
    return [float(value) for value in bars.opts["height"]]


def test_summary_line(qtbot: QtBot) -> None:
    stats = make_stats()
    dialog = open_dialog(qtbot, stats)
    assert dialog.summary.text() == (
        f"{stats.reviews:,} reviews of 210 cases · 12 due now · 2 leeches"
    )
    assert dialog.summary.textFormat() == Qt.TextFormat.PlainText
    assert dialog.empty_message.isHidden()


def test_summary_counts_in_thousands_and_singulars() -> None:
    from desktop.ui.stats import summary_text

    stats = make_stats()
    big = StudyStats(**{**_fields(stats), "reviews": 1234, "cases_reviewed": 1, "due_now": 0})
    assert summary_text(big) == "1,234 reviews of 1 case · 0 due now · 2 leeches"
    one = StudyStats(**{**_fields(stats), "reviews": 1, "leeches": stats.leeches[:1]})
    assert summary_text(one) == "1 review of 210 cases · 12 due now · 1 leech"


def test_the_day_chart_stacks_the_ratings(qtbot: QtBot) -> None:
    stats = make_stats()
    dialog = open_dialog(qtbot, stats)
    bars = dialog.day_bars
    assert list(bars) == ["Missed", "Partly", "Got it", "Easy"]
    assert heights(bars["Missed"]) == [day.missed for day in stats.days]
    assert heights(bars["Easy"]) == [day.easy for day in stats.days]
    # Each rating sits on the ones before it; the top of the stack is the day's total.
    tops = [
        float(base) + float(height)
        for base, height in zip(bars["Easy"].opts["y0"], bars["Easy"].opts["height"], strict=True)
    ]
    assert tops == [day.total for day in stats.days]
    assert [float(v) for v in bars["Got it"].opts["y0"]] == [
        day.missed + day.partly for day in stats.days
    ]
    # Dates every five days, ending today, "Nov 30" style.
    ticks = dialog.plots["days"].getPlotItem().getAxis("bottom")._tickLevels[0]
    assert ticks[-1] == (29, "Nov 30")
    assert [index for index, _label in ticks] == [4, 9, 14, 19, 24, 29]
    assert ticks[0][1] == "Nov 5"


def test_the_forecast_bars_are_the_counts_and_start_today(qtbot: QtBot) -> None:
    stats = make_stats()
    dialog = open_dialog(qtbot, stats)
    assert heights(dialog.forecast_bars) == [count for _day, count in stats.forecast]
    ticks = dialog.plots["forecast"].getPlotItem().getAxis("bottom")._tickLevels[0]
    assert ticks[0] == (0, "Today")
    assert ticks[1] == (1, "Dec 1")
    assert len(ticks) == 14
    # Whole-number steps up the side, above the tallest bar.
    left = dialog.plots["forecast"].getPlotItem().getAxis("left")._tickLevels[0]
    assert all(label == f"{value:,}" for value, label in left)
    assert left[-1][0] > 12


def test_accuracy_by_section_and_by_collection(qtbot: QtBot) -> None:
    stats = make_stats()
    dialog = open_dialog(qtbot, stats)
    sections = [float(w) for w in dialog.section_bars.opts["width"]]
    assert sections == pytest.approx([100 * t.accuracy for t in stats.by_section])
    collections = [float(w) for w in dialog.collection_bars.opts["width"]]
    assert collections == pytest.approx([100 * t.accuracy for t in stats.by_collection])
    assert dialog.collection_empty.isHidden()
    # Each bar carries its name (cut in the middle when long) and how many reviews it holds.
    names = dialog.plots["sections"].getPlotItem().getAxis("left")._tickLevels[0]
    assert [label for _y, label in names][:5] == SECTIONS[:5]
    long_name = names[5][1]
    assert "…" in long_name
    assert long_name.startswith("Cardio")
    assert long_name.endswith("name")
    texts = [
        item.toPlainText()
        for item in dialog.plots["sections"].getPlotItem().items
        if hasattr(item, "toPlainText")
    ]
    first = stats.by_section[0]
    assert f"{round(100 * first.accuracy)}% · {first.total} reviews" in texts
    assert SECTIONS[5] in dialog.plots["sections"].toolTip()


def test_no_collection_shows_a_muted_line(qtbot: QtBot) -> None:
    stats = StudyStats(**{**_fields(make_stats()), "by_collection": ()})
    dialog = open_dialog(qtbot, stats)
    dialog.show()
    assert dialog.collection_bars is None
    assert "collections" not in dialog.plots
    assert dialog.collection_empty.isVisible()
    assert dialog.collection_empty.text() == "No collection reviewed yet"


def test_empty_statistics_show_a_message_not_axes(qtbot: QtBot) -> None:
    dialog = open_dialog(qtbot, empty_stats())
    dialog.show()
    assert dialog.empty_message.isVisible()
    assert dialog.empty_message.text() == "No reviews yet — start a drill from the Drill menu."
    assert dialog.plots == {}
    assert dialog.summary.isHidden()


def test_the_table_lists_most_missed_then_leeches(qtbot: QtBot) -> None:
    stats = make_stats()
    extra = MissedCase(CaseId(500), "Old leech", "Chest imaging", 4, 20, True)
    stats = StudyStats(**{**_fields(stats), "leeches": (*stats.leeches, extra)})
    dialog = open_dialog(qtbot, stats)
    table = dialog.missed_table
    rows = [
        [table.topLevelItem(row).text(column) for column in range(5)]
        for row in range(table.topLevelItemCount())
    ]
    assert rows[0] == ["Colloid cyst of the third ventricle", SECTIONS[0], "6", "9", "leech"]
    assert rows[2][0] == "Osteoid osteoma <b>of the femur</b>"  # shown as written
    assert rows[3][1] == "—"
    assert rows[4][4] == ""
    assert rows[5] == ["Old leech", "Chest imaging", "4", "20", "leech"]
    ids = [table.topLevelItem(row).data(0, Roles.IdRole) for row in range(len(rows))]
    assert ids == [41, 7, 12, 3, 99, 500]


def test_activating_a_row_opens_its_case(qtbot: QtBot) -> None:
    opened: list[CaseId] = []
    dialog = open_dialog(qtbot, make_stats(), open_case=opened.append)
    dialog.show()
    qtbot.waitExposed(dialog)
    table = dialog.missed_table
    table.setFocus()
    table.setCurrentItem(table.topLevelItem(2))
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert opened == [CaseId(12)]
    assert dialog.isVisible()  # Enter opened the case; it did not close the statistics
    dialog._scroll.ensureWidgetVisible(table)
    rect = table.visualItemRect(table.topLevelItem(1))
    # QTest's double click alone lacks the press a real one starts with.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened == [CaseId(12), CaseId(7)]


def test_activating_without_open_case_does_nothing(qtbot: QtBot) -> None:
    dialog = open_dialog(qtbot, make_stats())
    table = dialog.missed_table
    table.itemActivated.emit(table.topLevelItem(0), 0)


def test_set_stats_redraws(qtbot: QtBot) -> None:
    dialog = open_dialog(qtbot, empty_stats())
    dialog.show()
    assert dialog.empty_message.isVisible()
    stats = make_stats()
    dialog.set_stats(stats)
    assert dialog.empty_message.isHidden()
    assert heights(dialog.forecast_bars) == [count for _day, count in stats.forecast]
    fewer = StudyStats(
        **{
            **_fields(stats),
            "forecast": tuple((day, 1) for day, _count in stats.forecast),
            "reviews": 5,
            "leeches": (),
        }
    )
    dialog.set_stats(fewer)
    assert heights(dialog.forecast_bars) == [1.0] * 14
    assert dialog.summary.text() == "5 reviews of 210 cases · 12 due now · 0 leeches"
    assert dialog.missed_table.topLevelItemCount() == 5
    assert dialog.stats is fewer


def test_charts_are_still_and_take_the_palette(qtbot: QtBot) -> None:
    dialog = open_dialog(qtbot, make_stats())
    for plot in dialog.plots.values():
        item = plot.getPlotItem()
        assert item.getViewBox().state["mouseEnabled"] == [False, False]
        assert not item.getViewBox().menuEnabled()
        assert item.buttonsHidden
    base = dialog.palette().color(dialog.palette().ColorRole.Base)
    assert dialog.plots["days"].backgroundBrush().color() == base


def test_the_wheel_over_a_chart_scrolls_the_page(qtbot: QtBot) -> None:
    dialog = open_dialog(qtbot, make_stats())
    dialog.show()
    qtbot.waitExposed(dialog)
    bar = dialog._scroll.verticalScrollBar()
    assert bar.value() == 0
    viewport = dialog.plots["days"].viewport()
    centre = QPointF(viewport.rect().center())
    wheel = QWheelEvent(
        centre,
        QPointF(viewport.mapToGlobal(centre.toPoint())),
        QPoint(),
        QPoint(0, -120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(viewport, wheel)
    assert bar.value() > 0
    plot = dialog.plots["days"].getPlotItem()
    assert plot.viewRange()[1] == pytest.approx([0, 25])  # the chart did not zoom


def test_charts_follow_a_switch_to_dark(qtbot: QtBot) -> None:
    dialog = open_dialog(qtbot, make_stats())
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    try:
        theme.apply_theme(app, "dark")
        qtbot.waitUntil(lambda: theme.is_dark(dialog.palette()))
        qtbot.waitUntil(lambda: dialog.plots["days"].backgroundBrush().color().lightness() < 128)
    finally:
        theme.apply_theme(app, "light")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(qtbot: QtBot, scheme: theme.Scheme) -> None:
    """Saved for a person to look at: /tmp/stats-light.png and /tmp/stats-dark.png."""
    app = application(scheme)
    try:
        from desktop.ui.stats import StatsDialog

        dialog = StatsDialog(make_stats())
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        target = Path(f"/tmp/stats-{scheme}.png")
        assert dialog.grab().save(str(target))
        page = dialog._scroll.widget()
        page.resize(page.sizeHint().expandedTo(page.size()))
        assert page.grab().save(str(target.with_name(f"stats-{scheme}-page.png")))
    finally:
        theme.apply_theme(app, "light")


def test_screenshot_of_the_empty_view(qtbot: QtBot) -> None:
    dialog = open_dialog(qtbot, empty_stats())
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save("/tmp/stats-empty.png")


def test_start_up_loads_no_plotting_library() -> None:
    """The window module (and what it imports) leaves pyqtgraph and numpy unloaded; the
    statistics module itself loads them only when a dialog is built."""
    code = (
        "import sys\n"
        "import desktop.ui.main_window\n"
        "import desktop.ui.stats\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('pyqtgraph', 'numpy')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def _fields(stats: StudyStats) -> dict[str, object]:
    return {name: getattr(stats, name) for name in StudyStats.__slots__}
