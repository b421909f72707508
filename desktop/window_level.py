"""Window/level (brightness/contrast) for 8-bit figures: the lookup table the figure viewer
applies, and how a mouse drag moves the window. Pure: no Qt.

The table follows cornerstone's rule for 8-bit images, ``((x − centre)/width + 0.5) × 255``,
clamped to 0..255 and rounded half up; invert is ``255 − value``. With that rule the identity
table is centre 127.5, width 255: a width of 256 would map x to x·255/256 and lose the top
grey level, so the defaults are the values that leave every pixel as it is.

Dragging follows cornerstone's WWWC tool and most PACS: with the right button held, moving
right widens the window (less contrast), left narrows it (more contrast); moving down raises
the level (darker picture), up lowers it (brighter picture). One pixel of mouse movement is
one grey level (DRAG_SENSITIVITY), so a drag across a 256-pixel stretch of screen sweeps the
whole 8-bit range: fine enough for small adjustments, quick enough to reach any setting.
"""

from __future__ import annotations

import math

#: Centre and width of the identity table: every grey level is shown as stored.
DEFAULT_CENTRE = 127.5
DEFAULT_WIDTH = 255.0
#: The narrowest window (a threshold) and the widest (half contrast over the full range).
MIN_WIDTH = 1.0
MAX_WIDTH = 512.0
#: The level may move half a range beyond either end, so a narrow window can still be
#: slid fully off the bright or the dark end of the image.
MIN_CENTRE = -128.0
MAX_CENTRE = 383.0
#: Grey levels per pixel of mouse movement.
DRAG_SENSITIVITY = 1.0


def clamp(centre: float, width: float) -> tuple[float, float]:
    """The nearest allowed (centre, width); NaN falls back to the default."""
    if math.isnan(centre):
        centre = DEFAULT_CENTRE
    if math.isnan(width):
        width = DEFAULT_WIDTH
    return (
        min(max(centre, MIN_CENTRE), MAX_CENTRE),
        min(max(width, MIN_WIDTH), MAX_WIDTH),
    )


def lookup_table(centre: float, width: float, invert: bool = False) -> bytes:
    """The 256-entry table that maps a stored grey level to the one shown.

    Args:
        centre: The window's centre (level), clamped to MIN_CENTRE..MAX_CENTRE.
        width: The window's width, clamped to MIN_WIDTH..MAX_WIDTH (so never below 1).
        invert: Show the negative (255 − value).

    Returns:
        256 bytes: entry x is what grey level x is shown as.
    """
    centre, width = clamp(centre, width)
    table = bytearray(256)
    for x in range(256):
        value = ((x - centre) / width + 0.5) * 255.0
        level = 0 if value <= 0.0 else 255 if value >= 255.0 else int(value + 0.5)
        table[x] = 255 - level if invert else level
    return bytes(table)


def is_default(centre: float, width: float) -> bool:
    """Whether (centre, width) is the identity window."""
    return centre == DEFAULT_CENTRE and width == DEFAULT_WIDTH


def drag(
    centre: float,
    width: float,
    dx: float,
    dy: float,
    sensitivity: float = DRAG_SENSITIVITY,
) -> tuple[float, float]:
    """The window after a right-button drag of (dx, dy) screen pixels.

    Args:
        centre: The current centre.
        width: The current width.
        dx: Horizontal movement, positive to the right: widens the window.
        dy: Vertical movement, positive downwards: raises the level, so the picture darkens
            (dragging up brightens it).
        sensitivity: Grey levels per pixel.

    Returns:
        The new (centre, width), clamped.
    """
    return clamp(centre + dy * sensitivity, width + dx * sensitivity)


def describe(centre: float, width: float) -> str:
    """The window as a radiologist reads it: ``W 255 L 128`` (whole numbers, half up)."""
    return f"W {math.floor(width + 0.5)} L {math.floor(centre + 0.5)}"
