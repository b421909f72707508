"""kill -9 while the reader's data is being written (SAFETY.md A1, A2).

Every test here runs the real store code in a child process, kills it with SIGKILL at a
random moment, reopens the library and applies the same oracle: `check()` finds nothing
(integrity_check ok, foreign_key_check empty, search indexes sound) and every write the
child acknowledged is in the user-data digest (tests/safety_kinds.py).

A commit can land just before the kill without its acknowledgement being printed, so the
child announces each write before it starts it ("begin") and after it committed ("done"):
a stored record must be one the child at least began, and never older than the last one it
acknowledged. Seeds are fixed per trial, so a failing trial can be rerun alone.

Figures are printed with `-s`. The long versions are marked slow: `pytest -m slow`.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from desktop.importer import import_paths
from desktop.store.library import Library
from tests.conftest import ROOT, SAMPLE_CASES, SEED_CASE
from tests.safety_kinds import KIND_BY_NAME, KINDS, Digest, Record, oracle, parse_record
from tests.tools import if_shared

#: Trials of the store writer: the default suite, and `pytest -m slow`.
TRIALS = 20
SLOW_TRIALS = 500
#: The child is killed this long (uniform, seconds) after its first round (one acknowledged
#: write of every kind: on a busy machine a round can outlast the shortest delay, and a kind
#: never written would test nothing).
KILL_AFTER_S = (0.05, 0.4)

#: The writer: one record of each kind per round, each on a case of that kind's own pool,
#: through the Library methods the app uses. "begin" before a write, "done" after it
#: committed; both flushed, so whatever was printed before the kill reaches the parent.
WRITER = r"""
import random, sys
from pathlib import Path
from desktop.store.library import Library
from tests.safety_kinds import KINDS, case_pools, record_text

path, seed = Path(sys.argv[1]), int(sys.argv[2])
rng = random.Random(seed)
library = Library.open(path, create=False)
pools = case_pools(library)
out = sys.stdout
for i in range(10**9):
    for kind in KINDS:
        case_id, key = rng.choice(pools[kind.name])
        out.write(f"begin {kind.name} {record_text(kind.plan(key, i))}\n")
        out.flush()
        description = kind.write(library, case_id, i)
        out.write(f"done {kind.name} {description}\n")
        out.flush()
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed library with the sample cases and the seed case (copied fresh per trial)."""
    path = tmp_path_factory.mktemp("template") / "library.db"
    with Library.open(path) as library:
        report = import_paths(library, [SAMPLE_CASES, *if_shared(SEED_CASE)])
        assert not report.failed
    return path


def fresh_copy(template: Path, folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    shutil.copyfile(template, path)
    return path


# --- the child's output -------------------------------------------------------------------------


class LineReader:
    """Reads a child's stdout on a thread, keeping only complete lines with arrival times."""

    def __init__(self, process: subprocess.Popen[str], wanted: str):
        self.lines: list[tuple[float, str]] = []
        self.first = threading.Event()
        self._process = process
        self._wanted = wanted
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if not line.endswith("\n"):
                break  # cut off by the kill: never printed whole
            self.lines.append((time.monotonic(), line[:-1]))
            if line.startswith(self._wanted):
                self.first.set()
        self.first.set()

    def join(self) -> None:
        self._thread.join(timeout=30)
        assert not self._thread.is_alive()


def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=env,
        start_new_session=True,
    )


def kill(process: subprocess.Popen[str]) -> None:
    """SIGKILLs the child, then whatever it started (its own session), before reaping it:
    until it is reaped its pid, and so its group id, cannot be reused."""
    with suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # e.g. the window's preview helper


def reap(process: subprocess.Popen[str], reader: LineReader) -> str:
    """Waits for a killed child whose stdout a LineReader reads; returns its stderr."""
    process.wait(timeout=30)
    reader.join()
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    errors = process.stderr.read()
    process.stderr.close()
    return errors


# --- the oracle ----------------------------------------------------------------------------------


