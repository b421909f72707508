"""Every key Help > Keyboard Shortcuts lists does what it says, from every pane where it
makes sense: walked from the window's own table, so a new shortcut is walked too."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QWidget
from pytestqt.qtbot import QtBot

from desktop.model import CaseFilter, CaseId
from desktop.ui.dialogs import ShortcutsDialog
from desktop.ui.main_window import MainWindow

#: Where a reader's keyboard focus can be when a key is pressed.
PANES: dict[str, Callable[[MainWindow], QWidget]] = {
    "list": lambda w: w.list,
    "case": lambda w: w.detail.view,
    "sidebar": lambda w: w.sidebar,
    "note preview": lambda w: w.notes.preview,
    "notes editor": lambda w: w.notes.editor,
    "search box": lambda w: w.search,
}
#: Panes where keys mean typing: a key a text field uses stays the field's.
TEXT_FIELDS = {"notes editor", "search box"}
#: Keys a text field keeps for itself even with Ctrl (it edits or moves with them).
EDITING_KEYS = [
    QKeySequence.StandardKey.Undo,
    QKeySequence.StandardKey.Redo,
    QKeySequence.StandardKey.Copy,
    QKeySequence.StandardKey.Cut,
    QKeySequence.StandardKey.Paste,
    QKeySequence.StandardKey.SelectAll,
    QKeySequence.StandardKey.Delete,
]


def means_typing(keys: QKeySequence) -> bool:
    """Whether a text field takes `keys` as typing or editing."""
    combo = keys[0]
    modifiers = combo.keyboardModifiers() & ~Qt.KeyboardModifier.KeypadModifier
    if modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
        return True
    return any(
        keys.matches(QKeySequence(standard)) == QKeySequence.SequenceMatch.ExactMatch
        for standard in EDITING_KEYS
    )


def press(widget: QWidget, keys: QKeySequence) -> None:
    combo = keys[0]
    QTest.keyClick(widget, combo.key(), combo.keyboardModifiers())


def focus(qtbot: QtBot, window: MainWindow, pane: str) -> QWidget:
    widget = PANES[pane](window)
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    return widget


def select(window: MainWindow, key: str) -> CaseId:
    case_id = window.library.resolve(key)
    assert window.list.select_case(case_id)
    return case_id


def test_every_listed_action_key_reaches_its_action_from_every_pane(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    """Each action's every key, from each pane, triggers that action once: never dead,
    never taken by the widget with the focus, never claimed by two actions at once. The
    actions' slots are swapped for a counter (many open dialogs)."""
    window = samples_window
    select(window, "lightbox:gyn-01")
    actions = window.shortcut_actions()
    listed = dict(window.shortcut_table())
    presses: dict[int, int] = {}

    def counter(action: QAction) -> Callable[[], None]:
        return lambda: presses.__setitem__(id(action), presses.get(id(action), 0) + 1)

    for _title, action in actions:
        action.triggered.disconnect()
        action.triggered.connect(counter(action))
    failures = []
    walked: set[int] = set()
    for title, action in actions:
        for keys in action.shortcuts():
            shown = keys.toString(QKeySequence.SequenceFormat.NativeText)
            assert any(shown in row for row in listed), f"{shown} is not in the table"
            for pane in PANES:
                if pane in TEXT_FIELDS and means_typing(keys):
                    continue
                widget = focus(qtbot, window, pane)
                action.setEnabled(True)  # the keys' routing is walked, whatever the state
                presses.clear()
                press(widget, keys)
                walked.add(id(action))
                if presses != {id(action): 1}:
                    what = action.text().replace("&", "")
                    failures.append(f"{shown} ({title} > {what}) in the {pane}: {presses}")
    assert not failures, "\n".join(failures)
    assert walked == {id(action) for _, action in actions}
    assert len(actions) >= 20


