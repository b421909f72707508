"""Work that must not run on the GUI thread: search as you type, and imports.

Each worker owns a connection of its own (`Library.for_thread`), made on its own thread (a
connection is never shared between threads); WAL lets them read while the GUI thread writes.
A worker never dies silently: whatever stops its work is handed back as the result.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop.model import CaseFilter
from desktop.store import Interrupted, Library

#: How long an import batch may hold the write lock when run from the app.
APP_BATCH_SECONDS = 0.25
#: Least time between two progress signals (the bar needs no more).
_PROGRESS_EVERY_S = 0.05


class SearchWorker(QObject):
    """Runs the newest search on its own thread; an older one still running is interrupted.

    Signals:
        finished(int, object): the request's generation and its hits (list[Hit]), or the
            exception that stopped it (a LibraryError, or a bug). Callers drop results whose
            generation is not their latest. A search stopped because a newer one came is
            never reported.
    """

    finished = Signal(int, object)

    def __init__(self, library: Library, parent: QObject | None = None):
        super().__init__(parent)
        self._source = library
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

    def _next_request(self) -> tuple[int, str, CaseFilter] | None:
        with self._condition:
            while self._request is None and not self._stopping:
                self._condition.wait()
            if self._stopping:
                return None
            request, self._request = self._request, None
            return request

    def _run(self) -> None:
        try:
            try:
                self._open()  # ready before the first keystroke
            except Exception:
                pass  # the first search opens it again, and shows why if it still cannot
            while (request := self._next_request()) is not None:
                generation, query, case_filter = request
                try:
                    result: object = self._search(query, case_filter)
                except Interrupted:
                    with self._condition:
                        if self._request is None and not self._stopping:
                            self._request = request  # stopped for no newer query: run it again
                    continue
                except Exception as error:  # shown under the search box, never swallowed
                    result = error
                self.finished.emit(generation, result)
        finally:
            with self._condition:
                library, self._library = self._library, None
            if library is not None:
                library.close()

    def _search(self, query: str, case_filter: CaseFilter) -> object:
        return self._open().search_cases_interruptible(query, case_filter)

    def _open(self) -> Library:
        """This thread's connection, opened on first use (and again after a failed open)."""
        if self._library is None:
            library = self._source.for_thread()
            with self._condition:
                self._library = library
        return self._library


class ThreadWorker(QObject):
    """Work done once on a thread of its own (its `_run`), which a subclass reports through
    its own signals."""

    def __init__(self, name: str, *, daemon: bool, parent: QObject | None = None):
        super().__init__(parent)
        self._thread = threading.Thread(target=self._run, name=name, daemon=daemon)

    def start(self) -> None:
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        raise NotImplementedError


class ImportWorker(ThreadWorker):
    """Imports on its own thread, with progress and cancel.

    Signals:
        progress(int, int, str): files done, files in all, the current file.
        finished(object): the ImportReport, or the exception that stopped the import (a
            LibraryError, or a bug); emitted exactly once, whatever happens.
    """

    progress = Signal(int, int, str)
    finished = Signal(object)

    def __init__(self, library: Library, paths: list[Path], parent: QObject | None = None):
        super().__init__("lightbox-import", daemon=True, parent=parent)
        self._library = library
        self._paths = paths
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def _run(self) -> None:
        from desktop.importer import ImportReport, count_case_files, import_paths

        result: ImportReport | Exception
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

            with self._library.for_thread() as library:
                result = import_paths(
                    library,
                    self._paths,
                    progress=report,
                    cancelled=self._cancel.is_set,
                    batch_seconds=APP_BATCH_SECONDS,
                )
        except Exception as error:  # shown by the window, never swallowed
            result = error
        self.finished.emit(result)