@dataclass
class Tally:
    trials: int = 0
    acknowledged: int = 0
    kills: int = 0
    lost: list[str] = field(default_factory=list)
    #: What the acknowledged writes wrote (command-line tests).
    acknowledged_values: list[object] = field(default_factory=list)

    def report(self, label: str, started: float, acknowledged: str = "writes acknowledged") -> None:
        print(
            f"\n{label}: {self.trials} trials, {self.kills} SIGKILLs, {self.acknowledged}"
            f" {acknowledged}, {len(self.lost)} lost ({time.monotonic() - started:.1f} s)"
        )


def lost_records(
    before: Digest,
    after: Digest,
    begun: dict[str, list[Record]],
    acknowledged: dict[str, list[Record]],
) -> list[str]:
    """What the library should hold but does not, in plain words (empty: nothing lost)."""
    lost: list[str] = []
    for kind in KINDS:
        done = set(acknowledged[kind.name])
        if kind.latest_wins:
            stored = dict(after[kind.name])  # type: ignore[arg-type]
            previous = dict(before[kind.name])  # type: ignore[arg-type]
            by_key: dict[str, list[str]] = defaultdict(list)
            for key, value in begun[kind.name]:  # type: ignore[misc]
                by_key[key].append(value)
            for key, values in by_key.items():
                acked = [n for n, value in enumerate(values) if (key, value) in done]
                # The last acknowledged value, or anything begun after it (a commit that
                # landed before its "done" line); with nothing acknowledged, the old value too.
                allowed = values[acked[-1] :] if acked else [previous.get(key), *values]
                if stored.get(key) not in allowed:
                    lost.append(
                        f"{kind.name} {key}: stored {stored.get(key)!r}, expected one of"
                        f" {allowed[:3]!r}{'...' if len(allowed) > 3 else ''}"
                    )
        else:
            lost += [f"{kind.name} {r!r}: acknowledged, missing" for r in done - after[kind.name]]
            gone = before[kind.name] - after[kind.name]
            lost += [f"{kind.name} {r!r}: there before, missing" for r in gone]
    return lost


# --- A1: the store writer ------------------------------------------------------------------------


def run_store_trial(template: Path, folder: Path, seed: int, before: Digest, tally: Tally) -> None:
    path = fresh_copy(template, folder, f"trial-{seed}.db")
    rng = random.Random(seed)
    process = spawn([sys.executable, "-c", WRITER, str(path), str(seed)])
    reader = LineReader(process, f"done {KINDS[-1].name} ")
    try:
        assert reader.first.wait(30), "the writer acknowledged nothing"
        time.sleep(rng.uniform(*KILL_AFTER_S))
    finally:
        kill(process)
        errors = reap(process, reader)
    assert process.returncode == -signal.SIGKILL, f"the writer died by itself:\n{errors}"
    begun: dict[str, list[Record]] = defaultdict(list)
    acknowledged: dict[str, list[Record]] = defaultdict(list)
    for _at, line in reader.lines:
        verb, name, text = line.split(" ", 2)
        assert name in KIND_BY_NAME, line
        (begun if verb == "begin" else acknowledged)[name].append(parse_record(text))
    problems, after = oracle(path)
    assert problems == [], f"trial {seed}: {problems}"
    lost = lost_records(before, after, begun, acknowledged)
    tally.trials += 1
    tally.kills += 1
    tally.acknowledged += sum(len(records) for records in acknowledged.values())
    tally.lost += [f"trial {seed}: {entry}" for entry in lost]
    assert all(acknowledged[kind.name] for kind in KINDS), f"trial {seed}: a kind never written"
    path.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def run_store_trials(template: Path, folder: Path, count: int) -> Tally:
    _problems, before = oracle(template)
    tally, started = Tally(), time.monotonic()
    for seed in range(1000, 1000 + count):
        run_store_trial(template, folder, seed, before, tally)
    tally.report(f"A1 store writer, SIGKILL after uniform{KILL_AFTER_S} s", started)
    assert tally.lost == [], "\n".join(tally.lost[:20])
    return tally


