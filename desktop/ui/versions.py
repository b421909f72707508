"""Edit > Earlier Versions of Case: a case's earlier texts (what re-imports replaced), each
with its date, size and what differs from the current text, and Restore."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.model import Case, CaseId
from desktop.sections import case_sections
from desktop.store import CaseVersion, Changes, Library, LibraryError
from desktop.ui.operations import Operations


class CaseVersionsDialog(QDialog):
    """The earlier texts of one case, newest first; Restore makes the chosen one the case's
    text again (the current text becomes a version too). The reader's notes and marks are
    never touched.

    Attributes:
        versions: The versions listed, newest first.
        list: One row a version.
        text: The chosen version: what differs, then its text.
        restore_button: Restores the chosen version.
    """

    def __init__(
        self,
        library: Library,
        operations: Operations,
        case_id: CaseId,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Earlier versions of the case")
        self._library = library
        self._operations = operations
        self._case_id = case_id
        self._current: Case | None = None
        self.versions: list[CaseVersion] = []
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        self.list = QListWidget(self)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.list.currentRowChanged.connect(self._show)
        buttons = QDialogButtonBox(self)
        self.restore_button = buttons.addButton(
            "Restore this version", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.restore_button.clicked.connect(self.restore_chosen)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.text, 2)
        layout.addWidget(buttons)
        self.resize(680, 520)
        self.refresh()

    def refresh(self) -> None:
        """Reads the case and its versions again (after a restore)."""
        try:
            self._current = self._library.get_case(self._case_id)
            self.versions = list(reversed(self._library.case_versions(self._case_id)))
        except LibraryError as error:
            self._operations.report(error, title="Cannot read", what="The versions were not read.")
            self._current, self.versions = None, []
        self.list.clear()
        for version in self.versions:
            when = version.replaced_at.astimezone().strftime("%d %b %Y, %H:%M")
            self.list.addItem(
                QListWidgetItem(
                    f"Version {version.number} — replaced {when} by {version.replaced_by}"
                    f" — {version.size:,} characters"
                )
            )
        if self._current is None:
            self.heading.setText("This case is no longer in the library.")
        elif not self.versions:
            self.heading.setText(
                f"{self._current.title}\n\nNo earlier versions: no import has changed this"
                " case's text."
            )
        else:
            self.heading.setText(
                f"{self._current.title}\n\nEarlier texts of this case, newest first. Restoring"
                " one keeps the current text as a version too; your notes and marks stay."
            )
        self.restore_button.setEnabled(bool(self.versions) and self._current is not None)
        if self.versions:
            self.list.setCurrentRow(0)
        else:
            self.text.clear()

    def chosen(self) -> CaseVersion | None:
        row = self.list.currentRow()
        return self.versions[row] if 0 <= row < len(self.versions) else None

    def restore_chosen(self) -> Changes | None:
        """Restores the chosen version through the operations runner; None if it failed."""
        version = self.chosen()
        if version is None:
            return None
        number = version.number
        changes = self._operations.run(
            lambda: self._library.restore_case_version(self._case_id, number),
            initiator=self,
            title="Not restored",
            what=f"Version {number} was not restored.",
            expected=(LibraryError, LookupError),
        )
        if changes is not None:
            self._operations.tell(
                f"Restored version {number}; the text it replaced is kept as a version."
            )
            self.refresh()
        return changes

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.versions) or self._current is None:
            self.text.clear()
            return
        version = self.versions[row]
        said = version.differences(self._current)
        lines = [
            "Compared with the current text: " + ("; ".join(said) if said else "the same text"),
            "",
        ]
        for section in case_sections(version.case):
            lines += [section.heading.upper(), section.text, ""]
        self.text.setPlainText("\n".join(lines))


def show_case_versions(
    library: Library, operations: Operations, case_id: CaseId | None, parent: QWidget
) -> CaseVersionsDialog | None:
    """Opens the versions of the case (the current one); None when no case is chosen."""
    if case_id is None:
        operations.tell("Choose a case first.", 4000)
        return None
    dialog = CaseVersionsDialog(library, operations, case_id, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
