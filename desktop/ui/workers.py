"""Work that must not run on the GUI thread: search as you type, and imports.

Each worker owns a connection of its own, made on its own thread (a connection is never
shared between threads); WAL lets them read while the GUI thread writes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.model import CaseFilter
from desktop.store.errors import LibraryError
from desktop.store.library import Library

#: How long an import batch may hold the write lock when run from the app.
APP_BATCH_SECONDS = 0.25
#: Least time between two progress signals (the bar needs no more).
_PROGRESS_EVERY_S = 0.05


class SearchWorker(QObject):
    """Runs the newest search on its own thread; an older one still running is interrupted.

    Signals:
        finished(int, object): the request's generation and its hits (list[Hit]), or a
            LibraryError. Callers drop results whose generation is not their latest.
    """

    finished = Signal(int, object)

    def __init__(self, library_path: Path, parent: QObject | None = None):
        super().__init__(parent)
        self._path = library_path
        self._condition = threading.Condition()
        self._request: tuple[int, str, CaseFilter] | None = None
        self._stopping = False
        self._library: Library | None = None
        self._thread = threading.Thread(target=self._run, name="lightbox-search", daemon=True)
        self._thread.start()

    def search(self, generation: int, query: str, case_filter: CaseFilter) -> None:
        with self._condition:
            self._request = (generation, query, case_filter)
            self._condition.notify()
            library = self._library
        if library is not None:
            library.interrupt()  # a newer query makes the running one stale

    def shutdown(self) -> None:
        with self._condition:
            self._stopping = True
            self._condition.notify()
            library = self._library
        if library is not None:
            library.interrupt()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            # The window's own connection checked the file (or checks it on a thread).
            library = Library.open(self._path, create=False, quick_check=False)
        except LibraryError as error:
            self.finished.emit(-1, error)
            return
        with self._condition:
            self._library = library
        try:
            while True:
                with self._condition:
                    while self._request is None and not self._stopping:
                        self._condition.wait()
                    if self._stopping:
                        return
                    assert self._request is not None
                    generation, query, case_filter = self._request
                    self._request = None
                try:
                    hits: object = library.search_cases(query, case_filter)
                except sqlite3.OperationalError:
                    continue  # interrupted for a newer query
                except LibraryError as error:
                    hits = error
                self.finished.emit(generation, hits)
        finally:
            with self._condition:
                self._library = None
            library.close()


class ImportWorker(QObject):
    """Imports on its own thread, with progress and cancel.

    Signals:
        progress(int, int, str): files done, files in all, the current file.
        finished(object): the ImportReport, or the LibraryError that stopped the import.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)

    def __init__(self, library_path: Path, paths: list[Path], parent: QObject | None = None):
        super().__init__(parent)
        self._library_path = library_path
        self._paths = paths
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lightbox-import", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        from desktop.importer import ImportReport, count_case_files, import_paths

        result: ImportReport | LibraryError
        try:
            total = count_case_files(self._paths)
            self.progress.emit(0, total, "")
            last = 0.0

            def report(done: int, name: str) -> None:
                nonlocal last
                now = time.monotonic()
                if now - last >= _PROGRESS_EVERY_S or done == total:
                    last = now
                    self.progress.emit(done, total, name)

            with Library.open(self._library_path, create=False, quick_check=False) as library:
                result = import_paths(
                    library,
                    self._paths,
                    progress=report,
                    cancelled=self._cancel.is_set,
                    batch_seconds=APP_BATCH_SECONDS,
                )
        except LibraryError as error:
            result = error
        self.finished.emit(result)
