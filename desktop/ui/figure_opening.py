"""Opens a case's figures in the figure viewer: from the detail pane and from a drill.

One viewer a window: asking for a figure while one is open shows that figure in it (of the
case asked for), so the reader never collects a pile of viewer windows.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QWidget

from desktop.model import Case
from desktop.store import Library
from desktop.ui.figure_viewer import FigureViewer, ViewerFigure


def viewer_figures(case: Case, library: Library, *, legends: bool = True) -> list[ViewerFigure]:
    """The case's figures as the viewer shows them; `legends` False keeps their captions
    back (a drill before the findings are revealed)."""
    figures = []
    for figure in case.figures:
        details = " · ".join(part for part in (figure.modality, figure.plane) if part)
        path = library.image_path(figure.image)
        reason = figure.missing
        if path is None and reason is None:
            reason = (
                "the image file is missing from the library (lightbox check lists them)"
                if figure.image
                else "this figure has no image"
            )
        figures.append(
            ViewerFigure(
                label=figure.label,
                legend=figure.legend if legends else "",
                path=path,
                details=details,
                missing_reason=None if path is not None else reason,
            )
        )
    return figures


class FigureOpener(QObject):
    """Opens figures for one window, one viewer at a time.

    Attributes:
        viewer: The viewer on show, if any.
    """

    def __init__(self, library: Library, window: QWidget):
        super().__init__(window)
        self._library = library
        self._window = window
        self.viewer: FigureViewer | None = None

    def open(self, case: Case, index: int, *, legends: bool = True) -> FigureViewer | None:
        """Shows figure `index` (0-based) of `case`; None when the case has no such figure."""
        if not 0 <= index < len(case.figures):
            return None
        figures = viewer_figures(case, self._library, legends=legends)
        if self.viewer is not None:
            self.viewer.close()
        viewer = FigureViewer(figures, index, self._window)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        viewer.destroyed.connect(lambda: self._forget(viewer))
        self.viewer = viewer
        viewer.show()
        viewer.raise_()
        viewer.activateWindow()
        return viewer

    def close(self) -> None:
        if self.viewer is not None:
            self.viewer.close()

    def _forget(self, viewer: FigureViewer) -> None:
        if self.viewer is viewer:
            self.viewer = None
