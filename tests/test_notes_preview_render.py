"""The notes preview (issue 16): Markdown tables drawn as tables, images shown as placeholders
that are never loaded, code readable on both pages, and a panel that says when there is no
case to write about. Renderer tests first, then the real window (pytest-qt, offscreen)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtGui import QTextDocument, QTextTable
from pytestqt.qtbot import QtBot

from desktop.render import DARK, LIGHT, MAX_TABLE_CELLS, Theme, note_html
from desktop.ui.main_window import MainWindow
from desktop.ui.notes_panel import EDITOR_HINT, NO_CASE_HINT
from tests.test_render import _contrast, assert_note_is_inert, parse, squeeze

TABLE_NOTE = (
    "| Finding | CT | MRI |\n"
    "|:--|:-:|--:|\n"
    "| Ring enhancement | yes | `T1+C` |\n"
    "| Restricted diffusion | no | **yes** |\n"
)
#: Everything the issue names, in one note: a table, images, inline code and a code block.
FULL_NOTE = (
    "## Differential\n\n"
    + TABLE_NOTE
    + "\nKey image: ![axial T2 at the pons](http://example.com/x.png) and ![](/tmp/local.png)"
    "\n\nInline `window = 400` in a sentence, and a block:\n\n```\nwindow = 400\nlevel = 40\n```\n"
)


def body(rendering_html: str) -> str:
    return rendering_html.split("<body>", 1)[1]


def rule(style: str, selector: str) -> str:
    """The declarations of one rule of the document's stylesheet."""
    found = re.search(rf"(?:^|\n){re.escape(selector)} \{{([^}}]*)\}}", style)
    assert found, selector
    return found.group(1)


# --- tables -------------------------------------------------------------------------------------


def test_a_markdown_table_renders_as_a_table_with_aligned_cells() -> None:
    rendering = note_html(TABLE_NOTE, theme=LIGHT)
    assert not rendering.plain_fallback and rendering.message is None
    page = parse(rendering.html)
    assert page.tags.count("table") == 1 and "thead" in page.tags and "tbody" in page.tags
    assert page.tags.count("th") == 3 and page.tags.count("td") == 6
    assert [value for tag, name, value in page.attrs if tag == "th" and name == "align"] == [
        "left",
        "center",
        "right",
    ]
    assert [squeeze(text) for text in page.texts["th"]] == ["Finding", "CT", "MRI"]
    assert "|" not in page.text  # no raw pipes left
    assert "code" in page.tags and "strong" in page.tags  # inline Markdown inside cells
    assert_note_is_inert(rendering.html)


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_table_cells_have_borders_and_padding_in_the_themes_colours(theme: Theme) -> None:
    style = parse(note_html(TABLE_NOTE, theme=theme).html).style
    cells = rule(style, "th, td")
    assert f"border-color: {theme.muted}" in cells and "border-width: 1px" in cells
    assert "border-style: solid" in cells and re.search(r"padding: [1-9]", cells)
    assert "border-collapse: collapse" in rule(style, "table")
    header = rule(style, "th")
    assert theme.chip_background in header and theme.chip_text in header
    # The borders must show on the page.
    assert _contrast(theme.muted, theme.background) >= 3


def test_the_sanitiser_keeps_tables_and_drops_scripts_and_handlers() -> None:
    note = (
        '<table onclick="alert(1)" border=9 style="width:100000px">'
        '<tr><td align="center" onmouseover="alert(2)" style="x" colspan=9999>kept</td>'
        '<td align="javascript:x" background="http://x/t.png">odd</td></tr></table>\n\n'
        "| a | b |\n|---|---|\n| <script>alert(3)</script> | <img src=x onerror=alert(4)> |\n"
    )
    rendering = note_html(note, theme=LIGHT)
    assert not rendering.plain_fallback
    page = parse(rendering.html)
    assert page.tags.count("table") == 2
    assert "kept" in page.text and "odd" in page.text
    assert [(tag, name, value) for tag, name, value in page.attrs if tag in ("table", "td")] == [
        ("td", "align", "center")
    ]
    assert "alert" not in rendering.html and "<script" not in rendering.html
    assert "<img" not in rendering.html and "http://x" not in rendering.html
    assert_note_is_inert(rendering.html)