def test_kill_9_while_writing_loses_no_acknowledged_write(template: Path, tmp_path: Path) -> None:
    tally = run_store_trials(template, tmp_path, TRIALS)
    assert tally.trials == TRIALS
    assert tally.acknowledged > TRIALS * len(KINDS)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_9_while_writing_loses_no_acknowledged_write_long(
    template: Path, tmp_path: Path
) -> None:
    tally = run_store_trials(template, tmp_path, SLOW_TRIALS)
    assert tally.trials == SLOW_TRIALS


def test_the_oracle_notices_a_lost_write() -> None:
    """The oracle itself: a note older than the last acknowledged one counts as lost."""
    key = "lightbox:neuro-01"
    before: Digest = {kind.name: frozenset() for kind in KINDS}
    begun = defaultdict(list, {"notes": [(key, "a"), (key, "b"), (key, "c")]})
    acked = defaultdict(list, {"notes": [(key, "a"), (key, "b")], "bookmarks": [key]})
    ok = {**before, "notes": frozenset({(key, "c")}), "bookmarks": frozenset({key})}
    assert lost_records(before, ok, begun, acked) == []  # "c" committed before its "done"
    stale = {**ok, "notes": frozenset({(key, "a")})}
    assert len(lost_records(before, stale, begun, acked)) == 1
    no_bookmark = {**ok, "bookmarks": frozenset()}
    assert len(lost_records(before, no_bookmark, begun, acked)) == 1
    was_there = {**before, "reading": frozenset({key})}
    assert len(lost_records(was_there, ok, begun, acked)) == 1


# --- A1 through the command line -----------------------------------------------------------------

#: SIGKILLs delivered to `lightbox note` and to `lightbox bookmark` processes (the default
#: suite's share: 41 s at 20 each, with the suite near its 10-minute budget; the slow test
#: delivers 300 each).
CLI_KILLS = 10
SLOW_CLI_KILLS = 300


def cli(path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "desktop", *args, "--library", str(path)]


def run_cli_steps(
    path: Path,
    commands: Iterator[tuple[list[str], object]],
    stored_now: Callable[[Library], object],
    kills_wanted: int,
    seed: int,
) -> Tally:
    """Runs the commands one after another, SIGKILLing most at a random moment of their run.

    After each one: the library checks ok and holds the value of the last command that
    exited 0, or of a later one (killed after its commit). `stored_now(library)` reads it.
    """
    rng = random.Random(seed)
    tally = Tally()
    values: list[object] = []
    acked: list[int] = []
    runtime = None
    with Library.open(path, create=False) as library:
        initial = stored_now(library)
    while tally.kills < kills_wanted:
        args, value = next(commands)
        values.append(value)
        started = time.monotonic()
        process = spawn(args)
        # The first run is never killed: it measures how long a command takes here. Then
        # three in four are killed at a random moment of their expected run.
        killing = runtime is not None and rng.random() < 0.75
        delay = rng.uniform(0.3, 1.2) * runtime if runtime is not None and killing else None
        try:
            out, errors = process.communicate(timeout=delay if delay is not None else 60)
        except subprocess.TimeoutExpired:
            kill(process)
            out, errors = process.communicate(timeout=30)
            tally.kills += 1
        else:
            assert process.returncode == 0, f"{args} failed: {errors}{out}"
            runtime = runtime or time.monotonic() - started
            acked.append(len(values) - 1)
            tally.acknowledged += 1
            tally.acknowledged_values.append(value)
        assert process.returncode in (0, -signal.SIGKILL), errors
        tally.trials += 1
        with Library.open(path, create=False) as library:
            problems = library.check()
            stored = stored_now(library)
        assert problems == [], f"after {args}: {problems}"
        allowed = values[acked[-1] :] if acked else [initial, *values]
        if stored not in allowed:
            tally.lost.append(f"after {args[3:]}: stored {stored!r}, allowed {allowed!r}")
    return tally


