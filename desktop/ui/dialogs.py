"""Dialogs: the import report, keyboard shortcuts, restore from backup, note history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.formats.registry import NOT_A_FORMAT
from desktop.model import NoteVersion
from desktop.store import Backup, Library, LibraryError

if TYPE_CHECKING:
    from desktop.importer import ImportReport


class ImportReportDialog(QDialog):
    """What an import did: the counts, then every failed file with its reason."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Import finished" if not report.cancelled else "Import cancelled")
        summary = QLabel(report.summary().capitalize() + ".", self)
        summary.setObjectName("importSummary")
        summary.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        lines = [f"FAILED  {path}\n        {reason}" for path, reason in report.failed]
        lines += [f"warning {path}\n        {message}" for path, message in report.warnings]
        lines += [f"shorter {path}\n        {message}" for path, message in report.shrunk]
        lines += [f"skipped {path}\n        {NOT_A_FORMAT}" for path in report.skipped]
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setPlainText("\n".join(lines))
        self.details.setVisible(bool(lines))
        layout.addWidget(self.details, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(640, 360 if lines else 120)


class ShortcutsDialog(QDialog):
    """Help > Keyboard shortcuts: every shortcut the window defines, from one table."""

    def __init__(self, shortcuts: list[tuple[str, str]], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(shortcuts), 2, self)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setShowGrid(False)
        for row, (keys, action) in enumerate(shortcuts):
            table.setItem(row, 0, QTableWidgetItem(keys))
            table.setItem(row, 1, QTableWidgetItem(action))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        self.table = table
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(520, 460)


class RestoreDialog(QDialog):
    """File > Restore from Backup: each backup with its date and what it holds."""

    def __init__(self, library: Library, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Restore from backup")
        intro = QLabel(
            "Choose a backup to restore. Your library as it is now is backed up first, "
            "so a restore can itself be undone.",
            self,
        )
        intro.setWordWrap(True)
        self.table = QTableWidget(0, 5, self)
        self.table.setHorizontalHeaderLabels(["Taken", "Why", "Cases", "Notes", "Bookmarks"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.backups: list[Backup] = []
        for item in library.backups():
            try:
                contents = library.backup_contents(item.path)
            except LibraryError:
                continue  # an unreadable file is not offered
            row = self.table.rowCount()
            self.table.insertRow(row)
            # To the second: backups made the same minute must not look alike.
            for column, text in enumerate(
                (
                    item.taken_text(),
                    item.description,
                    str(contents.cases),
                    str(contents.notes),
                    str(contents.bookmarks),
                )
            ):
                cell = QTableWidgetItem(text)
                if column == 1:
                    cell.setToolTip(item.path.name)  # the file, for `lightbox restore FILE`
                elif column > 1:
                    cell.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, cell)
            self.backups.append(item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The reason (an import's file name can be long) takes what the counts leave.
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        if self.backups:
            self.table.selectRow(0)
        buttons = QDialogButtonBox(self)
        self.restore_button = buttons.addButton("Restore", QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(bool(self.backups))
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        empty = QLabel("There are no backups yet.", self)
        empty.setVisible(not self.backups)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(empty)
        layout.addWidget(buttons)
        self.resize(620, 380)

    def chosen(self) -> Backup | None:
        row = self.table.currentRow()
        return self.backups[row] if 0 <= row < len(self.backups) else None


class NoteHistoryDialog(QDialog):
    """The earlier versions of a note; the chosen one can be restored."""

    def __init__(self, versions: list[NoteVersion], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Note history")
        self.versions = versions
        self.list = QListWidget(self)
        for version in versions:
            first = next((line for line in version.body.splitlines() if line.strip()), "")
            when = version.saved_at.astimezone().strftime("%d %b %Y, %H:%M:%S")
            self.list.addItem(QListWidgetItem(f"{when} — {first[:60]}"))
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.list.currentRowChanged.connect(self._show)
        buttons = QDialogButtonBox(self)
        self.restore_button = buttons.addButton(
            "Restore this version", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.restore_button.setEnabled(bool(versions))
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if not versions:
            layout.addWidget(QLabel("This note has no earlier versions yet.", self))
        layout.addWidget(self.list, 1)
        layout.addWidget(self.text, 2)
        layout.addWidget(buttons)
        if versions:
            self.list.setCurrentRow(0)
        self.resize(640, 480)

    def chosen(self) -> NoteVersion | None:
        row = self.list.currentRow()
        return self.versions[row] if 0 <= row < len(self.versions) else None

    def _show(self, row: int) -> None:
        self.text.setPlainText(self.versions[row].body if 0 <= row < len(self.versions) else "")