def test_too_many_table_cells_fall_back_to_plain_text() -> None:
    columns = 10
    rows = MAX_TABLE_CELLS // columns  # with the header row: just over the limit
    header = "|" + " h |" * columns + "\n|" + "---|" * columns + "\n"
    over = note_html(header + ("|" + " c |" * columns + "\n") * rows, theme=LIGHT)
    assert over.plain_fallback
    assert over.message == (
        f"Note has too many table cells to preview ({MAX_TABLE_CELLS + columns:,} > "
        f"{MAX_TABLE_CELLS:,}); shown as plain text"
    )
    assert "<table" not in over.html
    at_limit = note_html(header + ("|" + " c |" * columns + "\n") * (rows - 1), theme=LIGHT)
    assert not at_limit.plain_fallback
    assert parse(at_limit.html).tags.count("td") + parse(at_limit.html).tags.count("th") == (
        MAX_TABLE_CELLS
    )


def test_a_table_inside_a_table_falls_back_to_plain_text() -> None:
    nested = "<table><tr><td><table><tr><td>inner</td></tr></table></td></tr></table>"
    rendering = note_html(f"before\n\n{nested}\n\nafter", theme=LIGHT)
    assert rendering.plain_fallback
    assert rendering.message == "Note has a table inside a table; shown as plain text"
    assert "<table" not in rendering.html and "inner" in rendering.html
    # Two tables one after the other are fine.
    flat = note_html(TABLE_NOTE + "\ntext\n\n" + TABLE_NOTE, theme=LIGHT)
    assert not flat.plain_fallback and parse(flat.html).tags.count("table") == 2


# --- images -------------------------------------------------------------------------------------


def test_images_become_placeholders_with_their_alt_text_and_are_never_loaded() -> None:
    note = (
        "![axial T2 at the pons](http://example.com/x.png)\n\n"
        "![](C:/Users/me/scan.png)\n\n"
        '![a & <b>](file:///etc/passwd "title")\n\n'
        "![ref][i]\n\n[i]: /home/me/local.png\n\n"
        '<img src="http://127.0.0.1:9/t.png" alt="raw  html\n image" onerror="alert(1)">'
    )
    rendering = note_html(note, theme=LIGHT)
    assert not rendering.plain_fallback
    page = parse(rendering.html)
    assert [squeeze(text) for text in page.texts["span.image"]] == [
        "[image: axial T2 at the pons]",
        "[image]",
        "[image: a & <b>]",
        "[image: ref]",
        "[image: raw html image]",
    ]
    lowered = rendering.html.lower()
    assert "<img" not in lowered and "src=" not in lowered
    for source in ("example.com", "scan.png", "passwd", "local.png", "127.0.0.1", "title"):
        assert source not in body(rendering.html), source
    assert "&lt;b&gt;" in rendering.html  # the alt text is text, never markup
    assert_note_is_inert(rendering.html)


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_an_image_placeholder_is_a_readable_box_unlike_code(theme: Theme) -> None:
    style = parse(note_html("![x](y.png)", theme=theme).html).style
    placeholder = rule(style, ".image")
    assert f"color: {theme.chip_text}" in placeholder
    assert f"background-color: {theme.chip_background}" in placeholder
    assert _contrast(theme.chip_text, theme.chip_background) >= 4.5
    assert "font-style: italic" in placeholder and "italic" not in rule(style, "code")


# --- code ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("theme", [LIGHT, DARK], ids=["light", "dark"])
def test_inline_code_and_code_blocks_use_the_themes_colours(theme: Theme) -> None:
    rendering = note_html(FULL_NOTE, theme=theme)
    style = parse(rendering.html).style
    code = rule(style, "code")
    assert f"background-color: {theme.chip_background}" in code
    assert f"color: {theme.chip_text}" in code
    assert _contrast(theme.chip_text, theme.chip_background) >= 7
    assert theme.chip_background in rule(style, "pre")
    # A code block ends at its last line: no empty shaded line under it.
    assert "<pre><code>window = 400\nlevel = 40</code></pre>" in body(rendering.html)
    assert "<p>Inline <code>window = 400</code> in a sentence" in body(rendering.html)


def test_a_case_page_is_not_given_the_notes_rules() -> None:
    """The table and placeholder rules belong to notes only (case pages have their own CSS)."""
    from desktop.render import message_html

    assert ".image" not in message_html("Heading", ["text"], LIGHT)
    assert ".image" in note_html("x", theme=LIGHT).html


# --- the real window ----------------------------------------------------------------------------


