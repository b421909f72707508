"""Issue 11, the store's half: every note write keeps the text it replaces (from any program),
a writer's save over text another program wrote says so, note history follows a sequence
rather than the clock, another connection's commit is noticeable, and `show` tells the Trash.

The command line runs as a real process against the same file the test holds open."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.importer import import_paths
from desktop.store import Library
from tests.conftest import SAMPLE_CASES
from tests.tools import run_lightbox as cli

T0 = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
KEY = "lightbox:neuro-01"


@pytest.fixture
def lib(tmp_path: Path) -> Iterator[Library]:
    library = Library.open(tmp_path / "library.db")
    assert not import_paths(library, [SAMPLE_CASES]).failed
    yield library
    library.close()


def bodies(library: Library, key: str = KEY) -> list[str]:
    return [v.body for v in library.note_versions(library.resolve(key))]


def test_a_command_line_save_within_the_minute_keeps_the_windows_text(lib: Library) -> None:
    # The window saved a moment ago (as its autosave does, over its own base) ...
    saved = lib.save_note_over(KEY, "typed in the window", None)
    # ... then the command line replaces it: the window's text goes to the history.
    assert cli(lib.path, "note", KEY, "--set", "from the terminal").returncode == 0
    assert bodies(lib) == ["typed in the window"]
    # The window's next save over its stale base keeps the terminal's text too, and says so.
    again = lib.save_note_over(KEY, "typed in the window, more", saved.note)
    assert again.other_text == "from the terminal" and again.conflict
    note = lib.note(lib.resolve(KEY))
    assert note is not None and note.body == "typed in the window, more"
    assert bodies(lib) == ["from the terminal", "typed in the window"]


def test_a_text_already_in_the_history_is_not_kept_twice(lib: Library) -> None:
    case_id = lib.resolve(KEY)
    for body in ("a", "b", "a", "b", "c"):
        lib.save_note(case_id, body)
    assert bodies(lib) == ["b", "a"]


def test_thinning_never_drops_what_another_writer_saved(lib: Library) -> None:
    case_id = lib.resolve(KEY)
    base = lib.save_note_over(KEY, "mine 1", None, T0).note
    base = lib.save_note_over(KEY, "mine 2", base, T0 + dt.timedelta(seconds=1)).note
    # Another writer saves the very same text the window has as its base: the record's
    # stamp differs, so it is not the window's own draft, and it is kept.
    lib.save_note(case_id, "other", T0 + dt.timedelta(seconds=2))
    lib.save_note(case_id, "mine 2", T0 + dt.timedelta(seconds=3))
    lib.save_note_over(KEY, "mine 3", base, T0 + dt.timedelta(seconds=4))
    assert {"mine 1", "other", "mine 2"} <= set(bodies(lib))


def test_a_clock_going_back_never_stops_the_history(lib: Library) -> None:
    future = T0 + dt.timedelta(days=400)
    base = lib.save_note_over(KEY, "written in the future", None, future).note
    base = lib.save_note_over(KEY, "still in the future", base, future).note
    # The clock goes back a year: every minute of typing still keeps a version.
    for minute in range(1, 4):
        base = lib.save_note_over(
            KEY, f"back {minute}", base, T0 + dt.timedelta(minutes=minute)
        ).note
    kept = bodies(lib)
    assert kept[:3] == ["back 2", "back 1", "still in the future"]  # newest first, by sequence
    assert "written in the future" in kept


def test_a_save_for_a_case_removed_elsewhere_fails_plainly(lib: Library) -> None:
    base = lib.save_note_over(KEY, "text", None).note
    assert cli(lib.path, "trash", KEY).returncode == 0
    # Trashed, the case still takes its note.
    assert not lib.save_note_over(KEY, "text, more", base).conflict
    assert cli(lib.path, "empty-trash", "--yes").returncode == 0
    with pytest.raises(LookupError, match="no longer in this library"):
        lib.save_note_over(KEY, "text, more still", base)


def test_another_connections_commit_moves_data_version_and_ours_does_not(lib: Library) -> None:
    before = lib.data_version()
    lib.save_note(lib.resolve(KEY), "our own")
    assert lib.data_version() == before
    assert cli(lib.path, "bookmark", KEY).returncode == 0
    assert lib.data_version() != before


def test_show_says_when_a_case_is_in_the_trash(lib: Library) -> None:
    shown = cli(lib.path, "show", KEY, "--json")
    assert json.loads(shown.stdout)["trashed_at"] is None
    assert "Trash" not in cli(lib.path, "show", KEY).stdout.splitlines()[0]
    assert cli(lib.path, "trash", KEY).returncode == 0
    data = json.loads(cli(lib.path, "show", KEY, "--json").stdout)
    assert dt.datetime.fromisoformat(data["trashed_at"]).tzinfo is not None
    assert data["id"] == KEY and "sections" in data  # every other key is still there
    first = cli(lib.path, "show", KEY).stdout.splitlines()[0]
    assert first.startswith("In the Trash since ") and f"lightbox untrash {KEY}" in first
