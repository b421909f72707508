"""The reader's words and the library's names as widgets show them: literally. A menu entry
reads '&' as a mnemonic and a tooltip that looks like markup as markup; these keep both
as text."""

from __future__ import annotations

import html

#: How much of a quote a menu entry shows.
MENU_QUOTE_CHARS = 60


def menu_text(text: str, limit: int = MENU_QUOTE_CHARS) -> str:
    """Text for a menu item: on one line, cut short, with '&' kept from making a mnemonic."""
    line = " ".join(text.split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line.replace("&", "&&")


def plain_tip(text: str) -> str:
    """A tooltip that shows `text` as it is, line breaks kept."""
    return f"<p style='white-space:pre'>{html.escape(text)}</p>"