def test_the_menu_keys_do_what_they_say_from_each_pane(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    """The keys whose effect can be seen without a dialog, pressed for real from the list,
    the case, the sidebar and the note preview (and, with Ctrl, the notes editor)."""
    window = samples_window
    library = window.library
    for pane in ("list", "case", "sidebar", "note preview", "notes editor"):
        case_id = select(window, "lightbox:gyn-01")
        widget = focus(qtbot, window, pane)
        press(widget, QKeySequence("Ctrl+D"))
        assert library.is_bookmarked(case_id), pane
        press(focus(qtbot, window, pane), QKeySequence("Ctrl+D"))
        assert not library.is_bookmarked(case_id), pane
        for keys, change in (("Ctrl+=", 1), ("Ctrl++", 1), ("Ctrl+-", -1)):
            zoom = window.detail.zoom
            press(focus(qtbot, window, pane), QKeySequence(keys))
            assert window.detail.zoom == zoom + change, (pane, keys)
        press(focus(qtbot, window, pane), QKeySequence("Ctrl+0"))
        assert window.detail.zoom == 0, pane
        press(focus(qtbot, window, pane), QKeySequence("Ctrl+L"))
        assert window.search.hasFocus(), pane
        press(focus(qtbot, window, pane), QKeySequence("Ctrl+2"))
        assert window.notes.editor.hasFocus(), pane
        press(focus(qtbot, window, pane), QKeySequence("Ctrl+1"))
        assert window.list.hasFocus(), pane
        press(focus(qtbot, window, pane), QKeySequence("Ctrl+F"))
        assert window.detail.find_bar.isVisible(), pane
        assert window.detail.find_bar.field.hasFocus(), pane
        window.detail.find_bar.close_bar()
        if pane in TEXT_FIELDS:
            continue  # Delete and Ctrl+Z edit the text there
        press(focus(qtbot, window, pane), QKeySequence("Delete"))
        assert library.trashed_at(case_id) is not None, pane
        # Undo from where the reader is (the list moved on to another case).
        press(focus(qtbot, window, pane), QKeySequence(QKeySequence.StandardKey.Undo))
        assert library.trashed_at(case_id) is None, pane


def test_the_case_list_keys_from_the_table(qtbot: QtBot, samples_window: MainWindow) -> None:
    """The Case List group's keys, each checked by what it does."""
    window = samples_window
    rows = dict(dict(window.shortcut_groups())["Case List"])
    view = window.list

    def current() -> int:
        return view.currentIndex().row()

    def walk_up_down() -> None:
        for down, up in ((Qt.Key.Key_Down, Qt.Key.Key_Up), (Qt.Key.Key_J, Qt.Key.Key_K)):
            view.select_row(3)
            focus(qtbot, window, "list")
            QTest.keyClick(view, down)
            assert current() == 4
            QTest.keyClick(view, up)
            assert current() == 3

    def home_end() -> None:
        view.select_row(3)
        QTest.keyClick(focus(qtbot, window, "list"), Qt.Key.Key_End)
        assert current() == window.model.rowCount() - 1
        QTest.keyClick(view, Qt.Key.Key_Home)
        assert current() == 0

    def slash() -> None:
        for pane in ("list", "case", "sidebar", "note preview"):
            QTest.keyClick(focus(qtbot, window, pane), Qt.Key.Key_Slash)
            assert window.search.hasFocus(), pane
            assert window.search.text() == ""
        QTest.keyClicks(focus(qtbot, window, "notes editor"), "/")
        assert window.notes.editor.hasFocus()  # typing: a slash in the note

    def escape_closes_find_else_clears() -> None:
        QTest.keyClicks(focus(qtbot, window, "search box"), "fracture")
        assert window.search.text() == "fracture"
        window.detail.find_bar.open_bar()
        QTest.keyClick(focus(qtbot, window, "list"), Qt.Key.Key_Escape)
        assert window.detail.find_bar.isHidden()
        assert window.search.text() == "fracture"  # the find bar went first
        QTest.keyClick(focus(qtbot, window, "search box"), Qt.Key.Key_Escape)
        assert window.search.text() == ""

    checks = {
        "Up / Down, J / K": walk_up_down,
        "Home / End": home_end,
        "/": slash,
        "Esc": escape_closes_find_else_clears,
    }
    select(window, "lightbox:gyn-01")
    assert set(rows) <= set(checks), f"no check for {set(rows) - set(checks)}"
    for keys in rows:
        checks[keys]()


def test_the_reading_keys_from_the_table(qtbot: QtBot, samples_window: MainWindow) -> None:
    """Find's Enter / Shift+Enter move between matches; a digit highlights a selection."""
    window = samples_window
    rows = dict(dict(window.shortcut_groups())["Reading a Case"])
    case_id = select(window, "lightbox:gyn-01")
    view = window.detail.view
    # Find: a word the case has more than once.
    text = view.toPlainText().lower()
    word = next(w for w in ("the", "and", "of", "with") if text.count(w) > 2)
    press(focus(qtbot, window, "case"), QKeySequence("Ctrl+F"))
    field = window.detail.find_bar.field
    QTest.keyClicks(field, word)
    first = view.textCursor().selectionStart()
    QTest.keyClick(field, Qt.Key.Key_Return)
    second = view.textCursor().selectionStart()
    assert second > first
    QTest.keyClick(field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert view.textCursor().selectionStart() == first
    window.detail.find_bar.close_bar()
    # A digit with text selected in the case highlights it in that colour.
    cursor = view.textCursor()
    cursor.setPosition(first)
    cursor.setPosition(first + len(word), cursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    QTest.keyClick(focus(qtbot, window, "case"), Qt.Key.Key_1)
    made = window.library.highlights(case_id)
    assert [h.quote.lower() for h in made] == [word]
    # Figures open on click or Enter (tests/test_gui_figures_pane.py walks that key).
    assert set(rows) == {
        "Enter / Shift+Enter (find)",
        "1 – 8 (text selected)",
        "Click or Enter on a figure",
    }


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768), (1440, 900)])
def test_f1_shows_every_shortcut_without_scrolling(
    qtbot: QtBot, samples_window: MainWindow, size: tuple[int, int]
) -> None:
    window = samples_window
    screen = QRect(0, 0, *size)
    dialog = ShortcutsDialog(window.shortcut_groups(), window, available=screen)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height() - 40
    assert dialog.scroll_area.verticalScrollBar().maximum() == 0  # nothing to scroll to
    viewport = dialog.scroll_area.viewport()

    def whole_in_view(label: QLabel) -> bool:
        # The text's own extent: a label in a stretched column is wider than its text.
        extent = QSize(min(label.width(), label.sizeHint().width()), label.height())
        return viewport.rect().contains(QRect(label.mapTo(viewport, QPoint(0, 0)), extent))

    shown = {
        label.text()
        for label in dialog.scroll_area.widget().findChildren(QLabel)
        if label.isVisible() and whole_in_view(label)
    }
    assert dialog.rows() == [row for _, rows in window.shortcut_groups() for row in rows]
    for keys, what in dialog.rows():
        assert keys in shown and what in shown, (keys, what)
    assert len(dialog.rows()) == len(window.shortcut_table())


