"""Edit > Preferences: what each highlight colour means to the reader ("red = key finding"),
and how well the drill's schedule aims to have cases remembered (FSRS's desired retention)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from desktop import study
from desktop.palette import PALETTE
from desktop.store import Changes, Library, LibraryError
from desktop.ui.highlighting import swatch_icon
from desktop.ui.operations import Operations

#: A colour's meaning, at most (characters): it must fit a menu item and a tooltip.
MAX_MEANING = 80


class PreferencesDialog(QDialog):
    """The reader's preferences: a meaning for each of the eight colours, and the drill's
    desired retention.

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
        self._saved_retention = library.desired_retention()
        drill = QGroupBox("Drill", self)
        drill_form = QFormLayout(drill)
        self.retention = QDoubleSpinBox(drill)
        low, high = study.RETENTION_RANGE
        self.retention.setRange(low * 100, high * 100)
        self.retention.setDecimals(0)
        self.retention.setSingleStep(1)
        self.retention.setSuffix(" %")
        self.retention.setValue(round(self._saved_retention * 100))
        drill_form.addRow("Desired retention:", self.retention)
        retention_hint = QLabel(
            "How many of your cases you aim to still know when they come back. Higher means"
            " shorter intervals and more reviews; 90 % suits most readers.",
            drill,
        )
        retention_hint.setObjectName("preferencesHint")
        retention_hint.setWordWrap(True)
        drill_form.addRow(retention_hint)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(box)
        layout.addWidget(hint)
        layout.addWidget(drill)
        layout.addWidget(buttons)
        self.resize(480, self.sizeHint().height())

    def changed(self) -> dict[str, str]:
        """The meanings edited here that differ from the saved ones, by colour name."""
        typed = {name: field.text().strip() for name, field in self.meaning_edits.items()}
        return {name: text for name, text in typed.items() if text != self._saved.get(name, "")}

    def chosen_retention(self) -> float | None:
        """The desired retention chosen here, if it differs from the saved one."""
        # Compared as the box shows them (whole percents): OK never rounds a retention set
        # more finely elsewhere (the command line takes 0.875).
        shown = round(self.retention.value())
        return None if shown == round(self._saved_retention * 100) else shown / 100

    def save(self) -> bool:
        """Saves the edited meanings and retention (all or none); False if the library
        refused."""
        edited = self.changed()
        retention = self.chosen_retention()
        if not edited and retention is None:
            return True

        def store() -> Changes:
            changes = Changes()
            with self._library.transaction():
                for name, meaning in edited.items():
                    changes |= self._library.set_colour_meaning(name, meaning)
                if retention is not None:
                    changes |= self._library.set_desired_retention(retention)
            return changes

        saved = self._operations.run(
            store, what="The preferences were not saved.", expected=(LibraryError, ValueError)
        )
        if saved is None:
            return False
        self._saved.update(edited)
        if retention is not None:
            self._saved_retention = retention
        return True

    def accept(self) -> None:
        if self.save():
            super().accept()
