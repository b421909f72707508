"""Dialogs: the import report, keyboard shortcuts, restore from backup, note history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
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


#: Help > Keyboard Shortcuts' content: (heading, [(keys, what they do), ...]) in order.
ShortcutGroups = list[tuple[str, list[tuple[str, str]]]]


class ShortcutsDialog(QDialog):
    """Help > Keyboard Shortcuts: every shortcut the window defines, in groups laid out in
    as few columns as let them all show without scrolling on the screen at hand.

    Attributes:
        columns: How many columns the groups were laid out in.
        scroll_area: Holds the groups; it scrolls only on a screen too small for them all.
    """

    #: The most columns tried before the groups are left to scroll.
    MOST_COLUMNS = 4
    #: What a window manager's frame and title bar take, at most, around the dialog.
    FRAME = QSize(16, 48)

    def __init__(
        self,
        groups: ShortcutGroups,
        parent: QWidget | None = None,
        *,
        available: QRect | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Keyboard Shortcuts")
        self.groups = [(title, rows) for title, rows in groups if rows]
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setObjectName("shortcutsScroll")
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll_area, 1)
        layout.addWidget(buttons)
        screen = available or self._available()
        margins = layout.contentsMargins()
        # Besides the groups: the margins and the Close button.
        extra = QSize(
            margins.left() + margins.right(),
            margins.top() + margins.bottom() + layout.spacing() + buttons.sizeHint().height(),
        )
        most = QSize(screen.width() - self.FRAME.width(), screen.height() - self.FRAME.height())
        room = most - extra
        self.columns = 0
        while self.columns < self.MOST_COLUMNS:
            self.columns += 1
            content = self._laid_out(self.columns)
            if content.sizeHint().height() <= room.height():
                break
            wider = self._laid_out(self.columns + 1).sizeHint()
            if wider.width() > room.width():
                break  # no room for another column: these scroll
        self.scroll_area.setWidget(content)
        wanted = content.sizeHint() + extra
        if wanted.height() > most.height():  # a small screen: the groups scroll
            wanted += QSize(self.scroll_area.verticalScrollBar().sizeHint().width(), 0)
        else:  # no scroll bar, nor the room one takes
            self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.resize(min(wanted.width(), most.width()), min(wanted.height(), most.height()))

    def rows(self) -> list[tuple[str, str]]:
        """Every (keys, what they do) on show, group by group."""
        return [row for _, rows in self.groups for row in rows]

    def _available(self) -> QRect:
        owner = self.parentWidget()
        screen = owner.screen() if owner is not None else self.screen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, 1280, 720)

    def _laid_out(self, columns: int) -> QWidget:
        """The groups in `columns` columns, each about as tall as the others; in a column,
        one grid, so that every group's keys line up."""
        content = QWidget()
        content.setObjectName("shortcutsContent")
        side_by_side = QHBoxLayout(content)
        side_by_side.setSpacing(40)
        for chunk in _balanced(self.groups, columns):
            grid = QGridLayout()
            grid.setHorizontalSpacing(16)
            grid.setVerticalSpacing(3)
            row = 0
            for title, rows in chunk:
                if row:
                    grid.setRowMinimumHeight(row, 10)  # a gap above each later heading
                    row += 1
                grid.addWidget(self._label(title, content, "shortcutGroup"), row, 0, 1, 2)
                row += 1
                for keys, action in rows:
                    grid.addWidget(self._label(keys, content, "shortcutKeys"), row, 0)
                    grid.addWidget(self._label(action, content, "shortcutAction"), row, 1)
                    row += 1
            grid.setRowStretch(row, 1)
            grid.setColumnStretch(1, 1)
            side_by_side.addLayout(grid)
        return content

    @staticmethod
    def _label(text: str, parent: QWidget, name: str) -> QLabel:
        label = QLabel(text, parent)
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        font = label.font()
        if name == "shortcutGroup":
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 1.1)
        elif name == "shortcutKeys":
            font.setWeight(QFont.Weight.DemiBold)
        label.setFont(font)
        if name == "shortcutAction":
            # A long description wraps rather than widen its whole column.
            widest = label.fontMetrics().averageCharWidth() * 36
            if label.sizeHint().width() > widest:
                label.setWordWrap(True)
                label.setFixedWidth(widest)
                wrapped = label.fontMetrics().boundingRect(
                    QRect(0, 0, widest, 10_000), Qt.TextFlag.TextWordWrap, text
                )
                label.setFixedHeight(wrapped.height())
        return label


def _balanced(groups: ShortcutGroups, columns: int) -> list[ShortcutGroups]:
    """Splits the groups, in order, into at most `columns` runs whose tallest is as short as
    can be (a heading counts as two rows: it has space above it)."""
    heights = [len(rows) + 2 for _, rows in groups]
    best: list[ShortcutGroups] = [groups]
    best_tallest = sum(heights)

    def split(start: int, left: int, taken: list[ShortcutGroups], tallest: int) -> None:
        nonlocal best, best_tallest
        if start == len(groups):
            if tallest < best_tallest:
                best, best_tallest = list(taken), tallest
            return
        if left == 0:
            return
        for end in range(start + 1, len(groups) + 1):
            height = sum(heights[start:end])
            if max(tallest, height) >= best_tallest:
                break
            split(end, left - 1, [*taken, groups[start:end]], max(tallest, height))

    split(0, columns, [], 0)
    return best


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
        # Wide enough for every column (an import's name can be long), within the screen.
        wanted = 60 + sum(
            max(self.table.sizeHintForColumn(c), header.sectionSizeHint(c))
            for c in range(header.count())
        )
        screen = self.screen().availableGeometry() if self.screen() else None
        most = screen.width() - 40 if screen is not None else wanted
        self.resize(max(620, min(wanted, most)), 400)

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