def test_on_a_small_screen_f1_stays_on_it_and_scrolls(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    screen = QRect(0, 0, 800, 600)
    dialog = ShortcutsDialog(samples_window.shortcut_groups(), samples_window, available=screen)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() <= screen.width() and dialog.height() <= screen.height()
    assert dialog.scroll_area.verticalScrollBar().maximum() > 0


def test_the_table_is_read_from_the_menus(samples_window: MainWindow) -> None:
    """A command added to a menu with a key is listed under that menu, with no list to edit."""
    window = samples_window
    view_menu = next(
        a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View"
    )
    added = QAction("&Something New…", window)
    added.setShortcut(QKeySequence("Ctrl+Shift+Y"))
    view_menu.addAction(added)
    groups = dict(window.shortcut_groups())
    assert groups["View"][-1] == ("Ctrl+Shift+Y", "Something New")
    assert ("View", added) in window.shortcut_actions()
    titles = [title for title, _ in window.shortcut_groups()]
    assert titles[:6] == ["File", "Edit", "Organise", "Drill", "View", "Help"]
    assert titles[-1] == "Figure Viewer"


def test_keys_that_move_the_list_leave_one_case_selected(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    """Run from Ctrl+Z or Ctrl+Shift+R, the list's new current case is the one selection
    (the held modifiers once added it to the old one, so Ctrl+D marked both)."""
    window = samples_window
    first = select(window, "lightbox:gyn-01")
    second = select(window, "lightbox:chest-01")
    for case_id in (first, second):
        select(window, "lightbox:gyn-01" if case_id == first else "lightbox:chest-01")
        press(focus(qtbot, window, "list"), QKeySequence("Delete"))
    press(focus(qtbot, window, "list"), QKeySequence(QKeySequence.StandardKey.Undo))
    assert window.library.trashed_at(second) is None
    assert window.list.selected_cases() == [second]
    window.sidebar.select_filter(CaseFilter("trash"))
    assert window.list.select_case(first)
    press(focus(qtbot, window, "list"), QKeySequence("Ctrl+Shift+R"))
    assert window.library.trashed_at(first) is None
    assert len(window.list.selected_cases()) <= 1
