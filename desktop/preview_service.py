"""Renders note previews in a separate process, so a pathological note can be stopped.

Python-Markdown can take many seconds on hostile input (20 KB of nested brackets: ~17 s) and
holds the interpreter lock while it does; in a process of its own it can be killed after its
time budget, and typing never waits. The UI starts `serve` with a pipe and sends the text.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from desktop.render import note_html, note_theme

if TYPE_CHECKING:
    from multiprocessing.connection import Connection


def serve(conn: Connection) -> None:
    """Answers (request id, markdown, dark?, point size) with (request id, NoteRendering)."""
    while True:
        try:
            request_id, text, dark, point_size = conn.recv()
        except (EOFError, OSError):
            return
        rendering = note_html(text, theme=note_theme(dark=dark, point_size=point_size))
        try:
            conn.send((request_id, rendering))
        except (BrokenPipeError, OSError):
            return
