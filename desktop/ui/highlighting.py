"""Making and changing highlights in the detail pane: the keys 1-8, the colour bar at a
selection, the context menu, the hover tooltip, the comment editor and Attach Here.

Every change runs through the operations runner; the pane redraws from the Changes it
announces, so this module never draws a highlight itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QIcon,
    QKeyEvent,
    QPainter,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.model import Highlight
from desktop.palette import COLOURS, DEFAULT_COLOUR, PALETTE, Colour
from desktop.store import Changes, Library, LibraryError
from desktop.ui.case_view import DetailPane, tooltip_html
from desktop.ui.completion import TagCompleter, split_tags
from desktop.ui.labels import menu_text
from desktop.ui.operations import Operations
from desktop.ui.undo import Undone, UndoStack

#: A comment longer than this is cut short in the hover tooltip (the editor shows it all).
TOOLTIP_COMMENT_CHARS = 500
#: What a highlight change may raise besides a storage error: the highlight went away
#: meanwhile (LookupError), or the store refused the values (ValueError: too many tags).
#: The failures of a highlight change that are the library's or the world's, not bugs: storage
#: errors, the highlight or its case gone (another program), a comment too long.
EDIT_FAILURES: tuple[type[Exception], ...] = (LibraryError, LookupError, ValueError)


def delete_highlight_with_undo(
    library: Library,
    operations: Operations,
    undo: UndoStack | None,
    uid: str,
    initiator: object = None,
) -> bool:
    """Deletes a highlight (a tombstone) and puts "Undo Delete Highlight" on the window's
    Undo; the tombstone is kept, so `lightbox highlight undelete` brings it back after a
    restart too. Returns False if it could not be deleted (the reader is told why)."""
    changes = operations.run(
        lambda: library.delete_highlight(uid),
        initiator=initiator,
        what="The highlight was not deleted.",
        expected=EDIT_FAILURES,
    )
    if changes is None:
        return False
    if undo is not None:
        push_undelete(library, operations, undo, uid)
    operations.tell("Highlight deleted. Edit > Undo (Ctrl+Z) brings it back.")
    return True


#: The keys that delete the chosen highlight in a list of highlights.
DELETE_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)


def claims_delete_key(event: QEvent) -> bool:
    """Whether `event` is Delete (or Backspace) about to reach a shortcut: a list of
    highlights takes it first, since there it means the highlight, never the window's Move
    to Trash."""
    return (
        event.type() == QEvent.Type.ShortcutOverride
        and isinstance(event, QKeyEvent)
        and event.key() in DELETE_KEYS
    )


def show_row_menu(
    view: QAbstractItemView, event: QContextMenuEvent, menu_for: Callable[[int], QMenu | None]
) -> None:
    """A list's context menu for the row under the pointer, which becomes the current one."""
    index = view.indexAt(event.pos())
    if not index.isValid():
        return
    view.setCurrentIndex(index)
    menu = menu_for(index.row())
    if menu is not None:
        menu.exec(event.globalPos())


#: The undo key of a deleted highlight: (UNDELETE, its uid).
UNDELETE = "undelete-highlight"


def push_undelete(library: Library, operations: Operations, undo: UndoStack, uid: str) -> None:
    """Puts "Undo Delete Highlight" for a deleted highlight on the window's Undo (also for
    those deleted in an earlier run: see `desktop.ui.window_state`)."""

    def bring_back() -> Undone:
        if library.highlight(uid) is None:
            return Undone.GONE  # purged since, or another library
        changes = operations.run(
            lambda: library.undelete_highlight(uid),
            what="The highlight was not brought back.",
            expected=EDIT_FAILURES,
        )
        if changes is None:
            return Undone.FAILED
        return Undone.DONE if changes else Undone.GONE  # already back (another program)

    undo.push("Undo Delete Highlight", bring_back, key=(UNDELETE, uid))


def swatch_icon(colour: Colour, size: int = 16) -> QIcon:
    """A round swatch of a palette colour, for menus, the colour bar and Preferences."""
    return _swatch_icon(colour.name, size)


