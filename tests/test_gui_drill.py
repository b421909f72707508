"""The drill in a real window over a real library file: nothing on screen gives a case's
answer away before its step (every visible widget's text and the document, for every sample
case and step), Space and the step buttons, typed answers, ratings 1-4 with Undo, the start
dialog's sources, the window's commands while drilling, and the retention preference."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QLabel,
    QLineEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop.model import Case, CaseFilter, CaseId
from desktop.render import DRILL_STEPS
from desktop.sections import case_sections
from desktop.store.library import Library
from desktop.ui.drill import DrillSession
from desktop.ui.drill_start import DrillStartDialog
from desktop.ui.main_window import MainWindow
from desktop.ui.preferences import PreferencesDialog


@pytest.fixture
def window(samples_window: MainWindow) -> MainWindow:
    return samples_window


def key(window: MainWindow, name: str) -> CaseId:
    return window.library.resolve(f"lightbox:{name}")


def words(text: str) -> set[str]:
    return {word.casefold() for word in re.findall(r"[^\W\d_]{5,}", text)}


def on_screen(window: MainWindow) -> str:
    """Every text a reader can see in the window: labels, buttons, fields, documents, the
    visible cells and headers of every visible list, and the window's title."""
    seen = [window.windowTitle()]
    for widget in window.findChildren(QWidget):
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QAbstractButton):
            seen.append(widget.text())
        elif isinstance(widget, QLineEdit):
            seen += [widget.text(), widget.placeholderText()]
        elif isinstance(widget, QTextEdit):
            seen.append(widget.toPlainText())
        elif isinstance(widget, QAbstractItemView) and widget.model() is not None:
            model = widget.model()
            header = getattr(widget, "header", None) or getattr(widget, "horizontalHeader", None)
            hidden = header().isSectionHidden if header is not None else (lambda _c: False)
            for row in range(model.rowCount()):
                for column in range(model.columnCount()):
                    if not hidden(column):
                        seen.append(str(model.index(row, column).data() or ""))
            for column in range(model.columnCount()):
                seen.append(str(model.headerData(column, Qt.Orientation.Horizontal) or ""))
    for action in window.menuBar().actions():
        seen.append(action.text())
    return "\n".join(seen)


def hidden_words(case: Case, revealed: int) -> set[str]:
    """Distinctive words of the title and of every step not yet revealed that appear in no
    revealed step (a findings section may well name the diagnosis: that is the case's own
    text, shown at its step)."""
    shown_kinds = set(DRILL_STEPS[:revealed])
    shown_text, later = [], [case.title]
    for section in case_sections(case):
        if section.kind in shown_kinds:
            shown_text.append(section.text)
        elif section.kind in DRILL_STEPS:
            later.append(section.text)
    patient = f"{case.patient.age or ''} {case.patient.sex or ''}"
    visible = words(" ".join(shown_text)) | words(case.section or "") | words(patient)
    visible |= words("Case Drill Lightbox Chest Abdominal Paediatric imaging radiology")
    return words(" ".join(later)) - visible


def test_nothing_gives_the_answer_away_before_its_step(window: MainWindow) -> None:
    """For each of the 26 sample cases and each step before the last, no word of its title
    or of a later step that its revealed steps do not hold shows anywhere in the window
    (the window's own words, the same for every case, aside)."""
    ids = window.model.ids()
    assert len(ids) == 26
    assert window.start_drill(DrillSession(list(ids), "All cases"))
    drill = window.drill
    screens = []
    for position in range(len(ids)):
        drill.show_position(position)
        screens.append(words(on_screen(window)))
    chrome = set.intersection(*screens)
    assert {"history", "findings", "missed"} <= chrome
    checked = 0
    for position, case_id in enumerate(ids):
        drill.show_position(position)
        case = window.library.get_case(case_id)
        assert case is not None and drill.case == case
        for step in range(1, len(DRILL_STEPS)):
            drill.reveal(step)
            revealed = drill.revealed
            # A case with no figures passes over the figures step.
            skipped = not case.figures and DRILL_STEPS[step - 1] == "figures"
            assert revealed == step + skipped
            if skipped:
                continue
            secret = hidden_words(case, revealed) - chrome
            if revealed == 1:
                assert len(secret) >= 3, case.key  # the test must test something
            seen = words(on_screen(window))
            assert not seen & secret, (case.key, revealed, sorted(seen & secret)[:5])
            assert case.title not in drill.document.toPlainText()
            checked += 1
        drill.reveal(len(DRILL_STEPS))
        text = drill.document.toPlainText()
        assert case.final_diagnosis.split()[0] in text and case.title in text
    assert checked == 26 * 4  # five steps before the last, the figures passed over
    assert not drill.document.requested  # nothing fetched


