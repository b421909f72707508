"""The window's one Undo: the reader's last undoable change, wherever it was made (a case
moved to the Trash, a highlight deleted), newest first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QWidget


class Undone(Enum):
    """What undoing a step came to."""

    DONE = "done"
    #: Nothing left to undo (another program restored the case already): the step before
    #: it is tried.
    GONE = "gone"
    #: It could not be undone now (disk full, locked; the reader was told): it stays the
    #: next step, and nothing older is undone in its place.
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class _Step:
    text: str
    undo: Callable[[], Undone]
    key: object


class UndoStack(QObject):
    """What Edit > Undo (Ctrl+Z) undoes, newest last.

    A step is a label ("Undo Move to Trash") and a callable that undoes it and says how that
    went (`Undone`).

    Signals:
        changed(str): what Undo would undo now ("" when nothing).
    """

    changed = Signal(str)

    #: Steps kept at most (the oldest are forgotten).
    LIMIT = 100

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._steps: list[_Step] = []

    def push(self, text: str, undo: Callable[[], Undone], key: object = None) -> None:
        """Adds a step; `key` names what it undoes, for `discard`."""
        self._steps.append(_Step(text, undo, key))
        del self._steps[: -self.LIMIT]
        self.changed.emit(self.text())

    def discard(self, key: object) -> None:
        """Forgets the steps for `key` (undone another way, say)."""
        kept = [step for step in self._steps if step.key != key]
        if len(kept) != len(self._steps):
            self._steps = kept
            self.changed.emit(self.text())

    def depth(self) -> int:
        """How many steps there are to undo."""
        return len(self._steps)

    def keys(self) -> list[object]:
        """The keys of the steps, oldest first."""
        return [step.key for step in self._steps]

    def text(self) -> str:
        """What Undo would do now, as the menu says it ("" when nothing)."""
        return self._steps[-1].text if self._steps else ""

    def undo(self) -> bool:
        """Undoes the newest step (passing over those with nothing left to undo); False if
        nothing was undone. A step that fails stays, to be tried again."""
        while self._steps:
            step = self._steps.pop()
            outcome = step.undo()
            if outcome is Undone.FAILED:
                self._steps.append(step)
            self.changed.emit(self.text())
            if outcome is not Undone.GONE:
                return outcome is Undone.DONE
        return False


class UndoKeys(QObject):
    """Makes Ctrl+Z in a text field undo whatever came last: the field's own typing, or the
    window's newest step. A text field takes the key before any shortcut, even when it
    has nothing to undo (the search box, the find bar, the case's text, a note not yet
    typed in); and a window command used while typing (Ctrl+D in the note) is newer than
    the typing before it, so its Ctrl+Z must undo the command, not empty the note."""

    def __init__(self, undo: QAction, stack: UndoStack, parent: QObject | None = None):
        super().__init__(parent)
        self._undo = undo
        self._stack = stack
        #: The window's step count when each field was last typed in: steps beyond it are
        #: newer than the field's typing.
        self._depth_at_edit: dict[QObject, int] = {}

    def watch(self, fields: list[QWidget]) -> None:
        for field in fields:
            field.installEventFilter(self)
            if isinstance(field, QLineEdit):
                field.textEdited.connect(lambda _text, field=field: self._edited(field))
            elif isinstance(field, QTextEdit | QPlainTextEdit):
                # Any change: typing merges into the document's last undo command, so
                # `undoCommandAdded` would miss a letter typed after a command.
                document = field.document()
                document.contentsChange.connect(lambda *_, field=field: self._edited(field))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.matches(QKeySequence.StandardKey.Undo)
            and self._undo.isEnabled()
            and not self._typing_is_newest(watched)
        ):
            self._undo.trigger()
            return True
        return super().eventFilter(watched, event)

    def _edited(self, field: QObject) -> None:
        self._depth_at_edit[field] = self._stack.depth()

    def _typing_is_newest(self, field: QObject) -> bool:
        depth = self._stack.depth()
        return _can_undo(field) and self._depth_at_edit.get(field, depth) >= depth


def _can_undo(field: QObject) -> bool:
    """Whether a text field would undo typing of its own."""
    if isinstance(field, QLineEdit):
        return field.isUndoAvailable() and not field.isReadOnly()
    if isinstance(field, QTextEdit | QPlainTextEdit):
        return field.document().isUndoAvailable() and not field.isReadOnly()
    return False
