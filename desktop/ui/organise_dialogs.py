"""The small questions organising asks: a name (with completion and a live word on what it
will do), tags, and a confirmation. Each is one function, so tests can answer in its place."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.completion import TagCompleter, name_completer, split_tags

#: Says what the text typed would do, or why it cannot be used (then OK is off): a
#: function of the text, returning (message, usable).
Hint = Callable[[str], tuple[str, bool]]


class NamePrompt(QDialog):
    """One line to type a name into, completed from `completions`, with a word under it.

    Attributes:
        field: The line typed into.
        hint_label: What the text would do or why it cannot be used (plain text).
    """

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        label: str,
        text: str = "",
        *,
        completions: Sequence[str] = (),
        hint: Hint | None = None,
        tags: bool = False,
        allow_empty: bool = False,
        placeholder: str = "",
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self._hint = hint
        self._allow_empty = allow_empty
        question = QLabel(label, self)
        question.setTextFormat(Qt.TextFormat.PlainText)
        question.setWordWrap(True)
        self.field = QLineEdit(text, self)
        self.field.setMaxLength(1000)
        self.field.setPlaceholderText(placeholder)
        if tags:
            self.field.setCompleter(TagCompleter(completions, self.field))
        elif completions:
            self.field.setCompleter(name_completer(completions, self.field))
        self.hint_label = QLabel(self)
        self.hint_label.setObjectName("promptHint")
        self.hint_label.setTextFormat(Qt.TextFormat.PlainText)  # names are data, never markup
        self.hint_label.setWordWrap(True)
        self._buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self._buttons.accepted.connect(self.accept)
        self._buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(question)
        layout.addWidget(self.field)
        layout.addWidget(self.hint_label)
        layout.addWidget(self._buttons)
        self.field.textChanged.connect(self._update)
        self.field.selectAll()
        self._update(text)
        self.setMinimumWidth(420)

    def text(self) -> str:
        return self.field.text().strip()

    def _update(self, text: str) -> None:
        message, usable = self._hint(text) if self._hint else ("", bool(text.strip()))
        usable = usable and (self._allow_empty or bool(text.strip()))
        self.hint_label.setText(message)
        self.hint_label.setVisible(bool(message))
        ok = self._buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(usable)


def ask_name(
    parent: QWidget | None,
    title: str,
    label: str,
    text: str = "",
    *,
    completions: Sequence[str] = (),
    hint: Hint | None = None,
    placeholder: str = "",
) -> str | None:
    """A name typed by the reader (trimmed), or None if they cancelled."""
    prompt = NamePrompt(
        parent, title, label, text, completions=completions, hint=hint, placeholder=placeholder
    )
    return prompt.text() if prompt.exec() == QDialog.DialogCode.Accepted else None


def ask_tags(
    parent: QWidget | None, title: str, label: str, text: str, in_use: Sequence[str]
) -> list[str] | None:
    """Tags typed by the reader (comma-separated, completed from those in use), or None if
    they cancelled. An empty list is an answer (no tags)."""
    prompt = NamePrompt(
        parent,
        title,
        label,
        text,
        completions=in_use,
        hint=lambda _typed: ("Separate tags with commas.", True),
        tags=True,
        allow_empty=True,  # no tags is an answer when editing a case's tags
    )
    if prompt.exec() != QDialog.DialogCode.Accepted:
        return None
    return split_tags(prompt.field.text())


def confirm(parent: QWidget | None, title: str, text: str, action: str) -> bool:
    """True if the reader confirmed `action` (the button's label); Cancel is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    go = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is go