def test_the_library_panes_are_away_while_drilling(window: MainWindow) -> None:
    window.sidebar.select_filter(CaseFilter())
    first = window.model.ids()[0]
    window.list.select_case(first)
    assert window.detail.isVisible() and window.sidebar.isVisible()
    window.start_drill(DrillSession([first], "All cases"))
    for pane in (window.sidebar, window.list, window.detail, window.notes, window.toolbar):
        assert not pane.isVisible()
    assert window.windowTitle() == "Drill — Lightbox"
    queue = window.drill.queue
    headers = [queue.headerItem().text(c) for c in range(queue.columnCount())]
    assert "Title" not in headers and "Final diagnosis" not in headers
    assert not window.bookmark_action.isEnabled() and not window.trash_action.isEnabled()
    assert window.stats_action.isEnabled()
    window.drill.end()
    assert window.sidebar.isVisible() and window.detail.isVisible() and window.toolbar.isVisible()
    assert window.bookmark_action.isEnabled() and window.trash_action.isEnabled()
    assert (
        window.windowTitle().endswith("— Lightbox") and window.windowTitle() != "Drill — Lightbox"
    )


def test_space_and_the_step_buttons_reveal(window: MainWindow, qtbot: QtBot) -> None:
    case_id = key(window, "paeds-01")
    window.start_drill(DrillSession([case_id], "Test"))
    drill = window.drill
    assert drill.answer.hasFocus() or QApplication.focusWidget() is drill.answer
    assert drill.revealed == 1
    qtbot.keyClick(drill.answer, Qt.Key.Key_Space)  # empty field: Space reveals
    assert drill.revealed == 3  # the findings: the case has no figures to pass through
    drill.answer.setText("x")
    qtbot.keyClick(drill.answer, Qt.Key.Key_Space)  # typing: Space is a space
    assert drill.revealed == 3 and drill.answer.text() == "x "
    qtbot.keyClick(drill.answer, Qt.Key.Key_Escape)
    qtbot.keyClick(drill.document, Qt.Key.Key_Space)
    assert drill.revealed == 4
    assert not drill.rating_buttons[3].isEnabled()
    qtbot.keyClick(drill.document, Qt.Key.Key_3)  # no rating before the diagnosis
    assert window.library.reviews(case_id) == []
    drill.step_buttons[-1].click()  # Diagnosis, directly
    assert drill.revealed == len(DRILL_STEPS)
    assert all(button.isChecked() for button in drill.step_buttons)
    assert all(button.isEnabled() for button in drill.rating_buttons.values())
    assert "min" in drill.rating_buttons[1].text() and " d" in drill.rating_buttons[4].text()


