"""The one place the UI announces changes to the library; panes redraw from what changed."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from desktop.store import Changes


class ChangeBus(QObject):
    """Carries every `Changes` the UI made to all panes.

    Signals:
        changed(Changes, object): what changed, and the pane that made the change (or None),
            so a pane can ignore its own changes.
    """

    changed = Signal(object, object)

    def announce(self, changes: Changes, initiator: object = None) -> None:
        if changes:
            self.changed.emit(changes, initiator)
