"""The drill: cases one at a time with nothing that gives the answer away, revealed step by
step (Space), a typed diagnosis checked tolerantly, and a rating (1-4) that FSRS schedules.

The window shows it in place of the sidebar, list and reading panes (`MainWindow.start_drill`):
while drilling nothing on screen names a case's title, diagnosis, differential, notes or
highlight comments before the reader reveals them. Its own list (left) shows where the drill
is, by section, age and sex only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import study
from desktop.model import RATING_NAMES, Case, CaseId
from desktop.render import DRILL_STEPS, drill_anchor, message_html, render_drill
from desktop.sections import HEADINGS
from desktop.store import Changes, Library, LibraryError
from desktop.ui import theme
from desktop.ui.case_list import short_age
from desktop.ui.case_view import CaseView
from desktop.ui.operations import Operations
from desktop.ui.thumbnails import ThumbnailService

#: The step buttons' names, in `DRILL_STEPS` order.
STEP_NAMES = ("History", "Figures", "Findings", "Discussion", "Differential", "Diagnosis")
#: The verdict's colour, (light, dark): green, amber, red, readable on either background.
_VERDICT_COLOURS = {
    "correct": ("#2e7d32", "#81c995"),
    "partial": ("#9a5b00", "#f0b35a"),
    "wrong": ("#c62828", "#f28b82"),
}
#: The columns of the drill's own list (never the title or the diagnosis).
QUEUE_COLUMNS = ("#", "Section", "Age / sex", "Result")
#: A mark per rating in the drill's list.
_RATING_MARKS = {1: "✗", 2: "≈", 3: "✓", 4: "✓✓"}


@dataclass
class DrillSession:
    """The cases a drill takes, in order, where it is and how each went (no Qt).

    Attributes:
        ids: The cases, in the order the drill takes them.
        source: What the drill was started from, in words ("Due now", "Boards/Chest").
        position: The case on show (== len(ids) once finished).
        ratings: The rating given to each case rated in this drill.
        reviews: The review record of each rating (for Undo).
        answers: What was typed for each case, with the checker's verdict.
    """

    ids: list[CaseId]
    source: str
    position: int = 0
    ratings: dict[CaseId, int] = field(default_factory=dict)
    reviews: dict[CaseId, str] = field(default_factory=dict)
    answers: dict[CaseId, tuple[str, str, str]] = field(default_factory=dict)
    #: Ratings in the order given (for Undo).
    order: list[CaseId] = field(default_factory=list)
    #: Cases that left the library during the drill (another program deleted them).
    gone: set[CaseId] = field(default_factory=set)

    @property
    def current(self) -> CaseId | None:
        return self.ids[self.position] if 0 <= self.position < len(self.ids) else None

    @property
    def finished(self) -> bool:
        return self.position >= len(self.ids)

    def next_unrated(self, after: int) -> int:
        """The first case neither rated nor gone after position `after` (wrapping), or
        len(ids) if none is left."""
        count = len(self.ids)
        for step in range(1, count + 1):
            index = (after + step) % count
            case_id = self.ids[index]
            if case_id not in self.ratings and case_id not in self.gone:
                return index
        return count


class _AnswerField(QLineEdit):
    """The typed diagnosis. Space in an empty field reveals the next step (the reader who
    does not type never has to leave it); Escape hands the keys back to the drill."""

    reveal_requested = Signal()
    left = Signal()
    #: Ctrl+Z with nothing typed to undo: the drill's Undo (take back the last rating).
    undo_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not self.text():
            self.reveal_requested.emit()
            return
        if event.matches(QKeySequence.StandardKey.Undo) and not self.isUndoAvailable():
            self.undo_requested.emit()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.left.emit()
            return
        super().keyPressEvent(event)


class DrillView(QWidget):
    """One drill: its list of cases, the case with its steps, the answer and the ratings.

    Signals:
        ended(): the reader left the drill (End Drill, or Back to the library).
        figure_requested(Case, int, bool): the reader asked to see a figure of the case on
            show (its 0-based index), and whether its legend may show (the findings are
            revealed).
    """

    ended = Signal()
    figure_requested = Signal(object, int, bool)

    def __init__(
        self,
        library: Library,
        operations: Operations,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("drillView")
        self._library = library
        self._operations = operations
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.session: DrillSession | None = None
        self.case: Case | None = None
        #: Steps revealed of the case on show (1: the history only).
        self.revealed = 1
        self._checked_answer: tuple[str, str, str] | None = None
        self._suggested: int | None = None

        #: The list while drilling: no title and no diagnosis, only where the drill is.
        self.queue = QTreeWidget(self)
        self.queue.setObjectName("drillQueue")
        self.queue.setColumnCount(len(QUEUE_COLUMNS))
        self.queue.setHeaderLabels(list(QUEUE_COLUMNS))
        self.queue.setRootIsDecorated(False)
        self.queue.setUniformRowHeights(True)
        self.queue.setAlternatingRowColors(True)
        self.queue.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.queue.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.queue.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.queue.currentItemChanged.connect(self._queue_item_changed)

        self.progress = QLabel(self)
        self.progress.setObjectName("drillProgress")
        self.progress.setTextFormat(Qt.TextFormat.PlainText)
        self.step_buttons: list[QPushButton] = []
        steps = QHBoxLayout()
        steps.setSpacing(4)
        for index, name in enumerate(STEP_NAMES):
            button = QPushButton(name, self)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setToolTip(f"Show up to {HEADINGS[DRILL_STEPS[index]]}")
            button.clicked.connect(lambda _checked=False, step=index: self.reveal(step + 1))
            steps.addWidget(button)
            self.step_buttons.append(button)
        steps.addSpacing(12)
        self.end_button = QPushButton("End Drill", self)
        self.end_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.end_button.clicked.connect(self.end)
        steps.addWidget(self.end_button)

        self.document = CaseView(self)
        self.document.setObjectName("drillDocument")
        self.document.setFrameShape(QFrame.Shape.NoFrame)
        self.document.figure_requested.connect(self._figure_requested)

        self.answer = _AnswerField(self)
        self.answer.setObjectName("drillAnswer")
        self.answer.setPlaceholderText(
            "Your diagnosis (optional) — Enter to check · Space to reveal the next step"
        )
        self.answer.setClearButtonEnabled(True)
        self.answer.setMaxLength(300)
        self.answer.returnPressed.connect(self.check_answer)
        self.answer.reveal_requested.connect(lambda: self.reveal(self.revealed + 1))
        self.answer.left.connect(self.document.setFocus)
        self.answer.undo_requested.connect(self.undo_rating)
        self.check_button = QPushButton("Check", self)
        self.check_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.check_button.clicked.connect(self.check_answer)
        self.verdict = QLabel(self)
        self.verdict.setObjectName("drillVerdict")
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.verdict.setWordWrap(True)
        self.answer_row = QWidget(self)
        answer_row = QHBoxLayout(self.answer_row)
        answer_row.setContentsMargins(0, 0, 0, 0)
        answer_row.addWidget(self.answer, 1)
        answer_row.addWidget(self.check_button)

        self.rating_buttons: dict[int, QPushButton] = {}
        self.rating_row = QWidget(self)
        ratings = QHBoxLayout(self.rating_row)
        ratings.setContentsMargins(0, 0, 0, 0)
        ratings.setSpacing(6)
        for rating, name in RATING_NAMES.items():
            button = QPushButton(name, self)
            button.setObjectName(f"drillRate{rating}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _checked=False, r=rating: self.rate(r))
            ratings.addWidget(button, 1)
            self.rating_buttons[rating] = button
        self.finish_row = QWidget(self)
        finish = QHBoxLayout(self.finish_row)
        finish.setContentsMargins(0, 0, 0, 0)
        self.again_button = QPushButton("Drill the Missed Again", self.finish_row)
        self.again_button.clicked.connect(self.drill_missed_again)
        self.back_button = QPushButton("Back to the Library", self.finish_row)
        self.back_button.clicked.connect(self.end)
        finish.addStretch(1)
        finish.addWidget(self.again_button)
        finish.addWidget(self.back_button)
        self.finish_row.hide()

        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(12, 8, 12, 10)
        column.setSpacing(8)
        top = QHBoxLayout()
        top.setSpacing(4)
        top.addWidget(self.progress, 1)
        top.addLayout(steps)
        column.addLayout(top)
        column.addWidget(self.document, 1)
        column.addWidget(self.answer_row)
        column.addWidget(self.verdict)
        column.addWidget(self.rating_row)
        column.addWidget(self.finish_row)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.queue)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 880])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        QShortcut(QKeySequence("Space"), self, lambda: self.reveal(self.revealed + 1), context)
        for rating in RATING_NAMES:
            QShortcut(QKeySequence(str(rating)), self, lambda r=rating: self.rate(r), context)
        QShortcut(QKeySequence.StandardKey.Undo, self, self.undo_rating, context)

    # --- the drill ---------------------------------------------------------------------------

    def start(self, session: DrillSession) -> None:
        """Shows the first case of a new drill."""
        self.session = session
        self.finish_row.hide()
        self.queue.blockSignals(True)
        self.queue.clear()
        rows = {row.summary.id: row.summary for row in self._library.rows(session.ids)}
        items = []
        for number, case_id in enumerate(session.ids, start=1):
            summary = rows.get(case_id)
            item = QTreeWidgetItem(
                [
                    str(number),
                    (summary.section or "") if summary else "",
                    short_age(summary.age, summary.sex) if summary else "",
                    "",
                ]
            )
            item.setTextAlignment(0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            items.append(item)
        self.queue.addTopLevelItems(items)
        self.queue.blockSignals(False)
        for widget in (self.answer_row, self.rating_row, *self.step_buttons):
            widget.show()
        self.show_position(0)

    def show_position(self, position: int) -> None:
        """Shows the case at `position` from its first step (or the end of the drill)."""
        session = self.session
        if session is None:
            return
        session.position = position
        if session.finished:
            self._show_summary()
            return
        case_id = session.current
        assert case_id is not None
        self.case = self._library.get_case(case_id)
        if self.case is None:  # gone meanwhile (another program): skip it
            self._skip_gone(case_id)
            return
        self._checked_answer = session.answers.get(case_id)
        self._suggested = None
        rated = case_id in session.ratings or case_id in session.gone
        self.revealed = len(DRILL_STEPS) if rated else 1
        self.answer.setText(self._checked_answer[0] if self._checked_answer else "")
        self.answer.setEnabled(not rated)
        self.check_button.setEnabled(not rated)
        self.verdict.setText(self._verdict_text())
        self.queue.blockSignals(True)
        item = self.queue.topLevelItem(position)
        if item is not None:
            self.queue.setCurrentItem(item)
        self.queue.blockSignals(False)
        self.finish_row.hide()
        self._draw()
        if not rated:
            self.answer.setFocus()

    def set_thumbnails(self, service: ThumbnailService | None) -> None:
        """Where the figures' thumbnails come from (the detail pane's service: one cache)."""
        self.document.set_thumbnails(service)

    def reveal(self, steps: int) -> None:
        """Reveals the case's first `steps` steps (never hides one already shown); a
        figures step of a case with no figures is passed over."""
        if self.case is None or steps <= self.revealed:
            return
        if not self.case.figures and DRILL_STEPS[min(steps, len(DRILL_STEPS)) - 1] == "figures":
            steps += 1
        typed = self.answer.text().strip()
        if steps >= len(DRILL_STEPS) and typed and self._checked_answer is None:
            self.check_answer()  # what was typed is checked as the diagnosis shows
            return
        self.revealed = min(steps, len(DRILL_STEPS))
        self._draw()
        self.document.scrollToAnchor(drill_anchor(self.revealed - 1))  # the step just shown

    def check_answer(self) -> None:
        """Checks the typed diagnosis, reveals the whole case and suggests a rating."""
        if self.case is None or self.session is None or not self.answer.isEnabled():
            return
        typed = self.answer.text().strip()
        if not typed:
            self.reveal(len(DRILL_STEPS))
            return
        if not self.case.final_diagnosis.strip():
            self._checked_answer = (typed, "", "")
            self.verdict.setText("This case gives no final diagnosis to check against.")
        else:
            from desktop.answers import check_answer

            checked = check_answer(
                typed, self.case.final_diagnosis, self.case.differential_diagnosis
            )
            self._checked_answer = (typed, checked.verdict, checked.matched)
            self._suggested = checked.rating
            self.verdict.setText(
                f"{checked.verdict.capitalize()}. {checked.explanation}"
                f"  Suggested: {RATING_NAMES[checked.rating]} ({checked.rating})."
            )
        self.session.answers[self.session.ids[self.session.position]] = self._checked_answer
        self.revealed = len(DRILL_STEPS)
        self.answer.setEnabled(False)  # checked: the answer stands as typed
        self.check_button.setEnabled(False)
        self._draw()
        self.document.scrollToAnchor(drill_anchor(len(DRILL_STEPS) - 1))
        self.document.setFocus()

    def rate(self, rating: int) -> None:
        """Rates the case on show (once its diagnosis is revealed) and moves on."""
        session, case = self.session, self.case
        if session is None or case is None or session.finished:
            return
        case_id = session.ids[session.position]
        if self.revealed < len(DRILL_STEPS) or case_id in session.ratings:
            return
        typed, verdict, matched = self._checked_answer or ("", "", "")
        found: list[str] = []

        def store() -> Changes:
            uid, _state, changes = self._library.rate(
                case_id, rating, self._clock(), answer=typed, verdict=verdict, matched=matched
            )
            found.append(uid)
            return changes

        def failed(error: Exception) -> None:
            if isinstance(error, LookupError):
                self._skip_gone(case_id)
            else:
                self._operations.report(error, what="The rating was not saved.", expected=True)

        saved = self._operations.run(
            store,
            what="The rating was not saved.",
            expected=(LibraryError, LookupError),
            on_failure=failed,
        )
        if saved is None:
            return
        session.ratings[case_id] = rating
        session.reviews[case_id] = found[0]
        session.order.append(case_id)
        self._mark_row(session.position)
        self.show_position(session.next_unrated(session.position))

    def _skip_gone(self, case_id: CaseId) -> None:
        """A case another program deleted during the drill: said, marked, and passed by."""
        session = self.session
        if session is None:
            return
        session.gone.add(case_id)
        position = session.ids.index(case_id)
        item = self.queue.topLevelItem(position)
        if item is not None:
            item.setText(3, "deleted")
        self._operations.tell("That case is no longer in the library: the drill moved on.")
        self.show_position(session.next_unrated(position))

    def undo_rating(self) -> None:
        """Takes back the drill's last rating and shows that case again."""
        session = self.session
        if session is None or not session.order:
            return
        case_id = session.order[-1]
        uid = session.reviews[case_id]
        if self._operations.run(lambda: self._library.undo_rating(uid)) is None:
            return
        session.order.pop()
        del session.ratings[case_id]
        del session.reviews[case_id]
        position = session.ids.index(case_id)
        self._mark_row(position)
        self.show_position(position)

    def drill_missed_again(self) -> None:
        session = self.session
        if session is None:
            return
        missed = [case for case in session.ids if session.ratings.get(case) == 1]
        if missed:
            self.start(DrillSession(missed, f"{session.source} · missed again"))

    def end(self) -> None:
        self.session = None
        self.case = None
        self.document.clear_page()
        self.ended.emit()

    def _figure_requested(self, index: int) -> None:
        # A reference in the history ("Fig. 2") opens nothing before the figures step.
        if self.case is not None and self.revealed > DRILL_STEPS.index("figures"):
            legends = self.revealed > DRILL_STEPS.index("imaging_findings")
            self.figure_requested.emit(self.case, index, legends)

    # --- drawing ----------------------------------------------------------------------------

    def heading_text(self) -> str:
        """'Case 3 of 20 · Chest imaging · 45 years, female': never the title."""
        session, case = self.session, self.case
        if session is None or case is None:
            return ""
        patient = ", ".join(p for p in (case.patient.age, case.patient.sex) if p)
        parts = [f"Case {session.position + 1} of {len(session.ids)}", case.section, patient]
        return " · ".join(part for part in parts if part)

    def _draw(self) -> None:
        session, case = self.session, self.case
        if session is None or case is None:
            return
        heading = self.heading_text()
        rated = len(session.ratings)
        self.progress.setText(
            f"{session.source} · {rated} of {len(session.ids)} rated"
            + self._leech_text(session.ids[session.position])
        )
        size = max(self.font().pointSizeF(), 9.0)
        page_theme = theme.document_theme(size)
        page = render_drill(case, page_theme, self.revealed, heading)
        self.document.show_page(
            page.html, images=page.images, figure_count=len(case.figures), page_theme=page_theme
        )
        for index, button in enumerate(self.step_buttons):
            button.setChecked(index < self.revealed)
        shown = self.revealed >= len(DRILL_STEPS)
        case_id = session.ids[session.position]
        can_rate = shown and case_id not in session.ratings
        self._label_ratings(case_id if can_rate else None)
        for rating, button in self.rating_buttons.items():
            button.setEnabled(can_rate)
            button.setDefault(can_rate and rating == self._suggested)
        if shown and not self._checked_answer:
            self.answer.setEnabled(False)
            self.check_button.setEnabled(False)
        self.verdict.setVisible(bool(self.verdict.text()))
        verdict = self._checked_answer[1] if self._checked_answer else ""
        colour = _VERDICT_COLOURS.get(verdict, ("", ""))[1 if theme.is_dark() else 0]
        self.verdict.setStyleSheet(f"color: {colour}; font-weight: 600;" if colour else "")

    def _label_ratings(self, case_id: CaseId | None) -> None:
        """Each rating button says when the case would come back after it."""
        dues: dict[int, dt.datetime] = {}
        now = self._clock()
        if case_id is not None:
            logged = [(r.reviewed_at, r.rating) for r in self._library.reviews(case_id)]
            dues = study.next_dues(logged, now, self._library.desired_retention())
        for rating, button in self.rating_buttons.items():
            name = RATING_NAMES[rating]
            when = f" · {study.interval_text(dues[rating] - now)}" if rating in dues else ""
            button.setText(f"{rating}  {name}{when}")

    def _leech_text(self, case_id: CaseId) -> str:
        state = self._library.study_states([case_id]).get(case_id)
        if state is None:
            return " · new case"
        if state.leech:
            return f" · a leech: missed {state.misses} times"
        return f" · reviewed {state.reviews} times"

    def _verdict_text(self) -> str:
        if not self._checked_answer or not self._checked_answer[1]:
            return ""
        typed, verdict, matched = self._checked_answer
        what = f" (matched “{matched}”)" if matched else ""
        return f"You typed “{typed}”: {verdict}{what}."

    def _mark_row(self, position: int) -> None:
        session = self.session
        item = self.queue.topLevelItem(position)
        if session is None or item is None:
            return
        rating = session.ratings.get(session.ids[position])
        item.setText(3, f"{_RATING_MARKS[rating]} {RATING_NAMES[rating]}" if rating else "")

    def _show_summary(self) -> None:
        session = self.session
        assert session is not None
        self.case = None
        counts = {name: 0 for name in RATING_NAMES.values()}
        for rating in session.ratings.values():
            counts[RATING_NAMES[rating]] += 1
        told = ", ".join(f"{count} {name}" for name, count in counts.items() if count)
        if session.gone:
            told += f"{', ' if told else ''}{len(session.gone)} deleted meanwhile"
        told = told or "none rated"
        self.progress.setText(f"{session.source} · {len(session.ids)} cases · {told}")
        due = self._library.count_due(self._clock())
        size = max(self.font().pointSizeF(), 9.0)
        self.document.clear_page()
        self.document.show_html(
            message_html(
                "Drill finished",
                [
                    f"{len(session.ids)} cases: {told}.",
                    f"Due now in the whole library: {due}.",
                    "Each rating went into its case's review log and set when the case comes"
                    " back; Drill > Statistics shows how your reviews went.",
                ],
                theme.document_theme(size),
            )
        )
        for widget in (self.answer_row, self.rating_row, *self.step_buttons):
            widget.hide()
        self.answer.clear()
        self.verdict.clear()
        self.verdict.hide()
        self.again_button.setVisible(counts["Missed"] > 0)
        self.finish_row.show()
        self.back_button.setFocus()

    def _queue_item_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        row = self.queue.indexOfTopLevelItem(item) if item is not None else -1
        if self.session is not None and 0 <= row < len(self.session.ids):
            self.show_position(row)