def run_cli_notes(template: Path, folder: Path, kills: int) -> Tally:
    path = fresh_copy(template, folder, "cli-notes.db")
    key = "lightbox:neuro-01"
    texts = (f"cli note {n}: hématome → {n} mm" for n in range(10**9))
    commands = ((cli(path, "note", key, "--set", text), text) for text in texts)
    with Library.open(path, create=False) as library:
        case_id = library.resolve(key)

    def stored(library: Library) -> str | None:
        note = library.note(case_id)
        return note.body if note else None

    started = time.monotonic()
    tally = run_cli_steps(path, commands, stored, kills, seed=7)
    tally.report(f"A1 `lightbox note {key} --set TEXT`", started)
    assert tally.lost == [], "\n".join(tally.lost[:20])
    return tally


def run_cli_bookmarks(template: Path, folder: Path, kills: int) -> Tally:
    path = fresh_copy(template, folder, "cli-bookmarks.db")
    key = "lightbox:chest-01"
    commands = (
        (cli(path, "bookmark", key, *([] if n % 2 == 0 else ["--off"])), n % 2 == 0)
        for n in range(10**9)
    )
    with Library.open(path, create=False) as library:
        case_id = library.resolve(key)
    started = time.monotonic()
    tally = run_cli_steps(path, commands, lambda lib: lib.is_bookmarked(case_id), kills, seed=8)
    tally.report(f"A1 `lightbox bookmark {key} [--off]`", started)
    assert tally.lost == [], "\n".join(tally.lost[:20])
    return tally


def acknowledged_notes_are_kept(path: Path, acknowledged: list[object]) -> None:
    """`note --set` keeps the text it replaces as a version: every text a command
    acknowledged is still there, as the note or as one of its versions."""
    with Library.open(path, create=False) as library:
        case_id = library.resolve("lightbox:neuro-01")
        note = library.note(case_id)
        kept = {version.body for version in library.note_versions(case_id)}
    assert note is not None
    kept.add(note.body)
    missing = [text for text in acknowledged if text not in kept]
    assert missing == [], missing[:5]


def test_kill_9_during_cli_note(template: Path, tmp_path: Path) -> None:
    tally = run_cli_notes(template, tmp_path, CLI_KILLS)
    assert tally.kills == CLI_KILLS and tally.acknowledged >= 1
    acknowledged_notes_are_kept(tmp_path / "cli-notes.db", tally.acknowledged_values)


def test_kill_9_during_cli_bookmark(template: Path, tmp_path: Path) -> None:
    tally = run_cli_bookmarks(template, tmp_path, CLI_KILLS)
    assert tally.kills == CLI_KILLS and tally.acknowledged >= 1


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_9_during_cli_writes_long(template: Path, tmp_path: Path) -> None:
    notes = run_cli_notes(template, tmp_path, SLOW_CLI_KILLS)
    acknowledged_notes_are_kept(tmp_path / "cli-notes.db", notes.acknowledged_values)
    bookmarks = run_cli_bookmarks(template, tmp_path, SLOW_CLI_KILLS)
    assert notes.kills + bookmarks.kills == 2 * SLOW_CLI_KILLS


# --- A2: kill -9 while typing a note in the window -----------------------------------------------

GUI_TRIALS = 3
#: Typing starts, then the window is killed this long (uniform, seconds) after the first key.
GUI_KILL_AFTER_S = (1.0, 3.0)
KEY_INTERVAL_MS = 20
#: What may be lost: one autosave window (SAVE_AFTER_MS = 700 in notes_panel) plus slack.
LOSS_WINDOW_S = 0.7 + 0.3
#: Long enough to outlast the kill at one key per ~20 ms; BMP letters of 1, 2 and 3 UTF-8 bytes.
TYPED = ("Swirl sign → active bleeding; épidural ≠ subdural; 3 mm shift. " * 8).strip()

TYPIST = r"""
import json, sys
from pathlib import Path
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from tests.gui_helpers import make_window

library, settings, key, text, interval = sys.argv[1:6]
window = make_window(Path(library), Path(settings))
window.show()
assert window.list.select_case(window.library.resolve(key))
editor = window.notes.editor
editor.setFocus()
typed = ""
out = sys.stdout
for char in text:
    if char.isascii():
        QTest.keyClicks(editor, char)
    else:  # keyClicks maps ASCII only; a non-ASCII key carries its text
        QTest.sendKeyEvent(
            QTest.KeyAction.Click, editor, Qt.Key.Key_unknown, char, Qt.KeyboardModifier.NoModifier
        )
    typed += char
    if editor.toPlainText() != typed:
        out.write("mismatch " + json.dumps(editor.toPlainText()) + "\n")
        out.flush()
        sys.exit(3)
    out.write("typed " + json.dumps(typed) + "\n")
    out.flush()
    QTest.qWait(int(interval))
out.write("finished\n")
out.flush()
QTest.qWait(60000)
"""


