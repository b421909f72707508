"""Runs note previews in a helper process with a time budget (see desktop.preview_service)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desktop.render import NoteRendering, note_theme, plain_note

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

#: A preview that takes longer is abandoned: the helper is killed and the note is shown
#: as plain text.
TIME_BUDGET_S = 2.0
_POLL_MS = 30


class PreviewRenderer(QObject):
    """Renders Markdown notes off the GUI thread, newest request first, never blocking.

    Only one request runs at a time; while it runs, newer text replaces any waiting one,
    so a burst of typing costs one render, not one per key.

    Signals:
        rendered(NoteRendering): the preview of the latest text.
    """

    rendered = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._next_id = 0
        self._running: tuple[int, float] | None = None
        self._waiting: tuple[str, bool, float] | None = None
        self._elapsed = 0.0
        self._pending: tuple[str, bool, float] = ("", False, 11.0)
        self._timer = QTimer(self)
        self._timer.setInterval(_POLL_MS)
        self._timer.timeout.connect(self._poll)

    def request(self, text: str, *, dark: bool, point_size: float) -> None:
        self._waiting = (text, dark, point_size)
        if self._running is None:
            self._send_waiting()

    @property
    def busy(self) -> bool:
        return self._running is not None or self._waiting is not None

    def shutdown(self) -> None:
        self._timer.stop()
        self._waiting = None
        self._running = None
        self._kill()

    # --- internals -------------------------------------------------------------------------

    def _send_waiting(self) -> None:
        if self._waiting is None:
            return
        text, dark, point_size = self._waiting
        self._pending = self._waiting
        self._waiting = None
        self._next_id += 1
        try:
            self._ensure_process().send((self._next_id, text, dark, point_size))
        except (BrokenPipeError, OSError, RuntimeError):
            self._kill()
            self.rendered.emit(self._plain("Preview unavailable; shown as plain text"))
            return
        self._running = (self._next_id, 0.0)
        self._elapsed = 0.0
        self._timer.start()

    def _poll(self) -> None:
        if self._running is None or self._conn is None:
            self._timer.stop()
            return
        self._elapsed += _POLL_MS / 1000
        try:
            ready = self._conn.poll()
        except (EOFError, OSError):
            ready = False
            self._elapsed = TIME_BUDGET_S
        if ready:
            try:
                answer_id, rendering = self._conn.recv()
            except (EOFError, OSError):
                self._kill()
                self._finish(self._plain("Preview failed; shown as plain text"))
                return
            if answer_id == self._running[0]:
                self._finish(rendering)
            return
        if self._elapsed >= TIME_BUDGET_S:
            self._kill()
            self._finish(self._plain("Preview too slow; shown as plain text"))

    def _plain(self, message: str) -> NoteRendering:
        """The text of the request in flight, as the renderer's own plain fallback."""
        text, dark, point_size = self._pending
        return plain_note(text, note_theme(dark=dark, point_size=point_size), message)

    def _finish(self, rendering: NoteRendering) -> None:
        self._running = None
        self._timer.stop()
        if self._waiting is None:
            self.rendered.emit(rendering)
        else:
            self._send_waiting()

    def _ensure_process(self) -> Connection:
        if self._process is None or not self._process.is_alive() or self._conn is None:
            self._kill()
            # Imported on the first preview: multiprocessing costs ~10 ms of start-up.
            import multiprocessing

            from desktop import preview_service

            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            process = context.Process(
                target=preview_service.serve, args=(child,), daemon=True, name="note-preview"
            )
            process.start()
            child.close()
            self._process, self._conn = process, parent
        return self._conn

    def _kill(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(timeout=2)
            self._process = None