@functools.cache
def _swatch_icon(name: str, size: int) -> QIcon:
    shade = QColor(COLOURS[name].hex)
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(size * scale, size * scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(shade.darker(140))
        painter.setBrush(shade)
        inset = scale
        painter.drawEllipse(inset, inset, size * scale - 2 * inset, size * scale - 2 * inset)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        icon.addPixmap(pixmap)
    return icon


def colour_label(colour: Colour, meanings: dict[str, str]) -> str:
    """ "Red — key finding", or just "Red" when the reader gave it no meaning."""
    meaning = meanings.get(colour.name, "").strip()
    return f"{colour.label} — {meaning}" if meaning else colour.label


def swatch_tooltip(colour: Colour, meanings: dict[str, str]) -> str:
    """A colour bar swatch's tooltip: "Yellow (1) — key finding"."""
    meaning = meanings.get(colour.name, "").strip()
    named = f"{colour.label} ({colour.key})"
    return f"{named} — {meaning}" if meaning else named


def tooltip_text(highlight: Highlight, meanings: dict[str, str]) -> str:
    """What hovering a highlight shows, as plain text: its colour and meaning, its comment
    (cut at TOOLTIP_COMMENT_CHARS) and its tags."""
    colour = COLOURS.get(highlight.colour)
    lines = [colour_label(colour, meanings) if colour else highlight.colour]
    comment = highlight.comment.strip()
    if len(comment) > TOOLTIP_COMMENT_CHARS:
        comment = comment[:TOOLTIP_COMMENT_CHARS].rstrip() + "…"
    if comment:
        lines.append(comment)
    if highlight.tags:
        lines.append("Tags: " + ", ".join(highlight.tags))
    return "\n".join(lines)


class ColourBar(QFrame):
    """Eight swatches and a Comment button, shown beside a fresh selection.

    Signals:
        chosen(str): a colour's name was clicked.
        comment_requested(): Comment… was clicked.
    """

    chosen = Signal(str)
    comment_requested = Signal()

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self._area = parent
        self.setObjectName("colourBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 3, 4, 3)
        layout.setSpacing(1)
        #: One button per colour, in palette order.
        self.swatches: dict[str, QToolButton] = {}
        for colour in PALETTE:
            button = self._button()
            button.setIcon(swatch_icon(colour, 18))
            button.clicked.connect(functools.partial(self.chosen.emit, colour.name))
            self.swatches[colour.name] = button
            layout.addWidget(button)
        self.comment_button = self._button()
        self.comment_button.setText("Comment…")
        self.comment_button.setToolTip("Highlight in yellow and write a comment")
        self.comment_button.clicked.connect(self.comment_requested)
        layout.addSpacing(4)
        layout.addWidget(self.comment_button)
        self.set_meanings({})
        self.hide()

    def set_meanings(self, meanings: dict[str, str]) -> None:
        for colour in PALETTE:
            # The meaning is the reader's text: never markup.
            self.swatches[colour.name].setToolTip(tooltip_html(swatch_tooltip(colour, meanings)))

    def show_near(self, below: QRect, above: QRect) -> None:
        """Shows the bar under the line `below` (viewport coordinates), or over the line
        `above` when there is no room under it, kept inside the viewport."""
        self.adjustSize()
        area = self._area.rect()
        margin = 6
        x = below.center().x() - self.width() // 2
        x = max(margin, min(x, area.width() - self.width() - margin))
        y = below.bottom() + margin
        if y + self.height() > area.height() - margin:
            y = above.top() - self.height() - margin
        y = max(margin, min(y, area.height() - self.height() - margin))
        self.move(x, y)
        self.show()
        self.raise_()

    def _button(self) -> QToolButton:
        button = QToolButton(self)
        button.setAutoRaise(True)
        # The case view keeps the focus, and with it the selection the bar acts on.
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        return button


class HighlightDialog(QDialog):
    """Edit Comment and Tags: the highlight's quote, its Markdown comment and its tags.

    Attributes:
        uid: The highlight edited.
        comment_edit: The comment (Markdown).
        tags_edit: The tags, comma-separated, completed from the library's tags.
    """

    def __init__(self, highlight: Highlight, tags: Sequence[str], parent: QWidget | None = None):
        super().__init__(parent)
        self.uid = highlight.uid
        self.setWindowTitle("Comment and Tags")
        quote = QLabel(menu_text(highlight.quote or highlight.text, 200).replace("&&", "&"), self)
        quote.setObjectName("highlightQuote")
        quote.setTextFormat(Qt.TextFormat.PlainText)  # case text is data, never markup
        quote.setWordWrap(True)
        self.comment_edit = QPlainTextEdit(self)
        self.comment_edit.setPlainText(highlight.comment)
        self.comment_edit.setPlaceholderText("Your comment (Markdown)")
        self.comment_edit.setTabChangesFocus(True)
        self.tags_edit = QLineEdit(", ".join(highlight.tags), self)
        self.tags_edit.setPlaceholderText("Tags, separated by commas")
        self.tags_edit.setCompleter(TagCompleter(tags, self.tags_edit))
        form = QFormLayout()
        form.addRow("Comment:", self.comment_edit)
        form.addRow("Tags:", self.tags_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(quote)
        layout.addLayout(form, 1)
        layout.addWidget(buttons)
        self.comment_edit.setFocus()
        self.resize(460, 300)

    def comment(self) -> str:
        return self.comment_edit.toPlainText().strip()

    def tags(self) -> list[str]:
        return split_tags(self.tags_edit.text())


class HighlightController(QObject):
    """The reader's commands on highlights in the detail pane.

    Keys 1-8 highlight the selection while the case view has the focus (nowhere else: the
    search field and the notes take digits as text); a mouse selection in a section offers
    the colour bar; the context menu highlights, recolours, edits, deletes and attaches.

    Attributes:
        colour_bar: The bar of swatches shown at a fresh selection.
        highlight_menu: Edit > Highlight Selection: the eight colours.
        editor: The comment editor last opened (None before), for tests.
    """

    def __init__(
        self,
        library: Library,
        operations: Operations,
        pane: DetailPane,
        undo: UndoStack,
        parent: QObject | None = None,
    ):
        super().__init__(parent or pane)
        self._library = library
        self._operations = operations
        self._pane = pane
        self._undo = undo
        self._meanings: dict[str, str] | None = None
        self.editor: HighlightDialog | None = None
        view = pane.view
        self.colour_bar = ColourBar(view.viewport())
        self.colour_bar.chosen.connect(self.highlight_selection)
        self.colour_bar.comment_requested.connect(
            lambda: self.highlight_selection(DEFAULT_COLOUR, comment=True)
        )
        self.highlight_menu = QMenu("&Highlight Selection", pane)
        self.highlight_menu.aboutToShow.connect(self._fill_highlight_menu)
        view.key_taker = self._take_key
        view.tooltip_at = self._tooltip_at
        view.mouse_pressed.connect(self.colour_bar.hide)
        view.mouse_released.connect(self.offer_colour_bar)
        view.focus_lost.connect(self._focus_lost)
        view.menu_requested.connect(self.fill_menu)
        view.selectionChanged.connect(self._selection_changed)
        view.verticalScrollBar().valueChanged.connect(self.colour_bar.hide)
        view.horizontalScrollBar().valueChanged.connect(self.colour_bar.hide)
        pane.case_opened.connect(self.colour_bar.hide)
        operations.bus.changed.connect(self.on_changes)

    # --- what the reader can do ------------------------------------------------------------

    def highlight_selection(self, colour: str, *, comment: bool = False) -> list[str]:
        """Highlights the selection in a colour, one highlight per section it covers, then
        clears it; with `comment`, opens the comment editor on the (first) new highlight.

        Returns:
            The new highlights' uids (none if the selection holds no section text, or the
            library refused).
        """
        case_id = self._pane.case_id
        passages = self._pane.highlightable_passages()
        if case_id is None or not passages:
            if self._pane.view.textCursor().hasSelection():
                self._operations.tell(
                    "Nothing to highlight: select words in a section (headings, chips and"
                    " references cannot be highlighted).",
                    5000,
                )
            return []
        made: list[str] = []

        def make() -> Changes:
            # One transaction: a selection across sections is highlighted whole or not at all.
            with self._library.transaction():
                for key, start, end in passages:
                    made.append(
                        self._library.add_highlight(case_id, key, start, end, colour=colour)
                    )
            return Changes(highlights=frozenset({case_id}))

        if self._run(make, "The highlight was not saved.") is None:
            return []
        self._clear_selection()
        name = colour.lower()
        self._operations.tell(
            f"Made {len(made)} {name} highlights, one per section."
            if len(made) > 1
            else f"Highlighted in {name}.",
            4000,
        )
        if comment and made:
            self.edit_highlight(made[0])
        return made

    def attach_to_selection(self, uid: str) -> bool:
        """Puts a detached highlight on the passage selected in the detail pane (it must lie
        in one section); False, with a word in the status bar, if it could not."""
        passages = self._pane.highlightable_passages()
        if len(passages) != 1:
            self._operations.tell(
                "To attach a highlight, first select its passage in one section of the case.",
                5000,
            )
            return False
        key, start, end = passages[0]
        if (
            self._run(
                lambda: self._library.attach_highlight(uid, key, start, end),
                "The highlight was not attached.",
            )
            is None
        ):
            return False
        self._clear_selection()
        self._operations.tell("Attached the highlight here.", 4000)
        return True

    def set_colour(self, uid: str, colour: str) -> bool:
        return (
            self._run(
                lambda: self._library.edit_highlight(uid, colour=colour),
                "The highlight's colour was not changed.",
            )
            is not None
        )

    def edit_highlight(self, uid: str) -> HighlightDialog | None:
        """Opens the comment and tags editor on a highlight (window-modal; saved on Save)."""
        highlight = self._library.highlight(uid)
        if highlight is None:
            return None
        tags = [tag for tag, _count in self._library.highlight_tags()]
        dialog = HighlightDialog(highlight, tags, self._pane.window())
        dialog.accepted.connect(
            lambda: self.save_comment_and_tags(uid, dialog.comment(), dialog.tags())
        )
        dialog.finished.connect(dialog.deleteLater)
        self.editor = dialog
        dialog.open()
        return dialog

    def save_comment_and_tags(self, uid: str, comment: str, tags: Sequence[str]) -> bool:
        return (
            self._run(
                lambda: self._library.edit_highlight(uid, comment=comment, tags=list(tags)),
                "The comment and tags were not saved.",
            )
            is not None
        )

    def delete_highlight(self, uid: str) -> bool:
        """Deletes a highlight (a tombstone); Edit > Undo brings it back."""
        return delete_highlight_with_undo(self._library, self._operations, self._undo, uid)

    def meanings(self) -> dict[str, str]:
        """What the reader said each colour means (read once, then from the change bus)."""
        if self._meanings is None:
            self._meanings = self._library.colour_meanings()
        return self._meanings

    def tooltip_for(self, highlight: Highlight) -> str:
        """The hover tooltip's text (plain) for a highlight."""
        return tooltip_text(highlight, self.meanings())

    def offer_colour_bar(self) -> bool:
        """Shows the colour bar beside the selection if it holds section text."""
        view = self._pane.view
        cursor = view.textCursor()
        if not cursor.hasSelection() or not self._pane.highlightable_passages():
            self.colour_bar.hide()
            return False
        self.colour_bar.set_meanings(self.meanings())
        edge = view.textCursor()
        edge.setPosition(cursor.selectionStart())
        top = view.cursorRect(edge)
        edge.setPosition(cursor.selectionEnd())
        self.colour_bar.show_near(view.cursorRect(edge), top)
        return True

    # --- the context menu ------------------------------------------------------------------

    def fill_menu(self, menu: QMenu, point: QPoint) -> None:
        """Adds the highlight commands to the case view's context menu for a viewport point."""
        view = self._pane.view
        position = view.document_position_at(point)
        under = self._pane.highlight_at(position) if position is not None else None
        cursor = view.textCursor()
        if cursor.hasSelection():
            passages = self._pane.highlightable_passages()
            menu.addSeparator()
            colours = menu.addMenu("&Highlight")
            colours.setEnabled(bool(passages))
            self._add_colour_actions(colours, self.highlight_selection)
            colours.addSeparator()
            self._connect(
                colours.addAction("Highlight with &Comment…"),
                lambda: self.highlight_selection(DEFAULT_COLOUR, comment=True),
            )
            detached = self._pane.detached_highlights()
            if detached and len(passages) == 1:
                attach = menu.addMenu("&Attach Detached Highlight Here")
                for highlight in detached:
                    colour = COLOURS.get(highlight.colour, COLOURS[DEFAULT_COLOUR])
                    action = attach.addAction(swatch_icon(colour), menu_text(highlight.quote))
                    self._connect(
                        action, functools.partial(self.attach_to_selection, highlight.uid)
                    )
        if under is not None:
            uid = under.uid
            menu.addSeparator()
            recolour = menu.addMenu("Highlight &Colour")
            for action in self._add_colour_actions(
                recolour, lambda name: self.set_colour(uid, name)
            ):
                action.setCheckable(True)
                action.setChecked(action.data() == under.colour)
            self._connect(
                menu.addAction("&Edit Comment and Tags…"),
                lambda: self.edit_highlight(uid),
            )
            self._connect(menu.addAction("&Delete Highlight"), lambda: self.delete_highlight(uid))

    # --- redrawn from the change bus -------------------------------------------------------

    def on_changes(self, changes: Changes, _initiator: object) -> None:
        if changes.colour_meanings or changes.whole_library:
            self._meanings = None
            if self.colour_bar.isVisible():
                self.colour_bar.set_meanings(self.meanings())

    # --- helpers -----------------------------------------------------------------------------

    def _run(self, change: Callable[[], Changes], what: str) -> Changes | None:
        return self._operations.run(change, title="Not saved", what=what, expected=EDIT_FAILURES)

    def _add_colour_actions(self, menu: QMenu, choose: Callable[[str], object]) -> list[QAction]:
        meanings = self.meanings()
        actions = []
        for colour in PALETTE:
            # The key after a tab shows as the item's shortcut without binding one: the
            # digits must stay text everywhere but the case view.
            label = f"{menu_text(colour_label(colour, meanings))}\t{colour.key}"
            action = menu.addAction(swatch_icon(colour), label)
            action.setData(colour.name)
            self._connect(action, functools.partial(choose, colour.name))
            actions.append(action)
        return actions

    def _fill_highlight_menu(self) -> None:
        self.highlight_menu.clear()
        self._add_colour_actions(self.highlight_menu, self.highlight_selection)
        self.highlight_menu.setEnabled(True)
        enabled = bool(self._pane.highlightable_passages())
        for action in self.highlight_menu.actions():
            action.setEnabled(enabled)

    @staticmethod
    def _connect(action: QAction, slot: Callable[[], object]) -> None:
        action.triggered.connect(lambda _checked=False: slot())

    def _clear_selection(self) -> None:
        view = self._pane.view
        cursor = view.textCursor()
        cursor.clearSelection()
        view.setTextCursor(cursor)
        self.colour_bar.hide()

    def _selection_changed(self) -> None:
        if not self._pane.view.textCursor().hasSelection():
            self.colour_bar.hide()

    def _colour_key(self, event: QKeyEvent) -> Colour | None:
        """The colour a key press asks for: 1-8 with no modifier (the keypad's too)."""
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers != Qt.KeyboardModifier.NoModifier:
            return None
        number = event.key() - Qt.Key.Key_0.value
        return PALETTE[number - 1] if 1 <= number <= len(PALETTE) else None

    def _tooltip_at(self, point: QPoint) -> str:
        position = self._pane.view.document_position_at(point)
        highlight = self._pane.highlight_at(position) if position is not None else None
        return self.tooltip_for(highlight) if highlight is not None else ""

    def _focus_lost(self) -> None:
        # A click on a swatch does not take the focus; a click anywhere else does.
        if not self.colour_bar.underMouse():
            self.colour_bar.hide()

    def _take_key(self, event: QKeyEvent, override: bool) -> bool:
        """Takes 1-8 over a selection and Esc over the colour bar; other keys go on.

        A taken key's shortcut override is accepted, so a window shortcut on the same key
        (the search field's Esc) does not fire instead.
        """
        colour = self._colour_key(event)
        if colour is not None and self._pane.view.textCursor().hasSelection():
            if not override:
                self.highlight_selection(colour.name)
            event.accept()
            return True
        if event.key() == Qt.Key.Key_Escape and self.colour_bar.isVisible():
            if not override:
                self.colour_bar.hide()
            event.accept()
            return True
        return False