def run_typing_trials(template: Path, tmp_path: Path, loss_window_s: float | None) -> None:
    """Types a note in a window in a child process and SIGKILLs it mid-typing, GUI_TRIALS times.

    Every trial: the library checks sound, and the stored note is a prefix of what was typed
    (never torn mid-character, never overwritten with less than a save the parent saw).
    Untimed (`loss_window_s` None), the kill comes at a random moment after the parent has
    read a first saved note from the library, and the note stored must hold at least that.
    Timed, the kill comes GUI_KILL_AFTER_S after the first key, and the note stored must hold
    everything typed `loss_window_s` before the kill.
    """
    key = "lightbox:neuro-02"
    tally, started = Tally(), time.monotonic()
    worst = 0.0
    for trial in range(GUI_TRIALS):
        folder = tmp_path / f"gui-{trial}"
        path = fresh_copy(template, folder, "library.db")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LIGHTBOX_HOME": str(folder)}
        args = [sys.executable, "-c", TYPIST, str(path), str(folder / "settings.ini"), key]
        process = spawn([*args, TYPED, str(KEY_INTERVAL_MS)], env=env)
        reader = LineReader(process, "typed ")
        seen = ""
        try:
            assert reader.first.wait(60), "the window typed nothing"
            rng = random.Random(trial)
            if loss_window_s is None:
                seen = saved_note(path, key, process)
                time.sleep(rng.uniform(0.0, 1.0))
            else:
                kill_at = reader.lines[0][0] + rng.uniform(*GUI_KILL_AFTER_S)
                time.sleep(max(0.0, kill_at - time.monotonic()))
        finally:
            kill(process)
            killed_at = time.monotonic()
            errors = reap(process, reader)
        assert process.returncode == -signal.SIGKILL, f"the window died by itself:\n{errors}"
        lines = [(at, line) for at, line in reader.lines if not line.startswith("mismatch")]
        assert len(lines) == len(reader.lines), reader.lines[-1]
        typed = [
            (at, json.loads(line.split(" ", 1)[1])) for at, line in lines if line != "finished"
        ]
        problems, _digest = oracle(path)
        assert problems == []
        with Library.open(path, create=False) as library:
            note = library.note(library.resolve(key))
        stored = note.body if note else ""
        # A prefix of what was typed (so never torn or empty-overwritten), and no shorter than
        # the note the parent saw saved before the kill.
        assert TYPED.startswith(stored), stored
        assert stored.startswith(seen) and len(stored) >= len(seen), (stored, seen)
        tally.trials += 1
        tally.kills += 1
        tally.acknowledged += len(typed)
        if loss_window_s is None:
            continue
        assert lines[-1][1] != "finished", "typing ended before the kill: lengthen TYPED"
        must_have = max(
            (text for at, text in typed if at <= killed_at - loss_window_s), key=len, default=""
        )
        # No shorter than what was typed one autosave window before the kill.
        assert stored.startswith(must_have) and len(stored) >= len(must_have), (
            f"trial {trial}: {len(stored)} chars stored, {len(must_have)} typed by"
            f" {loss_window_s} s before the kill, {len(typed[-1][1])} typed in all"
        )
        at_of = {text: at for at, text in typed}
        # Typing lost, in seconds: from the first key that was not saved to the kill.
        lost_from = at_of.get(TYPED[: len(stored) + 1], killed_at)
        worst = max(worst, killed_at - lost_from)
    tally.report("A2 typing a note in the window", started, "keystrokes typed")
    if loss_window_s is not None:
        print(f"A2 most typing lost: {worst:.2f} s (allowed {loss_window_s} s)")


