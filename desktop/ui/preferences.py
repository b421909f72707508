"""Edit > Preferences: what each highlight colour means to the reader ("red = key finding")."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.palette import PALETTE
from desktop.store import Changes, Library, LibraryError
from desktop.ui.highlighting import swatch_icon
from desktop.ui.operations import Operations

#: A colour's meaning, at most (characters): it must fit a menu item and a tooltip.
MAX_MEANING = 80


class PreferencesDialog(QDialog):
    """The reader's preferences; for now, a meaning for each of the eight colours.

    Saved through the operations runner on OK, in one change, so every pane (the colour
    bar, the menus, the notes panel) hears of it at once.

    Attributes:
        meaning_edits: The meaning's field, by colour name.
    """

    def __init__(self, library: Library, operations: Operations, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self._library = library
        self._operations = operations
        self._saved = library.colour_meanings()
        self.meaning_edits: dict[str, QLineEdit] = {}
        box = QGroupBox("Highlight colours", self)
        grid = QGridLayout(box)
        grid.setColumnStretch(2, 1)
        grid.setHorizontalSpacing(10)
        for row, colour in enumerate(PALETTE):
            swatch = QLabel(box)
            swatch.setPixmap(swatch_icon(colour, 16).pixmap(16, 16))
            name = QLabel(f"{colour.label} ({colour.key})", box)
            name.setTextFormat(Qt.TextFormat.PlainText)
            field = QLineEdit(self._saved.get(colour.name, ""), box)
            field.setMaxLength(MAX_MEANING)
            # One example is enough; eight make the form look busy.
            field.setPlaceholderText(
                "What it means to you, e.g. key finding" if colour.key == 1 else "No meaning yet"
            )
            field.setClearButtonEnabled(True)
            name.setBuddy(field)
            grid.addWidget(swatch, row, 0)
            grid.addWidget(name, row, 1)
            grid.addWidget(field, row, 2)
            self.meaning_edits[colour.name] = field
        hint = QLabel(
            "A colour's meaning shows in the colour bar, the Highlight menus and tooltips.",
            self,
        )
        hint.setObjectName("preferencesHint")
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.resize(480, self.sizeHint().height())

    def changed(self) -> dict[str, str]:
        """The meanings edited here that differ from the saved ones, by colour name."""
        typed = {name: field.text().strip() for name, field in self.meaning_edits.items()}
        return {name: text for name, text in typed.items() if text != self._saved.get(name, "")}

    def save(self) -> bool:
        """Saves the edited meanings (all or none); False if the library refused."""
        edited = self.changed()
        if not edited:
            return True

        def store() -> Changes:
            changes = Changes()
            with self._library.transaction():
                for name, meaning in edited.items():
                    changes |= self._library.set_colour_meaning(name, meaning)
            return changes

        saved = self._operations.run(
            store, what="The colours' meanings were not saved.", expected=(LibraryError, ValueError)
        )
        if saved is None:
            return False
        self._saved.update(edited)
        return True

    def accept(self) -> None:
        if self.save():
            super().accept()
