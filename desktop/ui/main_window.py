"""The main window: assembles the sidebar, case list, detail pane and notes panel over one
library, with the menus, actions and toolbar that drive them."""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

import desktop
from desktop.model import Case, CaseFilter, CaseId, StudyStats
from desktop.store import Changes, Hit, Library
from desktop.ui import theme
from desktop.ui.backups import BackupActions
from desktop.ui.case_actions import CaseActions
from desktop.ui.case_list import MARKS, TITLE, CaseListView, CaseTableModel, may_move_rows
from desktop.ui.case_view import DetailPane
from desktop.ui.change_bus import ChangeBus
from desktop.ui.delegates import MarksDelegate, TitleDelegate
from desktop.ui.dialogs import ShortcutsDialog
from desktop.ui.drill import DrillSession, DrillView
from desktop.ui.exporting import ExportWorker, NotesExport
from desktop.ui.figure_opening import FigureOpener
from desktop.ui.figure_viewer import keys as figure_viewer_keys
from desktop.ui.highlight_browser import HighlightBrowser
from desktop.ui.highlighting import HighlightController
from desktop.ui.highlights_tab import HighlightLink
from desktop.ui.importing import Imports
from desktop.ui.live import ANOTHER_PROGRAM, LibraryWatcher
from desktop.ui.notes_panel import NotesPanel
from desktop.ui.operations import Operations
from desktop.ui.organising import Organiser
from desktop.ui.preferences import PreferencesDialog
from desktop.ui.reading import ReadingTracker
from desktop.ui.search import SearchBar
from desktop.ui.sidebar import Sidebar
from desktop.ui.startup import StagedStart
from desktop.ui.undo import UndoKeys, UndoStack
from desktop.ui.versions import show_case_versions
from desktop.ui.window_state import (
    apply_default_splits,
    fit_to_screen,
    restore_state,
    save_state,
)
from desktop.ui.workers import ImportWorker

if TYPE_CHECKING:
    from desktop.ui.stats import StatsDialog  # loaded when the statistics first open

#: Keys beyond the menus' own, for Help > Keyboard shortcuts, by where they work (a group
#: named like a menu joins that menu's group).
_PANE_KEYS: dict[str, list[tuple[str, str]]] = {
    "Case List": [
        ("Up / Down, J / K", "Previous / next case"),
        ("Home / End", "First / last case"),
        ("/", "Search (when not typing)"),
        ("Esc", "Close the find bar, else clear the search"),
    ],
    "Reading a Case": [
        ("Click or Enter on a figure", "Open it in the figure viewer"),
        ("Enter / Shift+Enter (find)", "Next / previous match"),
        ("1 – 8 (text selected)", "Highlight in that colour"),
    ],
    "Drill": [
        ("Space", "Reveal the next step"),
        ("Enter (in the answer)", "Check the typed diagnosis"),
        ("1 – 4", "Rate: Missed, Partly, Got it, Easy"),
        ("Ctrl+Z (drilling)", "Take back the last rating"),
    ],
}
#: The name Help > Keyboard Shortcuts gives an action whose menu text changes.
_SHORTCUT_NAME = "shortcut_name"
#: The figure viewer's own keys, a group of their own in the table.
_VIEWER_GROUP = "Figure Viewer"


#: How often the Due entry's count and the list's Due column catch up with the clock.
DUE_TICK_MS = 60_000
#: How long the status bar offers to undo a move to the Trash (Edit > Undo stays after).
UNDO_NOTICE_MS = 15000