def saved_note(path: Path, key: str, process: subprocess.Popen[str]) -> str:
    """The first non-empty note the typing window saved, read from the library as it types."""
    with Library.open(path, create=False, quick_check=False) as library:
        case_id = library.resolve(key)
        while process.poll() is None:
            note = library.note(case_id)
            if note is not None and note.body:
                return note.body
            time.sleep(0.02)
    raise AssertionError("the window ended before it saved a note")


def test_kill_9_while_typing_a_note_keeps_a_prefix_of_what_was_typed(
    template: Path, tmp_path: Path
) -> None:
    run_typing_trials(template, tmp_path, loss_window_s=None)


@pytest.mark.slow
def test_kill_9_while_typing_a_note_loses_at_most_one_autosave_window(
    template: Path, tmp_path: Path
) -> None:
    run_typing_trials(template, tmp_path, loss_window_s=LOSS_WINDOW_S)


# --- B10 with images: kill -9 during a bulk import of cases with figures -------------------------

#: Trials of the importing child: the default suite, and `pytest -m slow`.
IMPORT_TRIALS = 3
SLOW_IMPORT_TRIALS = 40
#: Cases in the data set (two images each): about a second of import here.
IMPORT_CASES = 100
#: The child is killed right after it reports storing a case picked at random, plus up to
#: this long (seconds): from inside a batch to after the last commit, on any machine.
IMPORT_KILL_SLACK_S = 0.05

#: The importer, as the app runs it: "stored" after each case is stored (not yet committed).
IMPORTER = r"""
import sys
from pathlib import Path
from desktop.importer import import_paths
from desktop.store.library import Library

path, folder = Path(sys.argv[1]), Path(sys.argv[2])
library = Library.open(path, create=True)

def progress(done, name):
    sys.stdout.write(f"stored {done}\n")
    sys.stdout.flush()

# Batches as short as the app's (APP_BATCH_SECONDS): several commits in one import.
report = import_paths(library, [folder], progress=progress, batch_seconds=0.25)
sys.stdout.write(f"finished {report.summary()}\n")
sys.stdout.flush()
"""


@pytest.fixture(scope="module")
def data_set(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[bytes]]]:
    """A MedPix 2.0 folder of IMPORT_CASES cases with two small PNGs each (all distinct)."""
    from tests.test_media_safety import write_many_cases

    folder = tmp_path_factory.mktemp("medpix") / "set"
    return folder, write_many_cases(folder, IMPORT_CASES)


def check_media_after_kill(path: Path, expected: dict[str, list[bytes]]) -> set[str]:
    """The oracle for images after a kill; returns the image hashes the library names.

    Every stored case is whole (each figure names its own image, none missing); every image
    a case names is in the media folder with exactly its bytes; the folder holds images
    named by their hash and nothing else. A file no case names may be partial (a write the
    kill cut short, under the name it was being written to): the sweep removes it in time,
    and the next import of its image replaces it.
    """
    import hashlib

    from desktop.store.media import MediaStore, is_digest, media_folder

    store = MediaStore(media_folder(path))
    named: set[str] = set()
    with Library.open(path, create=False) as library:
        assert library.check() == []
        assert library._conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for case_id in library.case_ids():
            case = library.get_case(case_id)
            assert case is not None
            wanted = [hashlib.sha256(data).hexdigest() for data in expected[case.key]]
            assert [f.image for f in case.figures] == wanted, case.key
            assert all(f.missing is None for f in case.figures), case.key
            named.update(wanted)
        assert library.media_problems() == []
    for digest in named:
        assert store.problem(digest) is None, digest
    if store.folder.is_dir():
        for file in store.folder.iterdir():
            if file.name != "tmp":
                assert is_digest(file.name) and file.is_file(), file
    return named