def test_ratings_record_reviews_move_on_and_undo(window: MainWindow, qtbot: QtBot) -> None:
    first, second = key(window, "chest-01"), key(window, "neuro-01")
    window.start_drill(DrillSession([first, second], "Test"))
    drill = window.drill
    drill.reveal(len(DRILL_STEPS))
    qtbot.keyClick(drill.document, Qt.Key.Key_1)
    assert [r.rating for r in window.library.reviews(first)] == [1]
    assert drill.case is not None and drill.case.key == "lightbox:neuro-01"
    assert drill.queue.topLevelItem(0).text(3).endswith("Missed")
    qtbot.keyClick(drill.document, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.library.reviews(first) == []
    assert drill.case.key == "lightbox:chest-01" and drill.queue.topLevelItem(0).text(3) == ""
    drill.reveal(len(DRILL_STEPS))
    drill.rate(4)
    drill.reveal(len(DRILL_STEPS))
    drill.rate(3)
    assert drill.session is not None and drill.session.finished
    assert "2 cases: 1 Got it, 1 Easy" in drill.document.toPlainText()
    assert not drill.again_button.isVisible()
    due = window.library.study_states([first, second])
    assert due[first].due > due[second].due  # easy waits longer than got it
    drill.back_button.click()
    assert not window.drilling


def test_missed_cases_can_be_drilled_again(window: MainWindow) -> None:
    cases = [key(window, name) for name in ("chest-01", "chest-02", "neuro-01")]
    window.start_drill(DrillSession(cases, "Test"))
    drill = window.drill
    for rating in (1, 3, 1):
        drill.reveal(len(DRILL_STEPS))
        drill.rate(rating)
    assert drill.again_button.isVisible()
    drill.again_button.click()
    assert drill.session is not None and drill.session.ids == [cases[0], cases[2]]
    assert drill.session.source.endswith("missed again")


def test_the_start_dialog_offers_each_source(window: MainWindow, qtbot: QtBot) -> None:
    library = window.library
    chest = [key(window, n) for n in ("chest-01", "chest-02")]
    uid, _ = library.make_collection_path("Boards/Chest")
    library.add_to_collection(uid, chest)
    library.tag_cases([chest[0]], ["spot"])
    library.save_search("Neuro", "section:Neuroradiology")
    now = dt.datetime.now(dt.UTC)
    library.rate(chest[1], 1, now - dt.timedelta(hours=1))
    window.sidebar.refresh()
    listed = (window.model.ids(), "All cases")
    dialog = DrillStartDialog(library, listed, CaseFilter("collection", value=uid))
    qtbot.addWidget(dialog)
    assert dialog.collection_radio.isChecked()
    ids, name = dialog.chosen()
    assert (sorted(ids), name) == (sorted(chest), "Boards/Chest")
    dialog.due_radio.setChecked(True)
    assert dialog.chosen() == ([chest[1]], "Due now")
    dialog.tag_radio.setChecked(True)
    assert dialog.chosen() == ([chest[0]], "spot")
    dialog.saved_radio.setChecked(True)
    ids, name = dialog.chosen()
    assert (
        name == "Neuro"
        and ids
        and all(
            "neuro" in (library.get_case(i).section or "").lower()  # type: ignore[union-attr]
            for i in ids
        )
    )
    dialog.list_radio.setChecked(True)
    dialog.length.setValue(5)
    session = dialog.session()
    assert len(session.ids) == 5 and session.ids[0] == chest[1]  # due first
    dialog.order.setCurrentIndex(1)
    shuffled = dialog.session(seed=7)
    assert len(shuffled.ids) == 5 and set(shuffled.ids) <= set(window.model.ids())


def test_drill_due_starts_on_what_is_due(window: MainWindow) -> None:
    assert not window.drill_due()  # nothing due: a word in the status bar
    assert "Nothing is due" in window.statusBar().currentMessage()
    case_id = key(window, "msk-01")
    window.library.rate(case_id, 1, dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    assert window.drill_due()
    assert window.drill.session is not None and window.drill.session.ids == [case_id]


def test_desired_retention_is_a_preference(window: MainWindow, qtbot: QtBot) -> None:
    dialog = PreferencesDialog(window.library, window.operations, window)
    qtbot.addWidget(dialog)
    assert dialog.retention.value() == 90
    dialog.retention.setValue(85)
    dialog.accept()
    assert window.library.desired_retention() == pytest.approx(0.85)


def test_a_typed_answer_is_checked_and_kept_with_the_review(
    window: MainWindow, qtbot: QtBot
) -> None:
    case_id = key(window, "headneck-01")  # Right vestibular schwannoma
    window.start_drill(DrillSession([case_id], "Test"))
    drill = window.drill
    qtbot.keyClicks(drill.answer, "vestibular schwanoma")
    qtbot.keyClick(drill.answer, Qt.Key.Key_Return)
    assert drill.revealed == len(DRILL_STEPS)
    assert drill.verdict.isVisible() and drill.verdict.text().startswith("Correct")
    assert drill.rating_buttons[3].isDefault()
    drill.rate(3)
    (review,) = window.library.reviews(case_id)
    assert (review.answer, review.verdict) == ("vestibular schwanoma", "correct")


def test_a_collection_s_menu_drills_its_cases(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = window.library
    chest = [key(window, n) for n in ("chest-01", "chest-02")]
    uid, _ = library.make_collection_path("Boards/Chest")
    library.add_to_collection(uid, chest)
    window.sidebar.refresh()
    seen: list[CaseFilter | None] = []

    def accept(dialog: DrillStartDialog) -> int:
        seen.append(CaseFilter("collection", value=uid) if dialog.collection_radio.isChecked()
                    else None)  # fmt: skip
        return DrillStartDialog.DialogCode.Accepted

    monkeypatch.setattr(DrillStartDialog, "exec", accept)
    menu = window.organiser.sidebar_menu(CaseFilter("collection", value=uid))
    assert menu is not None
    next(a for a in menu.actions() if a.text() == "Drill These Cases…").trigger()
    assert seen == [CaseFilter("collection", value=uid)]
    assert window.drilling and window.drill.session is not None
    assert sorted(window.drill.session.ids) == sorted(chest)
    assert window.drill.session.source == "Boards/Chest"


def test_statistics_open_follow_ratings_and_close_cleanly(window: MainWindow) -> None:
    case_id = key(window, "chest-01")
    window.show_statistics()
    dialog = window._stats_dialog
    assert dialog is not None and dialog.stats.reviews == 0
    window.operations.run(lambda: window.library.rate(case_id, 3, dt.datetime.now(dt.UTC))[2])
    assert dialog.stats.reviews == 1  # followed the rating
    dialog.close()
    QApplication.sendPostedEvents(None, 0)  # the deferred delete
    QApplication.processEvents()
    assert window._stats_dialog is None
    window.operations.run(lambda: window.library.rate(case_id, 1, dt.datetime.now(dt.UTC))[2])
    window.show_statistics()
    reopened = window._stats_dialog
    assert reopened is not None and reopened is not dialog and reopened.stats.reviews == 2
    reopened.close()


def test_ctrl_z_in_the_empty_answer_takes_the_rating_back(window: MainWindow, qtbot: QtBot) -> None:
    first, second = key(window, "chest-01"), key(window, "neuro-01")
    window.start_drill(DrillSession([first, second], "Test"))
    drill = window.drill
    drill.reveal(len(DRILL_STEPS))
    drill.rate(3)
    assert QApplication.focusWidget() is drill.answer  # the next case's answer
    qtbot.keyClick(drill.answer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.library.reviews(first) == []
    assert drill.case is not None and drill.case.key == "lightbox:chest-01"
    drill.answer.setText("typed")  # with typing to undo, Ctrl+Z undoes the typing
    qtbot.keyClick(drill.answer, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert drill.case.key == "lightbox:chest-01"


def test_slash_never_opens_the_search_while_drilling(window: MainWindow, qtbot: QtBot) -> None:
    case_id = key(window, "cardio-01")
    window.start_drill(DrillSession([case_id], "Test"))
    window.drill.document.setFocus()
    qtbot.keyClick(window.drill.document, Qt.Key.Key_Slash)
    assert not window.search.hasFocus() and window.windowTitle() == "Drill — Lightbox"
    window.drill.end()
    qtbot.keyClick(window.list, Qt.Key.Key_Slash)
    assert window.search.hasFocus()


def test_statistics_hide_titles_while_drilling(window: MainWindow) -> None:
    case_id = key(window, "chest-01")
    window.library.rate(case_id, 1, dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    title = window.library.get_case(case_id).title  # type: ignore[union-attr]
    window.show_statistics()
    dialog = window._stats_dialog
    assert dialog is not None and dialog.stats.most_missed[0].title == title
    window.start_drill(DrillSession([case_id], "Due now"))
    assert all(title not in m.title for m in dialog.stats.most_missed)
    texts = [w.text() for w in dialog.findChildren(QLabel)]
    assert not any(title in text for text in texts)
    window.drill.end()
    assert dialog.stats.most_missed[0].title == title
    dialog.close()


def test_a_case_deleted_meanwhile_is_passed_by(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    bugs: list[str] = []
    monkeypatch.setattr(window.operations, "report", lambda *a, **_k: bugs.append(str(a)))
    first, second = key(window, "chest-01"), key(window, "neuro-01")
    window.start_drill(DrillSession([first, second], "Test"))
    with Library.open(window.library.path) as other:  # another program deletes it
        other.trash(first)
        other.empty_trash()
    drill = window.drill
    drill.reveal(len(DRILL_STEPS))
    drill.rate(3)
    assert bugs == []
    assert drill.case is not None and drill.case.key == "lightbox:neuro-01"
    assert drill.queue.topLevelItem(0).text(3) == "deleted"
    drill.reveal(len(DRILL_STEPS))
    drill.rate(4)
    assert drill.session is not None and drill.session.finished
    assert "1 Easy, 1 deleted meanwhile" in drill.document.toPlainText()


def test_an_answer_typed_then_revealed_is_checked_and_kept(window: MainWindow) -> None:
    case_id = key(window, "headneck-01")
    window.start_drill(DrillSession([case_id], "Test"))
    drill = window.drill
    drill.answer.setText("acoustic neuroma")
    drill.step_buttons[-1].click()  # the diagnosis, directly, without Enter
    assert drill.verdict.text().startswith("Correct")
    drill.rate(3)
    (review,) = window.library.reviews(case_id)
    assert (review.answer, review.verdict) == ("acoustic neuroma", "correct")


def test_the_trash_is_not_drilled(window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    window.library.trash(key(window, "chest-01"))
    window.sidebar.refresh()
    window.sidebar.select_filter(CaseFilter("trash"))
    assert window.model.ids()
    seen: list[bool] = []

    def look(dialog: DrillStartDialog) -> int:
        seen.append(dialog.list_radio.isEnabled())
        return DrillStartDialog.DialogCode.Rejected

    monkeypatch.setattr(DrillStartDialog, "exec", look)
    assert not window.choose_drill()
    assert seen == [False]


def test_ok_in_preferences_keeps_a_finer_retention(window: MainWindow, qtbot: QtBot) -> None:
    window.library.set_desired_retention(0.875)
    dialog = PreferencesDialog(window.library, window.operations, window)
    qtbot.addWidget(dialog)
    dialog.accept()
    assert window.library.desired_retention() == pytest.approx(0.875)
