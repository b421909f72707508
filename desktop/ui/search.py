"""Search as you type: the search box (with a line under it saying why a search failed, and
beside it how many cases the list holds), the worker that runs it, and what the list shows:
the sidebar entry, or the hits within it."""

from __future__ import annotations

import html
import re
import sys
import traceback

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QVBoxLayout, QWidget

from desktop.model import CaseFilter
from desktop.query import short_query
from desktop.store import Hit, Library, LibraryError, QueryInvalid, query_cut_notice
from desktop.ui import theme
from desktop.ui.case_list import CaseListView
from desktop.ui.case_view import DetailPane
from desktop.ui.operations import describe
from desktop.ui.sidebar import Sidebar
from desktop.ui.workers import SearchWorker

#: Search waits for a pause in typing this long.
SEARCH_AFTER_MS = 150
#: At most this many hits are listed (the library's search keeps the best this many).
HIT_LIMIT = 200


def list_count_text(shown: int, of: int | None, *, capped: bool = False, where: str = "") -> str:
    """How many cases the list holds, as it reads beside the search box: "2,431 cases"
    (`of` None: the list is not narrowed), "7 of 2,431", "200+ of 2,431" (`capped`: the
    search listed its best `HIT_LIMIT` and more may match), "3 in the Trash" (`where`)."""
    number = f"{shown:,}{'+' if capped else ''}"
    if of is not None:
        return f"{number} of {of:,}"
    if where:
        return f"{number} {where}"
    return f"{number} case{'' if shown == 1 and not capped else 's'}"