def check_sweep_after_kill(path: Path, named: set[str], seed: int) -> int:
    """Files nothing names (images of cases not yet committed, temporaries, and one more put
    here) go only once older than the grace; named ones never. Returns how many went."""
    from desktop.store.media import SWEEP_GRACE, MediaStore, media_folder, sweep_library
    from tests.test_media import png
    from tests.test_media_safety import age_media

    store = MediaStore(media_folder(path))
    extra = store.put(png(3, 3 + seed % 50, 255))  # an orphan in every trial
    files = {p.name for p in store.files()}
    temporaries = (
        set((store.folder / "tmp").iterdir()) if (store.folder / "tmp").is_dir() else set()
    )
    orphans = files - named
    assert extra in orphans
    assert sweep_library(path) == []  # all younger than the grace
    age_media(store.folder, SWEEP_GRACE.total_seconds() / 86400 - 1 / 24)
    assert sweep_library(path) == []  # an hour short of it
    age_media(store.folder, 2 * SWEEP_GRACE.total_seconds() / 86400)
    removed = sweep_library(path)
    assert {p for p in removed if p.parent.name == "tmp"} == temporaries
    assert {p.name for p in removed if p.parent.name != "tmp"} == orphans
    assert {p.name for p in store.files()} == named
    for digest in named:
        assert store.problem(digest) is None
    return len(removed)


def run_import_trial(
    folder: Path, expected: dict[str, list[bytes]], work: Path, seed: int, tally: Tally
) -> tuple[int, int]:
    """One kill during an import, the oracle, the sweep, and the import run again.

    Returns:
        (cases stored before the kill, files swept).
    """
    import hashlib

    from desktop.store.media import MediaStore, media_folder

    library_folder = work / f"import-{seed}"
    library_folder.mkdir()
    path = library_folder / "library.db"
    rng = random.Random(seed)
    process = spawn([sys.executable, "-c", IMPORTER, str(path), str(folder)])
    reader = LineReader(process, f"stored {rng.randint(1, len(expected))}\n")
    try:
        assert reader.first.wait(60), "the importer did not get that far"
        time.sleep(rng.uniform(0, IMPORT_KILL_SLACK_S))
    finally:
        kill(process)
        errors = reap(process, reader)
    assert process.returncode in (0, -signal.SIGKILL), errors
    killed = process.returncode == -signal.SIGKILL
    named = check_media_after_kill(path, expected)
    with Library.open(path, create=False) as library:
        stored = library.count_cases()
    swept = check_sweep_after_kill(path, named, seed)
    with Library.open(path, create=False) as library:
        report = import_paths(library, [folder])
        assert (report.failed, report.warnings) == ([], [])
        assert (report.imported, report.unchanged) == (len(expected) - stored, stored)
        assert library.count_cases() == len(expected)
        keys = [
            row[0] for row in library._conn.execute("SELECT source || ':' || source_id FROM cases")
        ]
        assert sorted(keys) == sorted(expected)  # no duplicates
    every = {hashlib.sha256(data).hexdigest() for images in expected.values() for data in images}
    assert check_media_after_kill(path, expected) == every
    assert {p.name for p in MediaStore(media_folder(path)).files()} == every
    tally.trials += 1
    tally.kills += killed
    tally.acknowledged += stored
    return stored, swept


def run_import_trials(
    data_set: tuple[Path, dict[str, list[bytes]]], work: Path, count: int
) -> None:
    folder, expected = data_set
    tally, started = Tally(), time.monotonic()
    outcomes = [run_import_trial(folder, expected, work, seed, tally) for seed in range(count)]
    tally.report(
        f"B10 import of {len(expected)} cases with 2 images each, SIGKILL after a random case",
        started,
        "cases committed before the kill",
    )
    print(f"B10 cases stored at each kill: {[stored for stored, _ in outcomes]}")
    print(f"B10 files swept after each kill: {[swept for _, swept in outcomes]}")
    assert tally.kills >= 1, "every import finished before its kill: lengthen IMPORT_CASES"


def test_kill_9_during_an_import_with_images_leaves_no_case_without_its_images(
    data_set: tuple[Path, dict[str, list[bytes]]], tmp_path: Path
) -> None:
    run_import_trials(data_set, tmp_path, IMPORT_TRIALS)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_kill_9_during_an_import_with_images_long(
    data_set: tuple[Path, dict[str, list[bytes]]], tmp_path: Path
) -> None:
    run_import_trials(data_set, tmp_path, SLOW_IMPORT_TRIALS)
