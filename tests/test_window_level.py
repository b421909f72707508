"""Window/level maths: the lookup table, its clamps, and what a drag does to the window."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given
from hypothesis import strategies as st

from desktop import window_level as wl
from tests.conftest import ROOT

centres = st.floats(min_value=-1000, max_value=1000, allow_nan=False)
widths = st.floats(min_value=-10, max_value=2000, allow_nan=False)


def test_the_default_window_is_the_identity() -> None:
    assert wl.lookup_table(wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH) == bytes(range(256))
    assert wl.is_default(wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH)
    assert wl.describe(wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH) == "W 255 L 128"


def test_invert_is_the_negative() -> None:
    table = wl.lookup_table(wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH, invert=True)
    assert table == bytes(255 - x for x in range(256))
    narrow = wl.lookup_table(100, 20)
    assert wl.lookup_table(100, 20, invert=True) == bytes(255 - v for v in narrow)


def test_a_narrow_window_stretches_its_range_and_saturates_outside() -> None:
    table = wl.lookup_table(100, 20)
    assert table[:90] == bytes(90)  # below centre − width/2: black
    assert table[110:] == b"\xff" * 146  # above centre + width/2: white
    assert table[100] == 128  # the centre is mid-grey (127.5 rounded half up)
    assert table[95] == 64  # ((95 − 100)/20 + 0.5) × 255 = 63.75
    assert list(table[90:111]) == sorted(table[90:111])


def test_width_one_is_a_threshold() -> None:
    table = wl.lookup_table(50, 1)
    assert set(table[:50]) == {0}
    assert set(table[51:]) == {255}


def test_widths_below_one_and_wild_values_are_clamped() -> None:
    assert wl.lookup_table(50, 0) == wl.lookup_table(50, 1)
    assert wl.lookup_table(50, -5) == wl.lookup_table(50, 1)
    assert wl.lookup_table(10_000, 10_000) == wl.lookup_table(wl.MAX_CENTRE, wl.MAX_WIDTH)
    assert wl.clamp(float("nan"), float("nan")) == (wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH)
    assert wl.clamp(-1e9, 1e9) == (wl.MIN_CENTRE, wl.MAX_WIDTH)


def test_the_extreme_level_slides_a_narrow_window_off_either_end() -> None:
    assert wl.lookup_table(wl.MAX_CENTRE, wl.MIN_WIDTH) == bytes(256)
    assert wl.lookup_table(wl.MIN_CENTRE, wl.MIN_WIDTH) == b"\xff" * 256


def test_dragging_right_widens_and_dragging_up_brightens() -> None:
    centre, width = wl.drag(wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH, dx=40, dy=0)
    assert (centre, width) == (wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH + 40)
    centre, width = wl.drag(wl.DEFAULT_CENTRE, wl.DEFAULT_WIDTH, dx=0, dy=-30)
    assert (centre, width) == (wl.DEFAULT_CENTRE - 30, wl.DEFAULT_WIDTH)
    brighter = wl.lookup_table(centre, width)
    assert all(b >= a for a, b in zip(bytes(range(256)), brighter, strict=True))
    assert brighter[128] > 128


def test_dragging_stops_at_the_limits() -> None:
    assert wl.drag(0, 10, dx=-500, dy=-500) == (wl.MIN_CENTRE, wl.MIN_WIDTH)
    assert wl.drag(0, 10, dx=5000, dy=5000) == (wl.MAX_CENTRE, wl.MAX_WIDTH)
    assert wl.drag(100, 100, dx=10, dy=10, sensitivity=2) == (120, 120)


def test_describe_rounds_half_up() -> None:
    assert wl.describe(128.5, 40.4) == "W 40 L 129"
    assert wl.describe(-12.5, 1) == "W 1 L -12"


@given(centres, widths)
def test_the_table_rises_and_the_inverted_table_falls(centre: float, width: float) -> None:
    table = wl.lookup_table(centre, width)
    inverted = wl.lookup_table(centre, width, invert=True)
    assert len(table) == len(inverted) == 256
    assert all(a <= b for a, b in zip(table, table[1:], strict=False))
    assert all(a >= b for a, b in zip(inverted, inverted[1:], strict=False))
    assert all(a + b == 255 for a, b in zip(table, inverted, strict=True))


@given(centres, widths, st.floats(-2000, 2000), st.floats(-2000, 2000))
def test_a_drag_always_lands_inside_the_limits(
    centre: float, width: float, dx: float, dy: float
) -> None:
    new_centre, new_width = wl.drag(centre, width, dx, dy)
    assert wl.MIN_CENTRE <= new_centre <= wl.MAX_CENTRE
    assert wl.MIN_WIDTH <= new_width <= wl.MAX_WIDTH


def test_window_level_loads_without_qt() -> None:
    code = (
        "import sys, desktop.window_level\n"
        "assert not [m for m in sys.modules if m.startswith('PySide6')]\n"
        "assert 'numpy' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
