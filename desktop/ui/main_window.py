"""The main window: sidebar, case list, detail pane and notes panel, wired to one library."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QToolBar,
    QToolButton,
    QWidget,
)

import desktop
from desktop.model import CaseFilter, CaseId
from desktop.store.changes import Changes
from desktop.store.errors import LibraryError
from desktop.store.library import Library
from desktop.store.listing import Hit
from desktop.ui import theme
from desktop.ui.case_list import DIAGNOSIS, MARKS, TITLE, CaseListView, CaseTableModel
from desktop.ui.case_view import DetailPane
from desktop.ui.change_bus import ChangeBus
from desktop.ui.delegates import MarksDelegate, TitleDelegate
from desktop.ui.dialogs import ImportReportDialog, RestoreDialog, ShortcutsDialog
from desktop.ui.notes_panel import NotesPanel
from desktop.ui.sidebar import Sidebar
from desktop.ui.workers import ImportWorker, SearchWorker

#: A case counts as read once it has been on screen this long.
READ_AFTER_MS = 2000
#: Search waits for a pause in typing this long.
SEARCH_AFTER_MS = 150
#: A staged start lists this many cases before its first paint: more than a screen holds.
FIRST_SCREEN_ROWS = 200
#: A staged start completes by this long after showing, even if nothing painted.
COMPLETE_START_MS = 1000

#: Keys beyond the menus' own, for Help > Keyboard shortcuts.
_LIST_KEYS = [
    ("Up / Down, J / K", "Previous / next case"),
    ("Home / End", "First / last case"),
    ("/", "Search (when not typing)"),
    ("Esc (in search)", "Clear the search"),
    ("Enter / Shift+Enter (find)", "Next / previous match"),
]


class MainWindow(QMainWindow):
    """The reading window.

    A staged start (the app's) paints the first screen of the list and the current case
    first, and then reads the rest of the list and the sidebar counts: at 100,000 cases
    those cost more than everything else the first frame needs.

    Attributes:
        library: The library this window shows (its connection lives on the GUI thread).

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
        self.bus = ChangeBus(self)
        self.setWindowTitle("Lightbox")
        self.setWindowIcon(theme.app_icon())
        self.setAcceptDrops(True)

        self.sidebar = Sidebar(self)
        self.model = CaseTableModel(library, self)
        self.list = CaseListView(self.model, self)
        self.list.setItemDelegateForColumn(TITLE, TitleDelegate(self.list))
        self.list.setItemDelegateForColumn(MARKS, MarksDelegate(self.list))
        self.detail = DetailPane(self)
        self.notes = NotesPanel(library, self)
        self.empty = QLabel(self.list.viewport())
        self.empty.setObjectName("emptyList")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.search = QLineEdit(self)
        self.search.setObjectName("searchBox")
        self.search.setPlaceholderText("Search cases and notes   (Ctrl+L or /)")
        self.search.setClearButtonEnabled(True)
        self.search.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumWidth(320)

        # A mail client's classic layout: the list spans the top, the case and its notes
        # side by side below, so every column fits and the case reads at full height.
        self.reading_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.reading_splitter.addWidget(self.detail)
        self.reading_splitter.addWidget(self.notes)
        self.reading_splitter.setStretchFactor(0, 3)
        self.reading_splitter.setStretchFactor(1, 1)
        self.list_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.list_splitter.addWidget(self.list)
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
        self.setCentralWidget(self.splitter)

        self._build_status_bar()
        self._build_actions()
        self._build_toolbar()

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_AFTER_MS)
        self._search_timer.timeout.connect(self._run_search)
        self._search_generation = 0
        self._searcher = SearchWorker(library.path, self)
        self._searcher.finished.connect(self._search_finished)
        self._read_timer = QTimer(self)
        self._read_timer.setSingleShot(True)
        self._read_timer.setInterval(READ_AFTER_MS)
        self._read_timer.timeout.connect(self._mark_current_read)
        self._importer: ImportWorker | None = None
        self._closed = False

        self.sidebar.filter_selected.connect(self._filter_selected)
        self.list.current_case_changed.connect(self._show_case)
        self.list.bookmark_requested.connect(self._set_bookmark)
        self.list.read_requested.connect(self._set_read)
        self.detail.bookmark_toggled.connect(self._set_bookmark)
        self.notes.saved.connect(lambda changes: self.bus.announce(changes, self.notes))
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.model.modelReset.connect(self._update_empty_label)
        self.bus.changed.connect(self._on_changes)

        #: True once the whole list and the counts are in (at once unless staged).
        self.is_ready = False
        self._completing = False
        #: A case to select once the whole list is in (it lies beyond the first screen).
        self._pending_case: CaseId | None = None
        if staged:
            self.model.load_head_only(FIRST_SCREEN_ROWS)
            self.detail.view.viewport().installEventFilter(self)
        self.model.show_filter(CaseFilter())
        self._restore_settings()
        self._update_empty_label()
        if not staged:
            self._complete_start()

    def open_case(self, case_id: CaseId) -> bool:
        """Shows a case, selected in the list; False if the list does not hold it. Before
        a staged start completes, a case beyond the first screen is shown at once and
        selected once the whole list is in."""
        if self.list.select_case(case_id):
            return True
        if self.model.whole:
            return False
        self._pending_case = case_id
        self._show_case(case_id)
        return True

    def _first_frame_done(self) -> None:
        self.first_frame.emit()
        QTimer.singleShot(0, self._complete_start)  # after whatever waits on the frame

    def _complete_start(self) -> None:
        if self._completing or self._closed:
            return
        self._completing = True
        self.detail.view.viewport().removeEventFilter(self)
        self.model.load_whole_list()
        pending, self._pending_case = self._pending_case, None
        if pending is not None and not self.list.select_case(pending):
            self.list.select_row(0)
        self._update_empty_label()
        if self.isVisible():
            QTimer.singleShot(0, self._count_at_start)  # two short stalls, not one long
        else:
            self._count_at_start()

    def _count_at_start(self) -> None:
        if self._closed:
            return
        self.sidebar.set_counts(self.library.counts())
        self.is_ready = True
        self.ready.emit()

    # --- building ----------------------------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.progress_label = QLabel(self)
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.cancel_import = QToolButton(self)
        self.cancel_import.setText("Cancel")
        self.cancel_import.setIcon(theme.icon("cancel"))
        self.cancel_import.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_import.clicked.connect(self._cancel_import)
        for widget in (self.progress_label, self.progress, self.cancel_import):
            bar.addPermanentWidget(widget)
            widget.hide()

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
        self.import_files_action = self._action("Import &Files…", "Ctrl+O", self.import_files)
        self.import_files_action.setIcon(theme.icon("import"))
        self.import_folder_action = self._action(
            "Import F&older…", "Ctrl+Shift+O", self.import_folder
        )
        quit_action = self._action("&Quit", "Ctrl+Q", self.close)
        self.find_action = self._action("&Find in Case…", "Ctrl+F", self.detail.find_bar.open_bar)
        self.search_action = self._action("&Search Library", "Ctrl+L", self.focus_search)
        self.bookmark_action = self._action("Toggle &Bookmark", "Ctrl+D", self.toggle_bookmark)
        self.unread_action = self._action("Mark as &Unread", "Ctrl+U", self._mark_current_unread)
        self.trash_action = self._action("Move to &Trash", "Delete", self.trash_current)
        self.untrash_action = self._action(
            "Restore from T&rash", "Ctrl+Shift+R", self.untrash_current
        )
        empty_trash = self._action("&Empty Trash…", None, self.empty_trash)
        backup_now = self._action("&Back Up Now", None, self.backup_now)
        restore_backup = self._action("&Restore from Backup…", None, self.restore_backup)
        zoom_in = self._action("Zoom &In", "Ctrl++", lambda: self._zoom(+1))
        zoom_in.setShortcuts([QKeySequence("Ctrl++"), QKeySequence("Ctrl+=")])
        zoom_out = self._action("Zoom &Out", "Ctrl+-", lambda: self._zoom(-1))
        zoom_reset = self._action("&Actual Size", "Ctrl+0", lambda: self.detail.set_zoom(0))
        focus_list = self._action("Go to Case &List", "Ctrl+1", self.list.setFocus)
        focus_notes = self._action("Go to &Notes", "Ctrl+2", self.notes.editor.setFocus)
        shortcuts = self._action("&Keyboard Shortcuts", "F1", self.show_shortcuts)
        about = self._action("&About Lightbox", None, self.show_about)
        QShortcut(QKeySequence("/"), self, self.focus_search)
        QShortcut(QKeySequence("Escape"), self.search, self.search.clear)

        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        file_menu.addActions([self.import_files_action, self.import_folder_action])
        file_menu.addSeparator()
        file_menu.addActions([backup_now, restore_backup])
        file_menu.addSeparator()
        file_menu.addAction(empty_trash)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = menus.addMenu("&Edit")
        edit_menu.addActions([self.find_action, self.search_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.bookmark_action, self.unread_action])
        edit_menu.addSeparator()
        edit_menu.addActions([self.trash_action, self.untrash_action])
        view_menu = menus.addMenu("&View")
        view_menu.addActions([zoom_in, zoom_out, zoom_reset])
        view_menu.addSeparator()
        view_menu.addActions([focus_list, focus_notes])
        help_menu = menus.addMenu("&Help")
        help_menu.addActions([shortcuts, about])
        self._menu_actions = [
            self.import_files_action,
            self.import_folder_action,
            quit_action,
            self.find_action,
            self.search_action,
            self.bookmark_action,
            self.unread_action,
            self.trash_action,
            self.untrash_action,
            zoom_in,
            zoom_out,
            zoom_reset,
            focus_list,
            focus_notes,
            shortcuts,
        ]

    def _build_toolbar(self) -> None:
        toolbar = QToolBar("Main", self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.import_files_action)
        spacer = QWidget(toolbar)
        box = QHBoxLayout(spacer)
        box.setContentsMargins(12, 0, 0, 0)
        box.addWidget(self.search)
        box.addStretch(1)
        toolbar.addWidget(spacer)
        self.addToolBar(toolbar)

    # --- public actions ------------------------------------------------------------------------

    def shortcut_table(self) -> list[tuple[str, str]]:
        rows = [
            (
                ", ".join(
                    s.toString(QKeySequence.SequenceFormat.NativeText) for s in a.shortcuts()
                ),
                a.text().replace("&", "").rstrip("…"),
            )
            for a in self._menu_actions
            if a.shortcuts()
        ]
        return rows + _LIST_KEYS

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def toggle_bookmark(self) -> None:
        case_id = self.list.current_case()
        if case_id is not None:
            self._set_bookmark(case_id, not self.library.is_bookmarked(case_id))

    def trash_current(self) -> None:
        """Moves the current case, with the reader's notes and marks, to the Trash."""
        case_id = self.list.current_case()
        if case_id is None or self.sidebar.current_filter().kind == "trash":
            return
        self._remove_from_view(case_id, lambda: self.library.trash(case_id))
        self.statusBar().showMessage(
            "Moved to the Trash, with your notes and marks. Edit > Restore from Trash undoes it.",
            8000,
        )

    def untrash_current(self) -> None:
        case_id = self.list.current_case()
        if case_id is None or self.sidebar.current_filter().kind != "trash":
            return
        self._remove_from_view(case_id, lambda: self.library.untrash(case_id))

    def empty_trash(self) -> None:
        count = len(self.library.trashed_ids())
        if not count:
            self.statusBar().showMessage("The Trash is empty.", 4000)
            return
        answer = QMessageBox.warning(
            self,
            "Empty the Trash?",
            f"Delete {count} case(s) in the Trash, and your notes, bookmarks and history on "
            "them, for good? Backups taken before now still hold them.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.notes.flush()
            self._write(self.library.empty_trash)

    def backup_now(self) -> None:
        self.notes.flush()
        try:
            path = self.library.backup("manual")
        except LibraryError as error:
            QMessageBox.warning(self, "Backup failed", f"No backup was made.\n\n{error}")
            return
        self.statusBar().showMessage(f"Backed up to {path}", 8000)

    def restore_backup(self) -> None:
        dialog = RestoreDialog(self.library.path, self)
        if dialog.exec() != RestoreDialog.DialogCode.Accepted or dialog.chosen() is None:
            return
        chosen = dialog.chosen()
        assert chosen is not None
        self.restore_from(chosen.path)

    def restore_from(self, path: Path) -> bool:
        """Restores a backup over the library (after backing the library up)."""
        if not self.notes.flush():
            return False
        try:
            changes = self.library.restore_from(path)
        except LibraryError as error:
            QMessageBox.warning(self, "Restore failed", f"Nothing was changed.\n\n{error}")
            return False
        self.bus.announce(changes)
        self.notes.show_case(None)
        self._show_case(self.list.current_case())
        self.statusBar().showMessage(f"Restored {path.name}", 8000)
        return True

    def _remove_from_view(self, case_id: CaseId, change: object) -> None:
        row = self.model.row_of(case_id) or 0
        self.notes.flush()
        self._write(change)
        if self.list.current_case() is None and self.model.rowCount():
            self.list.select_row(min(row, self.model.rowCount() - 1))

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcut_table(), self).exec()

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About Lightbox",
            f"Lightbox {desktop.__version__}\n\nAn offline reader for radiology teaching cases.\n"
            f"Library: {self.library.path}",
        )

    def import_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self, "Import cases", "", "Case files (*.txt *.zip);;All files (*)"
        )
        if names:
            self.start_import([Path(name) for name in names])

    def import_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Import a folder of cases")
        if name:
            self.start_import([Path(name)])

    def start_import(self, paths: list[Path]) -> ImportWorker | None:
        """Imports off the GUI thread, with progress and Cancel in the status bar."""
        if self._importer is not None:
            self.statusBar().showMessage("An import is already running.", 4000)
            return None
        self.notes.flush()
        worker = ImportWorker(self.library.path, paths, self)
        worker.progress.connect(self._import_progress)
        worker.finished.connect(self._import_finished)
        self._importer = worker
        self.progress_label.setText("Importing…")
        self.progress.setRange(0, 0)
        for widget in (self.progress_label, self.progress, self.cancel_import):
            widget.show()
        self.cancel_import.setEnabled(True)
        worker.start()
        return worker

    # --- reacting ------------------------------------------------------------------------------

    def _on_changes(self, changes: Changes, initiator: object) -> None:
        if changes.cases:
            self.model.reload()
        else:
            self.model.refresh_cases(changes.touched)
        self.sidebar.blockSignals(True)
        self.sidebar.set_counts(self.library.counts())
        self.sidebar.blockSignals(False)
        current = self.detail.case_id
        if current is not None and current in changes.bookmarks:
            self.detail.set_bookmarked(self.library.is_bookmarked(current))
        if current is not None and current in changes.cases:
            self._show_case(current)
        if initiator is not self.notes:
            self.notes.reload_if_changed(changes)

    def _filter_selected(self, case_filter: CaseFilter) -> None:
        sort = ("read", True) if case_filter.kind == "recent" else None
        if self.search.text().strip():
            self._search_timer.start(0)
            self.model.show_filter(case_filter, sort)  # until the hits arrive
        else:
            self.model.show_filter(case_filter, sort)
        self.list.set_two_line_rows(False)

    def _show_case(self, case_id: CaseId | None) -> None:
        self._read_timer.stop()
        if self.notes.case_id != case_id:
            self.notes.show_case(case_id)
        case = self.library.get_case(case_id) if case_id is not None else None
        bookmarked = case_id is not None and self.library.is_bookmarked(case_id)
        self.detail.show_case(case_id, case, bookmarked=bookmarked, highlight=self._terms())
        self.setWindowTitle(f"{case.title} — Lightbox" if case else "Lightbox")
        if case_id is not None:
            self._read_timer.start()

    def _mark_current_read(self) -> None:
        case_id = self.detail.case_id
        if case_id is not None and case_id == self.list.current_case():
            # Reading state is not worth a dialog: a failure is told in the status bar.
            self._write(lambda: self.library.mark_read(case_id), quiet=True)

    def _mark_current_unread(self) -> None:
        case_id = self.list.current_case()
        if case_id is not None:
            self._read_timer.stop()
            self._write(lambda: self.library.mark_unread(case_id))

    def _set_bookmark(self, case_id: CaseId, on: bool) -> None:
        self._write(lambda: self.library.set_bookmark(case_id, on))

    def _set_read(self, case_id: CaseId, read: bool) -> None:
        if read:
            self._write(lambda: self.library.mark_read(case_id))
        else:
            self._read_timer.stop()
            self._write(lambda: self.library.mark_unread(case_id))

    def _write(self, change: object, *, quiet: bool = False) -> None:
        """Runs a change; announces it, or tells the reader plainly why it failed."""
        try:
            changes = change()  # type: ignore[operator]
        except LibraryError as error:
            if quiet:
                self.statusBar().showMessage(f"Not saved: {error}", 8000)
            else:
                QMessageBox.warning(self, "Not saved", f"The change was not saved.\n\n{error}")
            return
        self.bus.announce(changes)

    def _zoom(self, step: int) -> None:
        self.detail.set_zoom(self.detail.zoom + step)

    # --- search ----------------------------------------------------------------------------

    def _terms(self) -> tuple[str, ...]:
        return tuple(re.findall(r"\w+", self.search.text()))

    def _run_search(self) -> None:
        query = self.search.text()
        self._search_generation += 1
        if not query.strip() or not self._terms():
            self.model.show_filter(self.sidebar.current_filter())
            self.list.set_two_line_rows(False)
            self.detail.set_highlight(())
            self._update_empty_label()
            return
        self._searcher.search(self._search_generation, query, self.sidebar.current_filter())

    def _search_finished(self, generation: int, hits: object) -> None:
        if generation != self._search_generation:
            return  # a newer query was typed since: its results are the ones to show
        if isinstance(hits, LibraryError):
            self.statusBar().showMessage(f"Search failed: {hits}", 6000)
            return
        assert isinstance(hits, list)
        self.list.set_two_line_rows(True)
        self.model.show_hits(hits)
        self.detail.set_highlight(self._terms())
        if self.list.current_case() is None and self.model.rowCount():
            self.list.select_row(0)
        self._update_empty_label()

    def search_hits(self) -> list[Hit]:
        """The hits on show (for tests and the status line)."""
        return self.model.hits

    def _update_empty_label(self) -> None:
        if self.model.rowCount():
            self.empty.hide()
            return
        query = self.search.text().strip()
        if query and self.model.searching:
            self.empty.setText(f"No case matches “{query}”.")
        elif self.library.count_cases() == 0:
            self.empty.setText(
                "No cases yet.\nImport case files with File > Import, or drop them here."
            )
        else:
            self.empty.setText("No cases here.")
        self.empty.resize(self.list.viewport().size())
        self.empty.show()

    # --- import ----------------------------------------------------------------------------

    def _import_progress(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_label.setText(f"Importing {done} of {total}")
        if name:
            self.progress_label.setToolTip(name)

    def _cancel_import(self) -> None:
        if self._importer is not None:
            self._importer.cancel()
            self.cancel_import.setEnabled(False)
            self.progress_label.setText("Cancelling…")

    def _import_finished(self, result: object) -> None:
        self._importer = None
        for widget in (self.progress_label, self.progress, self.cancel_import):
            widget.hide()
        if isinstance(result, LibraryError):
            QMessageBox.warning(self, "Import stopped", f"The import stopped.\n\n{result}")
            self.bus.announce(Changes(cases=frozenset({CaseId(0)})))
            return
        from desktop.importer import ImportReport

        assert isinstance(result, ImportReport)
        self.bus.announce(Changes(cases=result.changes.cases))
        self.last_import = result
        self.statusBar().showMessage(result.summary(), 8000)
        if result.failed or result.warnings or self.isVisible():
            self.report_dialog = ImportReportDialog(result, self)
            self.report_dialog.open()

    # --- settings --------------------------------------------------------------------------

    def _restore_settings(self) -> None:
        settings = self.settings
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        defaults = (
            ("window/splitter", self.splitter, [230, 1210]),
            ("window/list_splitter", self.list_splitter, [300, 520]),
            ("window/reading_splitter", self.reading_splitter, [860, 370]),
        )
        for key, splitter, sizes in defaults:
            state = settings.value(key)
            if not (isinstance(state, QByteArray) and splitter.restoreState(state)):
                splitter.setSizes(sizes)
        header = settings.value("list/header")
        if isinstance(header, QByteArray):
            self.list.horizontalHeader().restoreState(header)
        else:
            for column, width in ((TITLE, 420), (1, 180), (2, 76), (DIAGNOSIS, 320), (4, 92)):
                self.list.setColumnWidth(column, width)
        zoom = str(settings.value("view/zoom", 0) or 0)
        self.detail.set_zoom(int(zoom) if zoom.lstrip("-").isdigit() else 0)
        key = settings.value("view/last_case")
        opened = False
        if isinstance(key, str) and key:
            try:
                opened = self.open_case(self.library.resolve(key))
            except (ValueError, LookupError):
                pass
        if not opened and self.model.rowCount():
            self.list.select_row(0)

    def save_settings(self) -> None:
        if not self.keep_settings:
            return
        settings = self.settings
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.splitter.saveState())
        settings.setValue("window/list_splitter", self.list_splitter.saveState())
        settings.setValue("window/reading_splitter", self.reading_splitter.saveState())
        settings.setValue("list/header", self.list.horizontalHeader().saveState())
        settings.setValue("view/zoom", self.detail.zoom)
        # A case shown before a staged start completed is not selected in the list yet.
        case_id = self._pending_case or self.list.current_case()
        case = self.library.get_case(case_id) if case_id is not None else None
        settings.setValue("view/last_case", case.key if case else "")
        settings.sync()

    # --- Qt overrides ----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and watched is self.detail.view.viewport():
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._first_frame_done)  # after the rest of the frame
        return super().eventFilter(watched, event)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self.is_ready:
            QTimer.singleShot(COMPLETE_START_MS, self._complete_start)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            super().closeEvent(event)
            return
        self.notes.shutdown()
        if self.notes.dirty:
            answer = QMessageBox.warning(
                self,
                "Note not saved",
                "Your last note could not be saved (see the notes panel). Quit anyway?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        if self._importer is not None:
            self._importer.cancel()
            self._importer.wait(10)
        self.save_settings()
        self._searcher.shutdown()
        self._read_timer.stop()
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

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.empty.resize(self.list.viewport().size())