class MainWindow(QMainWindow):
    """The reading window.

    Every change it makes to the library runs through `operations`, which announces it on
    `bus`; each pane redraws itself from what changed. A staged start (the app's) paints the
    first screen of the list and the current case first (see `desktop.ui.startup`).

    Attributes:
        library: The library this window shows (its connection lives on the GUI thread).
        operations: Runs every change and reports every failure.
        search_bar, reading, case_actions, imports, backups, startup: The controllers, one
            job each.

    Signals:
        first_frame(): once, when the first frame (with its case) has been painted.
        ready(): once the whole list and the sidebar counts are in.
    """

    first_frame = Signal()
    ready = Signal()

    def __init__(self, library: Library, settings: QSettings, *, staged: bool = False):
        super().__init__()
        self.library = library
        self.settings = settings
        #: False for screenshots and tests that must not change the saved layout.
        self.keep_settings = True
        #: Set when a background check found the library damaged.
        self.damaged = False
        #: True while the background quick check has not yet found the library sound.
        self.check_pending = False
        #: The file that marks the library as open (see desktop.library_setup.check_marker).
        self.check_marker: Path | None = None
        self._closed = False
        self.setWindowTitle("Lightbox")
        self.setWindowIcon(theme.app_icon())
        self.setAcceptDrops(True)
        self.bus = ChangeBus(self)
        self.operations = Operations(self.bus, self, self.statusBar())

        # The panes; each redraws itself from the change bus.
        self.sidebar = Sidebar(self)
        self.model = CaseTableModel(library, self)
        self.list = CaseListView(self.model, self)
        self.list.setItemDelegateForColumn(TITLE, TitleDelegate(self.list))
        self.list.setItemDelegateForColumn(MARKS, MarksDelegate(self.list))
        self.detail = DetailPane(self)
        self.notes = NotesPanel(library, self.operations, self)
        #: Every highlight in the library; shown in the list's place (sidebar "Highlights").
        self.browser = HighlightBrowser(library, self.operations, self)
        self.operations.set_edit_saver(self.notes.flush)
        self.list.subscribe(self.bus)
        self.sidebar.subscribe(library, self.bus)
        self.detail.subscribe(library, self.bus)
        self.notes.subscribe(self.bus)
        self.browser.subscribe(self.bus)

        # The controllers.
        self.search_bar = SearchBar(library, self.list, self.sidebar, self.detail, self)
        self.search = self.search_bar.field
        self.reading = ReadingTracker(library, self.operations, self.list)
        # Scrolling the case, or writing about it, reads it as much as choosing it does.
        self.reading.engage_on(self.detail.view)
        self.reading.engage_on(self.notes.editor)
        #: Edit > Undo: the reader's last undoable change, wherever it was made.
        self.undo_stack = UndoStack(self)
        self.case_actions = CaseActions(
            library, self.operations, self.list, self.sidebar, self.reading, undo=self.undo_stack
        )
        #: Highlights in the detail pane: keys 1-8, the colour bar, the context menu.
        self.highlighting = HighlightController(
            library, self.operations, self.detail, self.undo_stack
        )
        #: Collections, tags and saved searches: the sidebar's menus and drops, the list's.
        self.organiser = Organiser(
            library,
            self.operations,
            self.list,
            self.sidebar,
            search_text=self.search.text,
            case_on_show=lambda: self.detail.case_id,
            parent=self,
        )
        #: A drill, shown in place of the panes while one runs (`start_drill`).
        self.drill = DrillView(library, self.operations, self)
        self.drill.ended.connect(self._drill_ended)
        self.imports = Imports(library, self.operations, self, self.statusBar())
        self.backups = BackupActions(library, self.operations, self)
        #: Notices another program's changes once the window is whole (see desktop.ui.live).
        self.watcher = LibraryWatcher(
            library, self.operations, self, own_work=lambda: self.imports.running
        )
        self.bus.changed.connect(self._library_changed)
        #: Drill > Statistics while open (made on first use: its charts load late).
        self._stats_dialog: StatsDialog | None = None
        self.bus.changed.connect(self._statistics_changed)
        #: How the highlights tab and browser reach the detail pane (one place to change).
        self.highlight_link = HighlightLink(
            library,
            self.operations,
            self.detail,
            self.notes.highlights_tab,
            self._show_case_anywhere,
            highlighting=self.highlighting,
            undo=self.undo_stack,
            parent=self,
        )
        self.browser.set_undo_stack(self.undo_stack)

        self._build_layout()
        self._undo_notice_timer = QTimer(self)
        self._undo_notice_timer.setSingleShot(True)
        self._undo_notice_timer.setInterval(UNDO_NOTICE_MS)
        self._build_actions()
        self._undo_notice_timer.timeout.connect(self.undo_notice.hide)
        #: Time, not a change, makes cases due: the Due count and column follow it.
        self._due_timer = QTimer(self)
        self._due_timer.setInterval(DUE_TICK_MS)
        self._due_timer.timeout.connect(self._due_tick)
        self._due_timer.start()
        self._build_toolbar()
        #: Ctrl+Z from the window's text fields too, when they have nothing to undo.
        self.undo_keys = UndoKeys(self.undo_action, self.undo_stack, self)
        panes = self.splitter.findChildren
        self.undo_keys.watch(
            [self.search, *panes(QLineEdit), *panes(QTextEdit), *panes(QPlainTextEdit)]
        )
        self.list.current_case_changed.connect(self._show_case)
        self.list.bookmark_requested.connect(self.case_actions.set_bookmarks)
        self.list.read_requested.connect(self.case_actions.set_read)
        self.list.all_read_requested.connect(self.case_actions.mark_all_read)
        self.list.restore_requested.connect(self.case_actions.untrash)
        self.list.current_case_changed.connect(self._sync_read_action)
        self.bus.changed.connect(self._reading_changed)
        self.undo_stack.changed.connect(self._undo_changed)
        self.case_actions.done.connect(self._show_done)
        self.sidebar.filter_selected.connect(self._filter_selected)
        self.sidebar.filter_selected.connect(self._show_case_list)
        self.sidebar.highlights_selected.connect(self._show_highlight_browser)
        self.browser.highlight_opened.connect(self.highlight_link.open_highlight)
        self.search.textEdited.connect(self._search_edited)
        #: The figure viewer, opened from a thumbnail or a figure reference in the case.
        self.figures = FigureOpener(library, self)
        self.detail.view.figure_requested.connect(self.open_figure)
        self.drill.set_thumbnails(self.detail.thumbnails)
        self.drill.figure_requested.connect(
            lambda case, index, legends: self.figures.open(case, index, legends=legends)
        )
        self.detail.bookmark_toggled.connect(self.case_actions.set_bookmark)
        self.detail.case_opened.connect(self._show_title)
        self.detail.filing_requested.connect(lambda case_id: self.organiser.edit_tags([case_id]))

        self.startup = StagedStart(
            library, self.list, self.sidebar, self.detail, self._show_case, staged=staged
        )
        self.startup.first_frame.connect(self.first_frame)
        self.startup.ready.connect(self.ready)
        self.startup.ready.connect(self.watcher.start)
        self.model.show_filter(CaseFilter())
        restore_state(self)
        self.startup.begin()

    @property
    def is_ready(self) -> bool:
        """True once the whole list and the counts are in (at once unless staged)."""
        return self.startup.is_ready

    def open_case(self, case_id: CaseId) -> bool:
        """Shows a case, selected in the list; False if the list does not hold it."""
        return self.startup.open_case(case_id)

    def start_import(self, paths: list[Path]) -> ImportWorker | None:
        """Imports off the GUI thread, with progress and Cancel in the status bar."""
        return self.imports.start(paths)

    def export_notes(self, case_ids: list[CaseId] | None = None) -> ExportWorker | None:
        """File > Export Notes… (every case with notes or highlights), or the case list's
        (one case): asks for a folder and exports off the GUI thread; the status bar says
        where the files went."""
        exporter = self.findChild(NotesExport) or NotesExport(self.library, self.operations, self)
        return exporter.choose_and_export(case_ids)

    def start_drill(self, session: DrillSession) -> bool:
        """Shows a drill in place of the panes; False (and a word why) if it holds no case.
        The reader's note is saved first; the window's other commands wait until it ends."""
        if not session.ids:
            self.operations.tell("No cases to drill there.")
            return False
        if not self.notes.leave():
            return False
        if not self.drilling:
            self._enabled_before_drill: dict[QAction, bool] = {
                a: a.isEnabled() for a in self._library_actions()
            }
            for action in self._enabled_before_drill:
                action.setEnabled(False)
            self.search_shortcut.setEnabled(False)
        self.modes.setCurrentWidget(self.drill)
        self.toolbar.hide()  # the search box would list cases by their titles
        self.setWindowTitle("Drill — Lightbox")
        if self._stats_dialog is not None:
            self._stats_dialog.set_stats(self._statistics())
        self.drill.start(session)
        return True

    @property
    def drilling(self) -> bool:
        return self.modes.currentWidget() is self.drill

    def choose_drill(self, chosen: CaseFilter | None = None) -> bool:
        """Drill > Start Drill…: asks which cases (those of `chosen` at first, else of the
        sidebar's entry on show), then drills them."""
        from desktop.ui.drill_start import DrillStartDialog

        # The Trash is not drilled: "the list on show" is empty there.
        in_trash = self.model.case_filter.kind == "trash" and not self.model.searching
        listed = ([] if in_trash else self.model.ids(), self._listed_name())
        chosen = chosen or self.sidebar.current_filter()
        dialog = DrillStartDialog(self.library, listed, chosen, self)
        if dialog.exec() != DrillStartDialog.DialogCode.Accepted:
            return False
        return self.start_drill(dialog.session())

    def drill_due(self) -> bool:
        """Drill > Drill Due Cases: the most overdue first, a drill's length at most."""
        from desktop import study

        due = self.library.due_ids(limit=study.DEFAULT_DRILL_LENGTH)
        if not due:
            self.operations.tell("Nothing is due. Drill > Start Drill… drills any cases.")
            return False
        return self.start_drill(DrillSession(due, "Due now"))

    def show_statistics(self) -> None:
        """Drill > Statistics: the charts, loaded (with their plotting library) on first use."""
        from desktop.ui.stats import StatsDialog

        existing = self._stats_dialog
        if existing is not None:
            existing.set_stats(self._statistics())
            existing.raise_()
            existing.activateWindow()
            return
        dialog = StatsDialog(self._statistics(), self, open_case=self._open_from_stats)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._stats_dialog = dialog
        dialog.destroyed.connect(self._statistics_closed)
        dialog.show()

    def _statistics_changed(self, changes: Changes, _initiator: object) -> None:
        """The statistics on show follow ratings, and cases coming, going or changing."""
        if self._stats_dialog is not None and (
            changes.reviews or changes.whole_library or changes.cases
        ):
            self._stats_dialog.set_stats(self._statistics())

    def _statistics(self) -> StudyStats:
        """The statistics to show: while drilling, the most-missed cases without their
        titles (the cases a drill serves first are the ones missed most)."""
        figures = self.library.study_statistics()
        if not self.drilling:
            return figures
        hidden = "(title hidden while drilling)"
        return dataclasses.replace(
            figures,
            most_missed=tuple(dataclasses.replace(m, title=hidden) for m in figures.most_missed),
            leeches=tuple(dataclasses.replace(m, title=hidden) for m in figures.leeches),
        )

    def _statistics_closed(self) -> None:
        self._stats_dialog = None

    def focus_search(self) -> None:
        self.search_bar.focus()

    def search_hits(self) -> list[Hit]:
        """The hits on show (for tests and the status line)."""
        return self.search_bar.hits()

    def open_figure(self, index: int) -> None:
        """Opens figure `index` (0-based) of the case on show in the figure viewer."""
        case = self.detail.case
        if case is not None:
            self.figures.open(case, index)

    def shortcut_actions(self) -> list[tuple[str, QAction]]:
        """Every action with a shortcut, with the menu it is in ("Window": in none), in
        menu order: what Help > Keyboard Shortcuts lists, and what its keys trigger."""
        found: list[tuple[str, QAction]] = []
        seen: set[int] = set()

        def walk(title: str, menu: QMenu) -> None:
            for action in menu.actions():
                submenu = action.menu()
                if isinstance(submenu, QMenu):
                    walk(title, submenu)
                elif action.shortcuts() and id(action) not in seen:
                    seen.add(id(action))
                    found.append((title, action))

        for top in self.menuBar().actions():
            menu = top.menu()
            if isinstance(menu, QMenu):
                walk(top.text().replace("&", ""), menu)
        found += [("Window", a) for a in self.actions() if a.shortcuts() and id(a) not in seen]
        return found

    def shortcut_groups(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Help > Keyboard Shortcuts' groups: (heading, [(keys, what they do)]), from the
        menus' actions, then the panes' own keys and the figure viewer's."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for title, action in self.shortcut_actions():
            keys = ", ".join(
                s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()
            )
            # An action whose text follows the case (Mark as Read / Unread) names both.
            what = action.property(_SHORTCUT_NAME) or action.text().replace("&", "").rstrip("…")
            groups.setdefault(title, []).append((keys, what))
        for title, rows in _PANE_KEYS.items():
            groups.setdefault(title, []).extend(rows)
        groups[_VIEWER_GROUP] = list(figure_viewer_keys())
        return list(groups.items())

    def shortcut_table(self) -> list[tuple[str, str]]:
        """Every (keys, what they do) of Help > Keyboard Shortcuts, in one list."""
        return [
            (keys, f"{what} (figure viewer)" if title == _VIEWER_GROUP else what)
            for title, rows in self.shortcut_groups()
            for keys, what in rows
        ]

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcut_groups(), self).exec()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Lightbox",
            f"Lightbox {desktop.__version__}\n\nAn offline reader for radiology teaching cases.\n"
            f"Library: {self.library.path}",
        )

    # --- building ----------------------------------------------------------------------------

    def _build_layout(self) -> None:
        # A mail client's classic layout: the list spans the top, the case and its notes
        # side by side below, so every column fits and the case reads at full height.
        self.reading_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.reading_splitter.addWidget(self.detail)
        self.reading_splitter.addWidget(self.notes)
        self.reading_splitter.setStretchFactor(0, 3)
        self.reading_splitter.setStretchFactor(1, 1)
        self.list_splitter = QSplitter(Qt.Orientation.Vertical, self)
        #: The case list, or the highlight browser in its place.
        self.list_stack = QStackedWidget(self)
        self.list_stack.addWidget(self._list_box())
        self.list_stack.addWidget(self.browser)
        self.list_splitter.addWidget(self.list_stack)
        self.list_splitter.addWidget(self.reading_splitter)
        self.list_splitter.setStretchFactor(0, 1)
        self.list_splitter.setStretchFactor(1, 2)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.sidebar)
        self.splitter.addWidget(self.list_splitter)
        self.splitter.setStretchFactor(1, 1)
        for splitter in (self.splitter, self.list_splitter, self.reading_splitter):
            splitter.setChildrenCollapsible(False)
        #: Splitters no saved state sized: sized for the window once it is shown.
        self.unsized_splitters: list[QSplitter] = []
        #: The library's panes, or a drill in their place (nothing of them shows meanwhile).
        self.modes = QStackedWidget(self)
        self.modes.addWidget(self.splitter)
        self.modes.addWidget(self.drill)
        self.setCentralWidget(self.modes)

    def _list_box(self) -> QWidget:
        """The list under a line that says, in the Trash, that it is the Trash."""
        box = QWidget(self)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.trash_header = QLabel(
            "Trash — deleted cases, with your notes and marks. Right-click a case (or press"
            " Ctrl+Shift+R) to restore it; File > Empty Trash deletes them for good.",
            box,
        )
        self.trash_header.setObjectName("trashHeader")
        self.trash_header.setTextFormat(Qt.TextFormat.PlainText)
        self.trash_header.setWordWrap(True)
        self.trash_header.hide()
        layout.addWidget(self.trash_header)
        layout.addWidget(self.list, 1)
        return box

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: object
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        cases, imports, backups = self.case_actions, self.imports, self.backups
        self.import_files_action = self._action("Import &Files…", "Ctrl+O", imports.choose_files)
        self.import_files_action.setIcon(theme.icon("import"))
        self.import_folder_action = self._action(
            "Import F&older…", "Ctrl+Shift+O", imports.choose_folder
        )
        export_notes = self._action(
            "E&xport Notes…", None, lambda _checked=False: self.export_notes()
        )
        self.list.export_requested.connect(lambda case_id: self.export_notes([case_id]))
        quit_action = self._action("&Quit", "Ctrl+Q", self.close)
        find_bar = self.detail.find_bar
        self.find_action = self._action("&Find in Case…", "Ctrl+F", find_bar.open_bar)
        self.find_next_action = self._action("Find &Next", "F3", lambda: self._find(1))
        self.find_previous_action = self._action(
            "Find Pre&vious", "Shift+F3", lambda: self._find(-1)
        )
        self.search_action = self._action("&Search Library", "Ctrl+L", self.focus_search)
        self.bookmark_action = self._action("Toggle &Bookmark", "Ctrl+D", cases.toggle_bookmark)
        #: Ctrl+U: "Mark as Unread" on a read case, "Mark as Read" on an unread one.
        self.read_action = self._action("Mark as &Unread", "Ctrl+U", cases.toggle_read)
        self.read_action.setProperty(_SHORTCUT_NAME, "Mark as Read / Unread")
        self.mark_all_read_action = self._action("Mark &All as Read", None, cases.mark_all_read)
        self.mark_all_read_action.setStatusTip("Marks every case in the list read")
        self.trash_action = self._action("Move to &Trash", "Delete", cases.trash_current)
        self.untrash_action = self._action(
            "Restore from T&rash", "Ctrl+Shift+R", cases.untrash_current
        )
        self.undo_action = self._action("&Undo", QKeySequence.StandardKey.Undo, self.undo)
        self.undo_action.setEnabled(False)
        #: What the reader's last command did ("Marked 12 cases as read") with an Undo link,
        #: in the status bar.
        self.undo_notice = QLabel(self)
        self.undo_notice.setObjectName("undoNotice")
        self.undo_notice.setTextFormat(Qt.TextFormat.RichText)
        self.undo_notice.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.undo_notice.linkActivated.connect(lambda _link: self.undo())
        self.undo_notice.hide()
        self.statusBar().addPermanentWidget(self.undo_notice)
        empty_trash = self._action("&Empty Trash…", None, cases.empty_trash)
        self.versions_action = self._action(
            "Earlier &Versions of Case…",
            None,
            lambda: show_case_versions(
                self.library, self.operations, self.list.current_case(), self
            ),
        )
        backup_now = self._action("&Back Up Now", None, backups.backup_now)
        restore_backup = self._action("&Restore from Backup…", None, backups.choose_and_restore)
        detail = self.detail
        zoom_in = self._action("Zoom &In", "Ctrl++", lambda: detail.set_zoom(detail.zoom + 1))
        zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        zoom_out = self._action("Zoom &Out", "Ctrl+-", lambda: detail.set_zoom(detail.zoom - 1))
        zoom_reset = self._action("&Actual Size", "Ctrl+0", lambda: detail.set_zoom(0))
        focus_list = self._action("Go to Case &List", "Ctrl+1", self.list.setFocus)
        focus_notes = self._action("Go to &Notes", "Ctrl+2", self.notes.editor.setFocus)
        organiser = self.organiser
        self.add_to_collection_action = self._action(
            "&Add to Collection…", "Ctrl+Shift+C", organiser.add_selected_to_collection
        )
        self.new_collection_action = self._action(
            "&New Collection…", "Ctrl+Shift+N", organiser.new_top_collection
        )
        self.tags_action = self._action("&Tags…", "Ctrl+T", organiser.edit_selected_tags)
        self.save_search_action = self._action(
            "&Save Search…", "Ctrl+Shift+S", organiser.save_search
        )
        #: In the search box while it holds a search: saves it (as Organise > Save Search).
        self.save_in_box_action = QAction(theme.icon("saved-search"), "Save This Search", self)
        self.save_in_box_action.setToolTip("Save this search in the sidebar (Ctrl+Shift+S)")
        self.save_in_box_action.triggered.connect(organiser.save_search)
        self.search.addAction(self.save_in_box_action, QLineEdit.ActionPosition.TrailingPosition)
        self.save_in_box_action.setVisible(False)  # after adding: the box shows what it adds
        self.search.textChanged.connect(
            lambda text: self.save_in_box_action.setVisible(bool(text.strip()))
        )
        self.preferences_action = self._action(
            "&Preferences…",
            "Ctrl+,",
            lambda: PreferencesDialog(self.library, self.operations, self).exec(),
        )
        self.start_drill_action = self._action(
            "&Start Drill…", "Ctrl+Shift+D", lambda _checked=False: self.choose_drill()
        )
        self.organiser.drill_requested.connect(self.choose_drill)
        self.drill_due_action = self._action("Drill &Due Cases", "Ctrl+Shift+U", self.drill_due)
        self.stats_action = self._action("S&tatistics…", "Ctrl+Shift+T", self.show_statistics)
        shortcuts = self._action("&Keyboard Shortcuts", "F1", self.show_shortcuts)
        about = self._action("&About Lightbox", None, self.show_about)
        #: "/" searches (off while drilling: the search lists cases by their titles).
        self.search_shortcut = QShortcut(QKeySequence("/"), self, self.focus_search)
        #: One Esc for the whole window (two would cancel each other out): it closes the
        #: find bar while that is open, else clears the search.
        self.escape_shortcut = QShortcut(QKeySequence("Escape"), self.search, self._escape)

        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.import_files_action, self.import_folder_action])
        file_menu.addAction(export_notes)
        file_menu.addSeparator()
        file_menu.addActions([backup_now, restore_backup])
        file_menu.addSeparator()
        file_menu.addAction(empty_trash)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addSeparator()
        edit_menu.addActions([self.find_action, self.find_next_action])
        edit_menu.addActions([self.find_previous_action, self.search_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.bookmark_action, self.read_action, self.mark_all_read_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.trash_action, self.untrash_action])
        edit_menu.addAction(self.versions_action)
        edit_menu.addSeparator()
        edit_menu.addMenu(self.highlighting.highlight_menu)
        edit_menu.addSeparator()
        edit_menu.addAction(self.preferences_action)
        organise_menu = menus.addMenu("&Organise")
        organise_menu.addActions([self.add_to_collection_action, self.new_collection_action])
        organise_menu.addSeparator()
        organise_menu.addAction(self.tags_action)
        organise_menu.addSeparator()
        organise_menu.addAction(self.save_search_action)
        drill_menu = menus.addMenu("&Drill")
        drill_menu.addActions([self.start_drill_action, self.drill_due_action])
        drill_menu.addSeparator()
        drill_menu.addAction(self.stats_action)
        view_menu = menus.addMenu("&View")
        view_menu.addActions([zoom_in, zoom_out, zoom_reset])
        view_menu.addSeparator()
        view_menu.addActions([focus_list, focus_notes])
        help_menu = menus.addMenu("&Help")
        help_menu.addActions([shortcuts, about])
        #: Commands that stay on while a drill runs.
        self._drill_actions = [self.stats_action, shortcuts, about, quit_action]
        #: The other commands' states when a drill began (they are off meanwhile).
        self._enabled_before_drill = {}

    def _find(self, step: int) -> None:
        """F3 / Shift+F3: the next or previous match of the find bar's term, opening the bar
        first if it was closed (the term is kept)."""
        find_bar = self.detail.find_bar
        if find_bar.isHidden():
            find_bar.open_bar()
        if step > 0:
            find_bar.find_next()
        else:
            find_bar.find_previous()

    def _escape(self) -> None:
        if self.detail.find_bar.isVisible():
            self.detail.find_bar.close_bar()
        else:
            self.search.clear()

    def _build_toolbar(self) -> None:
        toolbar = self.toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.import_files_action)
        spacer = QWidget(toolbar)
        box = QHBoxLayout(spacer)
        box.setContentsMargins(12, 0, 0, 0)
        box.addWidget(self.search_bar)
        box.addStretch(1)
        toolbar.addWidget(spacer)
        self.addToolBar(toolbar)

    # --- wiring --------------------------------------------------------------------------------

    def _show_case(self, case_id: CaseId | None) -> None:
        """The current case changed: the notes, the detail and the reading clock follow it.

        If the note on screen cannot be saved and the reader chooses to keep editing it,
        the list goes back to its case (when the list still holds it)."""
        if self.notes.case_id != case_id and not self.notes.show_case(case_id):
            kept = self.notes.case_id
            if kept is not None and self.list.select_case(kept):
                return
        self.detail.open_case(case_id)
        self.reading.watch(case_id)

    def _library_changed(self, changes: Changes, initiator: object) -> None:
        """A search on show runs again over the library another program changed, or after
        a change that may move cases in or out of it (a tag, a bookmark, a collection)."""
        if not self.search.text().strip():
            return
        if initiator is ANOTHER_PROGRAM:
            self.search_bar.run_search()
        elif may_move_rows(CaseFilter("saved"), changes):
            self.search_bar.search_again()

    def _filter_selected(self, case_filter: CaseFilter) -> None:
        self.trash_header.setVisible(case_filter.kind == "trash")

    def _show_highlight_browser(self) -> None:
        self.browser.ensure_loaded()
        self.list_stack.setCurrentWidget(self.browser)

    def _show_case_list(self, _case_filter: CaseFilter) -> None:
        if self.list_stack.currentWidget() is self.browser:
            self.list_stack.setCurrentIndex(0)
            # The browser may have shown a case the list does not hold: follow the list.
            if self.detail.case_id != self.list.current_case():
                self._show_case(self.list.current_case())

    def _search_edited(self, _text: str) -> None:
        """Searching lists cases: leave the highlight browser for the list."""
        if self.sidebar.showing_highlights():
            self.sidebar.select_filter(CaseFilter())

    def _show_case_anywhere(self, case_id: CaseId) -> None:
        """Shows a case from the highlight browser: selected in the list when the list holds
        it (so the case's actions act on it), else shown on its own."""
        self.reading.choose()  # the reader opened it
        if self.list.current_case() == case_id:
            if self.detail.case_id != case_id:
                self._show_case(case_id)
            self.reading.engage()
        elif not self.list.select_case(case_id):
            self._show_case(case_id)

    def _undo_changed(self, text: str) -> None:
        self.undo_action.setText(text or "&Undo")
        self.undo_action.setEnabled(bool(text))
        # A new step or one undone: the notice no longer tells what Ctrl+Z takes back
        # (a command shows its own after pushing its step).
        self.undo_notice.hide()

    def undo(self) -> bool:
        """Edit > Undo (Ctrl+Z, or the status bar's link): the last step, from any pane."""
        self.undo_notice.hide()  # it told of the step undone, or of an older one
        return self.undo_stack.undo()

    def _show_done(self, message: str) -> None:
        """What a command did, and how to take it back, in the status bar."""
        self.undo_notice.setText(f'{html.escape(message)} — Ctrl+Z to <a href="undo">undo</a>')
        self.undo_notice.show()
        self._undo_notice_timer.start()

    def _sync_read_action(self, case_id: CaseId | None = None) -> None:
        """Ctrl+U's entry says what it will do to the current case."""
        if case_id is None:
            case_id = self.list.current_case()
        read = case_id is not None and case_id in self.library.read_ids([case_id])
        self.read_action.setText("Mark as &Unread" if read else "Mark as R&ead")

    def _reading_changed(self, changes: Changes, _initiator: object) -> None:
        if changes.whole_library or self.list.current_case() in changes.reading:
            self._sync_read_action()

    def _due_tick(self) -> None:
        if self._closed or not self.startup.is_ready or self.drilling:
            return
        if self.sidebar.refresh_due() and self.model.case_filter.kind == "due":
            self.model.requery()
            self.list.update_empty_label()
        self.sidebar.recount_timed_searches()
        if "is:due" in self.search.text().casefold():
            self.search_bar.search_again()  # a case falls due: it joins the search
        self.list.viewport().update()  # "in 5 min" becomes "now"

    def _library_actions(self) -> list[QAction]:
        """The window's commands that act on the library's panes (not Help, not Drill)."""
        keep = set(self._drill_actions)
        return [a for a in self.actions() if a not in keep and a.text() and a.isEnabled()]

    def _drill_ended(self) -> None:
        self.modes.setCurrentWidget(self.splitter)
        self.toolbar.show()
        self.search_shortcut.setEnabled(True)
        if self._stats_dialog is not None:
            self._stats_dialog.set_stats(self._statistics())
        for action, enabled in self._enabled_before_drill.items():
            action.setEnabled(enabled)
        self._enabled_before_drill = {}
        shown = self.detail.case_id
        self._show_title(self.library.get_case(shown) if shown is not None else None)
        self.list.setFocus()

    def _listed_name(self) -> str:
        if self.search.text().strip():
            return f"Search: {self.search.text().strip()}"
        return self.sidebar.current_name() or "All cases"

    def _open_from_stats(self, case_id: CaseId) -> None:
        if self.drilling:
            return  # the statistics never open a case over a drill
        self.reading.choose()  # the reader opened it
        if not self.list.select_case(case_id):
            self.sidebar.select_filter(CaseFilter())
            self.list.select_case(case_id)
        if self.detail.case_id == case_id:
            # The choice may have gone to the case the new entry showed first.
            self.reading.engage()
        self.activateWindow()

    def _show_title(self, case: Case | None) -> None:
        if self.drilling:
            return  # a title would give a drilled case away
        self.setWindowTitle(f"{case.title} — Lightbox" if case else "Lightbox")

    # --- Qt overrides ----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            fit_to_screen(self)  # its frame is known now
            apply_default_splits(self)
        self.startup.window_shown()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            super().closeEvent(event)
            return
        if not self.notes.leave():  # a note that cannot be saved: the reader chose to stay
            event.ignore()
            return
        self.watcher.stop()
        self._due_timer.stop()
        self.figures.close()
        self.notes.shutdown()
        self.imports.shutdown()
        save_state(self)
        self.search_bar.shutdown()
        self.reading.stop()
        self.startup.stop()
        self._closed = True
        super().closeEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.start_import(paths)