def wait_for_preview(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Types `text` as the note and waits for its rendered (not plain-text) preview. The
    helper process's first start can overrun the 2 s budget on a busy machine: ask again."""
    notes = window.notes
    notes.editor.setPlainText(text)
    for _attempt in range(3):
        notes.rerender()
        qtbot.waitUntil(lambda: not notes._renderer.busy, timeout=10000)
        qtbot.wait(50)
        if not notes.preview_status.isVisible():
            return
        assert notes.preview_status.text().startswith("Preview too slow")
    raise AssertionError(notes.preview_status.text())


def tables_of(document: QTextDocument) -> list[QTextTable]:
    return [frame for frame in document.rootFrame().childFrames() if isinstance(frame, QTextTable)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_preview_draws_a_table_placeholders_and_code_and_loads_nothing(
    qtbot: QtBot, samples_window: MainWindow, scheme: str
) -> None:
    from desktop.ui import theme
    from desktop.ui.app import application

    application(scheme)  # type: ignore[arg-type]
    try:
        window = samples_window
        window.list.select_row(0)
        qtbot.waitUntil(lambda: window.notes.case_id is not None)
        wait_for_preview(qtbot, window, FULL_NOTE)
        preview = window.notes.preview
        tables = tables_of(preview.document())
        assert len(tables) == 1
        table = tables[0]
        assert (table.rows(), table.columns()) == (3, 3)
        assert table.format().border() >= 1 and table.format().borderCollapse()
        cell = table.cellAt(1, 0)
        assert cell.firstCursorPosition().block().text() == "Ring enhancement"
        assert cell.format().toTableCellFormat().leftPadding() > 0
        shown = preview.toPlainText()
        assert "[image: axial T2 at the pons]" in shown and "[image]" in shown
        assert "|" not in shown and "![" not in shown
        assert preview.requested == []  # no image, no stylesheet: nothing asked for
        # Code carries the theme's chip colours, whichever the page is.
        assert theme.is_dark() == (scheme == "dark")
        page = DARK if scheme == "dark" else LIGHT
        found = preview.document().find("window = 400")
        assert not found.isNull()
        assert found.charFormat().background().color().name() == page.chip_background
        assert found.charFormat().foreground().color().name() == page.chip_text
    finally:
        application("light")


def show_no_case(qtbot: QtBot, window: MainWindow) -> None:
    """No case on screen, as a reader gets it: a search that matches nothing."""
    window.search.setText("zzqxj-matches-no-case")
    window.search_bar.run_search()
    qtbot.waitUntil(lambda: window.notes.case_id is None, timeout=10000)


def test_with_no_case_the_editor_and_history_are_disabled_and_say_why(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    window = samples_window
    notes = window.notes
    window.list.select_row(0)
    qtbot.waitUntil(lambda: notes.case_id is not None)
    assert notes.editor.isEnabled() and not notes.editor.isReadOnly()
    assert notes.history_button.isEnabled()
    assert notes.editor.placeholderText() == EDITOR_HINT
    enabled_paper = notes.editor.viewport().grab().toImage().pixelColor(3, 3)

    show_no_case(qtbot, window)
    assert not notes.editor.isEnabled() and notes.editor.isReadOnly()
    assert not notes.history_button.isEnabled()
    assert notes.editor.placeholderText() == NO_CASE_HINT == "Select a case to write a note."
    assert "Select a case" in notes.history_button.toolTip()
    # It looks disabled: the editor is drawn on the window's colour, not the paper's.
    disabled_paper = notes.editor.viewport().grab().toImage().pixelColor(3, 3)
    assert disabled_paper != enabled_paper
    # Nothing typed or appended goes anywhere.
    assert not notes.append_to_note("a quote")
    assert notes.editor.toPlainText() == "" and not notes.dirty

    window.search.setText("")
    window.search_bar.run_search()
    window.list.select_row(0)
    qtbot.waitUntil(lambda: notes.case_id is not None, timeout=10000)
    assert notes.editor.isEnabled() and notes.history_button.isEnabled()
    assert notes.editor.placeholderText() == EDITOR_HINT


def test_table_cells_break_between_words_never_inside_one(
    qtbot: QtBot, samples_window: MainWindow
) -> None:
    window = samples_window
    window.list.select_row(0)
    qtbot.waitUntil(lambda: window.notes.case_id is not None)
    words = ["Sequence", "hyperintense", "Enhancement", "restricted", "necrotic", "abscess"]
    wait_for_preview(
        qtbot,
        window,
        "| Sequence | Signal | Enhancement | Diffusion | Comment |\n|---|---|---|---|---|\n"
        "| T1 post-contrast | hyperintense | ring | restricted | abscess, not necrotic |\n",
    )
    document = window.notes.preview.document()
    assert window.notes.preview.viewport().width() < 500  # narrow enough to squeeze
    for word in words:
        found = document.find(word)
        assert not found.isNull(), word
        layout = found.block().layout()
        start = found.selectionStart() - found.block().position()
        first = layout.lineForTextPosition(start)
        last = layout.lineForTextPosition(start + len(word) - 1)
        assert first.lineNumber() == last.lineNumber(), word
