"""Completion for the fields that name tags and collections."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QLineEdit


def split_tags(text: str) -> list[str]:
    """Comma-separated tags as typed, without blanks."""
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class TagCompleter(QCompleter):
    """Completes the tag being typed after the last comma, keeping the ones before it."""

    def __init__(self, tags: Sequence[str], field: QLineEdit):
        super().__init__(QStringListModel(list(tags)), field)
        self._field = field
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)

    def splitPath(self, path: str) -> list[str]:
        return [path.rsplit(",", 1)[-1].strip()]

    def pathFromIndex(self, index: object) -> str:
        chosen = super().pathFromIndex(index)  # type: ignore[arg-type]
        before = self._field.text().rsplit(",", 1)[0] if "," in self._field.text() else ""
        return f"{before.rstrip()}, {chosen}" if before.strip() else chosen


def name_completer(names: Sequence[str], field: QLineEdit) -> QCompleter:
    """Completes a whole name (a collection's path, a tag) from any part of it, ignoring
    case: "chest" offers "Boards/Chest"."""
    completer = QCompleter(list(names), field)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    completer.setMaxVisibleItems(12)
    return completer
