"""Backups from the window: back up now, and restore the library from a chosen backup."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from desktop.store import Library
from desktop.ui.dialogs import RestoreDialog
from desktop.ui.operations import Operations


class BackupActions(QObject):
    """File > Back Up Now and File > Restore from Backup."""

    def __init__(self, library: Library, operations: Operations, window: QWidget):
        super().__init__(window)
        self._library = library
        self._operations = operations
        self._window = window

    def backup_now(self) -> Path | None:
        """Writes a checked backup; returns its path, or None if none was made (and why is told)."""
        self._operations.save_edits()
        try:
            path = self._library.backup("manual")
        except Exception as error:
            self._operations.report(error, title="Backup failed", what="No backup was made.")
            return None
        self._operations.tell(f"Backed up to {path}", 8000)
        return path

    def choose_and_restore(self) -> None:
        dialog = RestoreDialog(self._library, self._window)
        if dialog.exec() != RestoreDialog.DialogCode.Accepted:
            return
        chosen = dialog.chosen()
        if chosen is not None:
            self.restore_from(chosen.path)

    def restore_from(self, path: Path) -> bool:
        """Restores a backup over the library (after backing the library up); every pane
        redraws from the whole-library change it announces."""
        if not self._operations.save_edits():
            return False
        changes = self._operations.run(
            lambda: self._library.restore(path), title="Restore failed", what="Nothing was changed."
        )
        if changes is None:
            return False
        self._operations.tell(f"Restored {path.name}", 8000)
        return True
