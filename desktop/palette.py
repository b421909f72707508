"""The eight highlight colours (Zotero's palette), by the names the reader and scripts use.

A highlight stores its colour's name, never its hex value, so a later change of shade (for
dark mode, say) changes every highlight of that colour at once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Colour:
    """One colour of the palette.

    Attributes:
        name: Its name, lower case: what the store keeps and the command line takes.
        hex: Its shade, ``#rrggbb``.
        key: The key (1-8) that highlights a selection in it.
    """

    name: str
    hex: str
    key: int

    @property
    def label(self) -> str:
        """The name as a menu shows it."""
        return self.name.capitalize()


#: In Zotero's order, which is also the order of the keys 1-8.
PALETTE: tuple[Colour, ...] = tuple(
    Colour(name, shade, key)
    for key, (name, shade) in enumerate(
        (
            ("yellow", "#ffd400"),
            ("red", "#ff6666"),
            ("green", "#5fb236"),
            ("blue", "#2ea8e5"),
            ("purple", "#a28ae5"),
            ("magenta", "#e56eee"),
            ("orange", "#f19837"),
            ("grey", "#aaaaaa"),
        ),
        start=1,
    )
)
COLOURS: dict[str, Colour] = {colour.name: colour for colour in PALETTE}
#: The colour a highlight gets when none is named.
DEFAULT_COLOUR = "yellow"
#: Other spellings the command line accepts.
_ALIASES = {"gray": "grey", "pink": "magenta", "violet": "purple"}


def colour_named(name: str) -> Colour:
    """The colour of that name (any case; "gray" for "grey"), by name or shade.

    Raises:
        ValueError: no colour of the palette has that name; the message lists them.
    """
    wanted = name.strip().lower()
    wanted = _ALIASES.get(wanted, wanted)
    if wanted in COLOURS:
        return COLOURS[wanted]
    for colour in PALETTE:
        if colour.hex == wanted:
            return colour
    raise ValueError(f"no colour {name!r}; choose one of {', '.join(COLOURS)}")
