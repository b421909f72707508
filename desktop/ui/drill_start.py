"""Drill > Start Drill…: which cases (due now, the list on show, a collection, a tag or a saved
search), in which order (due first, or shuffled), and how many."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop import study
from desktop.model import CaseFilter, CaseId, FilterKind
from desktop.store import Library
from desktop.ui.drill import DrillSession

#: The longest drill the dialog offers.
MAX_DRILL_LENGTH = 500


class DrillStartDialog(QDialog):
    """Chooses a drill's cases. `session()` makes the drill once the dialog is accepted.

    Args:
        listed: The cases of the list on show, in its order, and what it is ("Chest imaging").
        chosen: The sidebar's entry on show: that entry's source is selected at first.
    """

    def __init__(
        self,
        library: Library,
        listed: tuple[list[CaseId], str],
        chosen: CaseFilter | None = None,
        parent: QWidget | None = None,
        *,
        now: Callable[[], dt.datetime] | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Start Drill")
        self._library = library
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._listed = listed
        due = library.count_due(self._now())
        self.sources = QButtonGroup(self)
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(10)

        def radio(row: int, text: str) -> QRadioButton:
            button = QRadioButton(text, self)
            self.sources.addButton(button, row)
            grid.addWidget(button, row, 0)
            return button

        self.due_radio = radio(0, f"Due now ({due})")
        self.list_radio = radio(1, f"The list on show ({len(listed[0])})")
        self.list_label = QLabel(listed[1], self)
        self.list_label.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(self.list_label, 1, 1)
        self.collection_radio = radio(2, "Collection")
        self.collections = QComboBox(self)
        for collection in library.collections():
            self.collections.addItem(f"{collection.path} ({collection.total})", collection.uid)
        grid.addWidget(self.collections, 2, 1)
        self.tag_radio = radio(3, "Tag")
        self.tags = QComboBox(self)
        for tag in library.tag_counts():
            self.tags.addItem(f"{tag.tag} ({tag.count})", tag.tag)
        grid.addWidget(self.tags, 3, 1)
        self.saved_radio = radio(4, "Saved search")
        self.saved = QComboBox(self)
        for saved in library.saved_searches():
            self.saved.addItem(saved.name, saved.query)
        grid.addWidget(self.saved, 4, 1)
        for button, box in (
            (self.collection_radio, self.collections),
            (self.tag_radio, self.tags),
            (self.saved_radio, self.saved),
        ):
            button.setEnabled(box.count() > 0)
            box.setEnabled(box.count() > 0)
            box.activated.connect(lambda _index, b=button: b.setChecked(True))
        self.due_radio.setEnabled(due > 0)
        self.list_radio.setEnabled(bool(listed[0]))
        self._choose(chosen, due)

        self.order = QComboBox(self)
        self.order.addItem("Due first, then new cases", False)
        self.order.addItem("Shuffled", True)
        self.length = QSpinBox(self)
        self.length.setRange(1, MAX_DRILL_LENGTH)
        self.length.setValue(study.DEFAULT_DRILL_LENGTH)
        self.length.setSuffix(" cases at most")
        form = QFormLayout()
        form.addRow("Order:", self.order)
        form.addRow("Length:", self.length)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Start")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        hint = QLabel(
            "The title, discussion, differential and diagnosis stay hidden until you reveal"
            " them (Space). Rate each case 1–4: Missed, Partly, Got it, Easy.",
            self,
        )
        hint.setObjectName("drillStartHint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Drill the cases from:", self))
        layout.addLayout(grid)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.sources.idToggled.connect(lambda *_: self._enable_start())
        self._enable_start()
        self.resize(460, self.sizeHint().height())

    def _choose(self, chosen: CaseFilter | None, due: int) -> None:
        """Selects the source the reader most likely means: the sidebar's entry on show."""
        entries = (
            ("collection", self.collections, self.collection_radio),
            ("tag", self.tags, self.tag_radio),
            ("saved", self.saved, self.saved_radio),
        )
        for kind, box, button in entries:
            if chosen is not None and chosen.kind == kind:
                index = box.findData(chosen.value)
                if index >= 0:
                    box.setCurrentIndex(index)
                    button.setChecked(True)
                    return
        if due:
            self.due_radio.setChecked(True)
        elif self._listed[0]:
            self.list_radio.setChecked(True)

    def _enable_start(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(self.sources.checkedButton() is not None)

    def chosen(self) -> tuple[list[CaseId], str]:
        """The cases of the source chosen (in its list order) and its name."""
        source = self.sources.checkedId()
        if source == 0:
            return self._library.due_ids(self._now()), "Due now"
        if source == 1:
            return list(self._listed[0]), self._listed[1]
        boxes: dict[int, tuple[FilterKind, QComboBox]] = {
            2: ("collection", self.collections),
            3: ("tag", self.tags),
        }
        if source in boxes:
            kind, box = boxes[source]
            value = box.currentData()
            name = box.currentText().rsplit(" (", 1)[0]
            return self._library.case_ids(CaseFilter(kind, value=value), "title", False), name
        if source == 4:
            query = self.saved.currentData()
            chosen = CaseFilter("saved", value=query)
            return self._library.case_ids(chosen, "title", False), self.saved.currentText()
        return [], ""

    def session(self, *, seed: int | None = None) -> DrillSession:
        """The drill the dialog describes (after it was accepted)."""
        ids, name = self.chosen()
        states = self._library.study_states(ids)
        ordered = study.drill_order(
            ids,
            states,
            self._now(),
            shuffle=bool(self.order.currentData()),
            length=self.length.value(),
            seed=seed,
        )
        return DrillSession(ordered, name)