class SearchBar(QWidget):
    """The search box and everything behind it.

    A search runs on the worker's thread; a newer query interrupts an older one, whose result
    (if it still comes) is dropped by its generation. A search that fails for any other reason
    says why under the box and leaves the list as it was: an empty list would claim that
    nothing matched.

    Attributes:
        field: The search box.
        error: The line under it, shown only while the last search failed (cut to the
            box's width with an ellipsis; the whole reason is `error_text` and its tooltip).
        error_text: Why the last search failed, whole ("" when it did not).
        notice_text: A notice about the last search (a query cut to its first words), or "".
        timer: Starts the search when typing pauses.
        worker: Runs searches off the GUI thread.
        generation: The number of the newest search; results of older ones are dropped.
        count: Beside the box: how many cases the list holds ("7 of 2,431" while a search
            or a sidebar entry narrows it); the tooltip says it in words.
    """

    def __init__(
        self,
        library: Library,
        view: CaseListView,
        sidebar: Sidebar,
        detail: DetailPane,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self._model = view.case_model
        self._view = view
        self._sidebar = sidebar
        self._detail = detail
        self.field = QLineEdit(self)
        self.field.setObjectName("searchBox")
        self.field.setPlaceholderText("Search cases and notes   (Ctrl+L or /)")
        self.field.setClearButtonEnabled(True)
        self.field.addAction(theme.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.field.setMinimumWidth(320)
        self.error = QLabel(self)
        self.error.setObjectName("searchError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # the reason may quote the query
        # As wide as the box, never wider: a long reason is cut, and whole in its tooltip.
        self.error.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.error.setContentsMargins(9, 0, 0, 0)  # under the box's text, not its frame
        self.error.hide()
        self.error_text = ""
        self.notice_text = ""
        self.count = QLabel(self)
        self.count.setObjectName("caseCount")
        self.count.setTextFormat(Qt.TextFormat.PlainText)
        # Muted, as a caption is, in either palette.
        self.count.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.count.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(10)
        row.addWidget(self.field)
        row.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(SEARCH_AFTER_MS)
        self.timer.timeout.connect(self.run_search)
        self.generation = 0
        #: The generation of a search run again over a changed library: its hits replace
        #: the rows in place (the scroll and selection stay).
        self._in_place_generation = -1
        self.worker = SearchWorker(library, self)
        self.worker.finished.connect(self._finished)
        self.field.textChanged.connect(lambda _text: self.timer.start())
        sidebar.filter_selected.connect(self.filter_selected)
        # The count follows the rows (a search, an entry, a change) and the sidebar's counts.
        for signal in (
            self._model.modelReset,
            self._model.rowsInserted,
            self._model.rowsRemoved,
            sidebar.counts_changed,
            sidebar.highlights_selected,
        ):
            signal.connect(self.update_count)
        self.update_count()

    def terms(self) -> tuple[str, ...]:
        """The words of the query, for highlighting in the case (not its filters)."""
        from desktop.query import highlight_words  # loaded with the first search

        return highlight_words(self.field.text())

    def hits(self) -> list[Hit]:
        """The hits on show (empty outside a search)."""
        return self._model.hits

    def focus(self) -> None:
        self.field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.field.selectAll()

    def run_search(self) -> None:
        """Searches for the text in the box now (within the sidebar's entry)."""
        query = self.field.text()
        self.generation += 1
        self._view.query = query
        if not query.strip() or not re.search(r"\w", query):
            self._show_error(None)
            # Back to the entry's list in the order it had (the sort chosen stays).
            self._model.leave_search()
            self._view.set_two_line_rows(False)
            self._detail.set_highlight(())
            self._view.update_empty_label()
            return
        self.worker.search(self.generation, query, self._sidebar.current_filter())

    def search_again(self) -> None:
        """Runs the search on show again (the library changed), its hits moving into
        place rather than listed afresh."""
        if self.field.text().strip() and self._model.searching:
            self.run_search()
            self._in_place_generation = self.generation

    def filter_selected(self, case_filter: CaseFilter) -> None:
        """The reader picked a sidebar entry: list it, and search within it if searching."""
        sort = ("read", True) if case_filter.kind == "recent" else None
        self._model.show_filter(case_filter, sort)  # until the hits arrive, if searching
        if self.field.text().strip():
            self.timer.start(0)
        self._view.set_two_line_rows(False)

    def shutdown(self) -> None:
        self.timer.stop()
        self.worker.shutdown()

    def update_count(self) -> None:
        """Says beside the box how many cases the list holds, against what it narrows:
        the library's cases (the sidebar's "All cases"), or the entry a search looks in.
        Blank while the highlight browser stands in the list's place (it counts its own)."""
        model, sidebar = self._model, self._sidebar
        case_filter = model.case_filter
        name = sidebar.current_name() or "All cases"
        library_total = sidebar.count_number(CaseFilter())
        # While only the head of the list is loaded, the entry's count stands for it.
        shown = model.rowCount() if model.whole else sidebar.count_number(case_filter)
        if sidebar.showing_highlights() or shown is None:
            self.count.clear()
            self.count.setToolTip("")
            return
        if model.searching:
            in_all = case_filter.kind == "all"
            scope = library_total if in_all else sidebar.count_number(case_filter)
            capped = shown >= HIT_LIMIT and (scope is None or shown < scope)
            best = f"the best {shown:,} are listed, more may match" if capped else f"{shown:,}"
            tip = f"Matching “{short_query(self._view.query, 40)}” in {name}: {best}"
            if scope is not None:
                tip += f" of {scope:,} case{'' if scope == 1 else 's'}"
            text = list_count_text(shown, scope, capped=capped)
        elif case_filter.kind == "trash":
            text = list_count_text(shown, None, where="in the Trash")
            tip = "Cases in the Trash (not counted among the library's cases)"
        elif case_filter.kind == "all":
            text = list_count_text(shown, None)
            tip = "Cases in the library (out of the Trash)"
        else:
            text = list_count_text(shown, library_total)
            tip = f"{name}: {shown:,} of the library's cases"
        self.count.setText(text)
        self.count.setToolTip(f"<p>{html.escape(tip)}</p>")

    def _finished(self, generation: int, result: object) -> None:
        if generation != self.generation:
            return  # a newer query was typed since: its results are the ones to show
        if isinstance(result, BaseException):
            if not isinstance(result, LibraryError):  # a bug: its traceback goes to stderr
                traceback.print_exception(result, file=sys.stderr)
            self._show_error(result)
            return
        assert isinstance(result, list)
        notice = query_cut_notice(self._view.query)
        self._show_line(notice[:1].upper() + notice[1:] if notice else "", notice=True)
        self._view.set_two_line_rows(True)
        self._model.show_hits(result, in_place=generation == self._in_place_generation)
        self._detail.set_highlight(self.terms())
        if self._view.current_case() is None and self._model.rowCount():
            self._view.select_row(0)
        self._view.update_empty_label()

    def _show_error(self, error: BaseException | None) -> None:
        if error is None:
            self._show_line("")
            return
        if isinstance(error, QueryInvalid):
            # The reader's query, not a failure: what to fix and where; the list stays.
            self._show_line(str(error))
            return
        bug = "" if isinstance(error, LibraryError) else " (a bug in Lightbox)"
        self._show_line(f"Search failed{bug}: {describe(error)}")

    def _show_line(self, text: str, *, notice: bool = False) -> None:
        """The line under the box: why a search failed, or a notice about it (muted)."""
        self.error_text = "" if notice else text
        self.notice_text = text if notice else ""
        if not text:
            self.error.hide()
            self.error.clear()
            return
        self.error.setToolTip(f"<p>{html.escape(text)}</p>")  # never markup
        self.error.setProperty("dark", theme.is_dark())
        self.error.setProperty("notice", notice)
        self.error.style().unpolish(self.error)
        self.error.style().polish(self.error)
        self.error.show()
        self._fit_error()

    def _fit_error(self) -> None:
        width = self.error.contentsRect().width()
        self.error.setText(
            self.error.fontMetrics().elidedText(
                self.error_text or self.notice_text, Qt.TextElideMode.ElideRight, max(width, 0)
            )
        )

    # --- Qt overrides ----------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.error_text or self.notice_text:
            self._fit_error()
