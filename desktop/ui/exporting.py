"""Exports from the window: File > Export Notes… and the case list's Export Notes…, run off
the GUI thread (a thousand cases take over a second, longer on a slow or synced disk)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from desktop.model import CaseId
from desktop.store import Library
from desktop.ui.operations import Operations
from desktop.ui.workers import ThreadWorker

if TYPE_CHECKING:
    from desktop.export import ExportReport

#: How many failed files the message lists (the rest are counted).
_FAILURES_SHOWN = 8


class ExportWorker(ThreadWorker):
    """Writes the Markdown files on a thread of its own, with a connection of its own.

    Signals:
        finished(object): the ExportReport, or the exception that stopped the export (a
            LibraryError, an OSError for the folder, or a bug); emitted exactly once.
    """

    finished = Signal(object)

    def __init__(
        self,
        library: Library,
        folder: Path,
        case_ids: Sequence[CaseId] | None,
        parent: QObject | None = None,
    ):
        # Not a daemon: quitting mid-export lets it finish, so no case is left half done.
        super().__init__("lightbox-export", daemon=False, parent=parent)
        self._library = library
        self._folder = folder
        self._case_ids = None if case_ids is None else list(case_ids)

    def _run(self) -> None:
        from desktop.export import export_notes  # loaded when an export runs, not at start

        result: ExportReport | Exception
        try:
            with self._library.for_thread() as library:
                result = export_notes(library, self._folder, self._case_ids)
        except Exception as error:  # shown by the window, never swallowed
            result = error
        try:
            self.finished.emit(result)
        except RuntimeError:
            pass  # the window closed while we wrote: the files are there, nobody to tell


class NotesExport(QObject):
    """Asks for a folder, exports into it in the background, and says where the files went.

    Signals:
        done(object): the ExportReport or the exception, once the window has told the reader.
    """

    done = Signal(object)

    def __init__(self, library: Library, operations: Operations, window: QWidget):
        super().__init__(window)
        self._library = library
        self._operations = operations
        self._window = window
        self._folder = ""
        self._workers: list[ExportWorker] = []

    def choose_and_export(self, case_ids: Sequence[CaseId] | None = None) -> ExportWorker | None:
        """Asks for the folder, then exports every case with notes or highlights (or
        `case_ids`); None if the reader cancelled."""
        chosen = QFileDialog.getExistingDirectory(
            self._window, "Export Notes to Folder", self._folder
        )
        if not chosen:
            return None
        self._folder = chosen
        return self.start(Path(chosen), case_ids)

    def start(self, folder: Path, case_ids: Sequence[CaseId] | None = None) -> ExportWorker:
        """Exports into `folder` off the GUI thread."""
        self._operations.save_edits()  # the note on screen goes out as the reader typed it
        worker = ExportWorker(self._library, folder, case_ids, self)
        worker.finished.connect(lambda result: self._finished(worker, folder, result))
        self._workers.append(worker)
        self._operations.tell(f"Exporting notes to {folder}…", 0)
        worker.start()
        return worker

    def _finished(self, worker: ExportWorker, folder: Path, result: object) -> None:
        worker.wait()
        self._workers.remove(worker)
        from desktop.export import ExportReport

        if isinstance(result, ExportReport):
            self._operations.tell(f"Exported notes to {folder}: {result.summary()}")
            if result.failed:
                lines = [f"{path}: {reason}" for path, reason in result.failed[:_FAILURES_SHOWN]]
                more = len(result.failed) - _FAILURES_SHOWN
                if more > 0:
                    lines.append(f"… and {more} more")
                QMessageBox.warning(
                    self._window,
                    "Some notes were not exported",
                    f"{result.summary()} in {folder}.\n\n" + "\n".join(lines),
                )
        elif isinstance(result, OSError):  # the folder itself: not a bug, say so plainly
            self._operations.tell("")
            QMessageBox.warning(
                self._window, "Export failed", f"Nothing was exported to {folder}.\n\n{result}"
            )
        elif isinstance(result, BaseException):
            self._operations.tell("")
            self._operations.report(result, title="Export failed", what="The export stopped.")
        self.done.emit(result)
