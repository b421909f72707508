"""Qt's offscreen platform with a desktop-sized screen (1920×1080), as the test suite has
it: offscreen's own screen is 800×800, where the window would open maximised and measure
a smaller window than a reader's."""

from pathlib import Path

SCREEN = Path(__file__).resolve().parents[1] / "data" / "screen-1920x1080.json"
DESKTOP = f"offscreen:configfile={SCREEN}"
