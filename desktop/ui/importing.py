"""Imports from the window: choosing files, running the import off the GUI thread with progress
and Cancel in the status bar, and telling how it ended (its report, or what stopped it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QProgressBar, QStatusBar, QToolButton, QWidget

from desktop.store import Changes, Library
from desktop.ui import theme
from desktop.ui.dialogs import ImportReportDialog
from desktop.ui.operations import Operations
from desktop.ui.workers import ImportWorker

if TYPE_CHECKING:
    from desktop.importer import ImportReport


class Imports(QObject):
    """Runs one import at a time and reports how each one ended.

    Whatever ends an import (done, cancelled, a storage error, a bug in the worker) ends it
    here: the status bar is cleared, the outcome is shown and announced, and the next import
    may start.

    Attributes:
        worker: The import running, or None.
        last_report: The report of the last import that finished.
        report_dialog: The dialog showing it.
        progress_label, progress, cancel_button: The status bar's import widgets.
    """

    def __init__(
        self,
        library: Library,
        operations: Operations,
        window: QWidget,
        status_bar: QStatusBar,
    ):
        super().__init__(window)
        self._library = library
        self._operations = operations
        self._window = window
        self._status_bar = status_bar
        self.worker: ImportWorker | None = None
        self.last_report: ImportReport | None = None
        self.report_dialog: ImportReportDialog | None = None
        self.progress_label = QLabel(window)
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress = QProgressBar(window)
        self.progress.setMaximumWidth(220)
        self.cancel_button = QToolButton(window)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setIcon(theme.icon("cancel"))
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.clicked.connect(self.cancel)
        for widget in self._widgets():
            status_bar.addPermanentWidget(widget)
            widget.hide()

    @property
    def running(self) -> bool:
        return self.worker is not None

    def choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(
            self._window,
            "Import cases",
            "",
            "Cases and data sets (*.txt *.zip *.json);;All files (*)",
        )
        if names:
            self.start([Path(name) for name in names])

    def choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self._window, "Import a folder of cases")
        if name:
            self.start([Path(name)])

    def start(self, paths: list[Path]) -> ImportWorker | None:
        """Imports off the GUI thread, with progress and Cancel in the status bar."""
        if self.worker is not None:
            self._operations.tell("An import is already running.", 4000)
            return None
        self._operations.save_edits()
        worker = ImportWorker(self._library, paths, self)
        worker.progress.connect(self._progress)
        worker.finished.connect(self._finished)
        self.worker = worker
        self.progress_label.setText("Importing…")
        self.progress.setRange(0, 0)
        for widget in self._widgets():
            widget.show()
        self.cancel_button.setEnabled(True)
        worker.start()
        return worker

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.cancel_button.setEnabled(False)
            self.progress_label.setText("Cancelling…")

    def shutdown(self) -> None:
        """Cancels an import still running (what it stored so far is kept)."""
        if self.worker is not None:
            self.worker.cancel()
            self.worker.wait(10)

    # --- internals -------------------------------------------------------------------------

    def _widgets(self) -> tuple[QWidget, ...]:
        return (self.progress_label, self.progress, self.cancel_button)

    def _progress(self, done: int, total: int, name: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress_label.setText(f"Importing {done} of {total}")
        if name:
            self.progress_label.setToolTip(name)

    def _finished(self, result: object) -> None:
        from desktop.importer import ImportReport

        self.worker = None
        for widget in self._widgets():
            widget.hide()
        if not isinstance(result, ImportReport):
            # Stopped part way: what it stored before is kept, so anything may have changed.
            self._operations.announce(Changes(whole_library=True))
            error = result if isinstance(result, BaseException) else RuntimeError(repr(result))
            self._operations.report(
                error,
                title="Import stopped",
                what="The import stopped. The cases imported before it stopped are kept.",
            )
            return
        self._operations.announce(result.changes)
        self.last_report = result
        self._operations.tell(result.summary())
        if result.failed or result.warnings or self._window.isVisible():
            self.report_dialog = ImportReportDialog(result, self._window)
            self.report_dialog.open()
