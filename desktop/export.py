"""Markdown export of the reader's notes and highlights: one file per case, Obsidian friendly.

No Qt here: the command line (`lightbox export notes`) and the window (File > Export Notes)
call `export_notes`, and the notes panel's "Note from highlights" appends
`highlights_markdown` to a note.

What a folder of exported notes holds, and how a second export treats it:

* One file per case, named by `file_name` (its title, then its id, so the name is stable
  and two cases with one title never meet). Each begins with YAML front matter whose
  ``exported_by: "Lightbox"`` line marks the file as Lightbox's.
* ``Lightbox index.md``, linking every Lightbox file in the folder with ``[[...]]``.
* Exporting again updates each case's file in place: a file whose content would not change
  (but for the export date) is left untouched, so sync tools see no churn; a case whose title
  changed has its earlier file renamed, never a second file made.
* Lightbox never deletes a file: one left by a case that is no longer exported (its note
  cleared, the case trashed) stays, still listed in the index, since the reader may have
  linked to it or edited it. A file of a case's name that Lightbox did not write is never
  overwritten: that case fails, with the reason, and the rest goes on.
* Files are written whole or not at all (a temporary file, then `os.replace`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.model import Case, CaseFilter, CaseId, Highlight, HighlightFilter
from desktop.palette import PALETTE
from desktop.sections import canonical_line, replace_unsafe

if TYPE_CHECKING:
    from desktop.store.library import Library

__all__ = [
    "INDEX_NAME",
    "ExportReport",
    "case_markdown",
    "export_notes",
    "file_name",
    "highlights_markdown",
    "obsidian_tag",
    "yaml_string",
]

#: The index of an export folder (never a case's name: those end with the case's id).
INDEX_NAME = "Lightbox index.md"
#: A case file's name, at most this many characters before ``.md`` ...
MAX_NAME_CHARS = 120
#: ... and this many UTF-8 bytes (ext4 and APFS take 255 bytes a name; emoji take 4 each).
MAX_NAME_BYTES = 200
#: The front-matter line that marks a file as Lightbox's own.
MARKER = 'exported_by: "Lightbox"'
#: How much of a file is read to tell whether it is Lightbox's (the front matter fits).
_HEAD_BYTES = 8192

#: Characters no file name may hold on some system, plus those an Obsidian link target may
#: not (``#^[]|``). Path separators become a hyphen ("T1/T2" reads on), the rest a space.
_AS_HYPHEN = str.maketrans({c: "-" for c in "/\\|"})
_AS_SPACE = str.maketrans({c: " " for c in ':*?"<>#^[]'})
#: Names Windows keeps for devices, whatever follows them after a dot.
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{port}{n}" for port in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
#: Categories that never belong in a name or a one-line YAML value: controls, format
#: characters (bidirectional overrides could disguise a name), lone surrogates, and the
#: line and paragraph separators some readers treat as line breaks.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
#: Characters Markdown (and Obsidian: tags, ==marks==, $maths$, ^blocks) gives a meaning.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~=^$])")
#: The start of a line Markdown would read as a list item or a rule: the character to escape.
_BLOCK_START = re.compile(r"^(\d*)([-+.)])")
#: What a tag keeps as it is; any other character becomes an underscore.
_TAG_KEEP = re.compile(r"[^\w/-]")
#: The front matter's export date, left out when comparing a file with its new text.
_EXPORTED_LINE = re.compile(rb"\nexported: [^\n]*\n")


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What `export_notes` did.

    Attributes:
        folder: Where the files went.
        written: Files made or changed.
        unchanged: Files that already held what the export would write.
        failed: Files not written, each with the reason; the others went on.
        index: The index file, or None when it could not be written (it is in `failed`).
    """

    folder: Path
    written: tuple[Path, ...] = ()
    unchanged: tuple[Path, ...] = ()
    failed: tuple[tuple[Path, str], ...] = ()
    index: Path | None = None

    def summary(self) -> str:
        """The counts, e.g. "3 written, 1 unchanged, 0 failed"."""
        counts = (len(self.written), len(self.unchanged), len(self.failed))
        return "{} written, {} unchanged, {} failed".format(*counts)


# --- Markdown ----------------------------------------------------------------------------


def yaml_string(text: str) -> str:
    """`text` as a YAML double-quoted scalar on one line.

    JSON's string syntax is a subset of YAML's double-quoted style, so `json.dumps` does most
    of the work; on top of it, characters YAML does not allow raw (DEL, C1 controls, a byte
    order mark) and those a reader might show as a line break (U+2028, U+2029, U+0085) are
    escaped too, as ``\\uXXXX``.
    """
    quoted = json.dumps(text, ensure_ascii=False)
    return "".join(f"\\u{ord(c):04x}" if _escaped_in_yaml(c) else c for c in quoted)


def _escaped_in_yaml(char: str) -> bool:
    if char.isascii():
        return char == "\x7f"  # json.dumps escaped the other ASCII controls already
    if char == "\u200d":  # the joiner inside emoji sequences: harmless, and kept readable
        return False
    return unicodedata.category(char) in _INVISIBLE or char in "\ufffe\uffff"


def obsidian_tag(tag: str) -> str:
    """A tag as Obsidian takes it after ``#`` ('' if nothing is left of it).

    Obsidian tags hold letters, digits, ``_``, ``-`` and ``/`` (nesting), no spaces, and at
    least one character that is not a digit. White space becomes ``-`` ("key finding" ->
    ``key-finding``), any other character ``_``, and an all-digit tag gets a leading ``_``.
    """
    cleaned = "-".join(unicodedata.normalize("NFC", tag).lstrip("#").split())
    cleaned = _TAG_KEEP.sub("_", cleaned).strip("/")
    if cleaned.isdigit():
        cleaned = f"_{cleaned}"
    return cleaned


def _tags_line(tags: Iterable[str]) -> str:
    return " ".join(f"#{tag}" for tag in _unique_tags(tags))


def _unique_tags(tags: Iterable[str]) -> list[str]:
    """The tags as Obsidian takes them, each once (ignoring case), in the order given."""
    kept: dict[str, str] = {}
    for tag in tags:
        safe = obsidian_tag(tag)
        if safe:
            kept.setdefault(safe.casefold(), safe)
    return list(kept.values())


def _quote_block(text: str) -> list[str]:
    """Case text as a Markdown blockquote, each paragraph (line) its own, every line
    prefixed; its characters stay text (escaped), so a quote never turns into a heading, a
    list, a rule, a tag, maths or HTML."""
    lines: list[str] = []
    for paragraph in replace_unsafe(text).split("\n"):
        escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", paragraph.strip())
        escaped = _BLOCK_START.sub(r"\1\\\2", escaped)
        if lines:
            lines.append(">")
        lines.append(f"> {escaped}".rstrip())
    return lines


def highlights_markdown(highlights: Sequence[Highlight], meanings: Mapping[str, str]) -> str:
    """The highlights as Markdown, grouped by colour: what "Note from highlights" appends
    to a note and what an exported file ends with.

    A ``## Highlights`` heading, then one ``### Colour — meaning`` heading per colour used
    (in the palette's order), and under it each highlight in the order given: its text as a
    blockquote, its comment (Markdown, as the reader wrote it), its tags as ``#tags``.
    Detached highlights stay under their colour, marked, with the text they were made on.

    Args:
        highlights: A case's highlights (`Library.highlights` gives them in reading order).
        meanings: What the reader said each colour means, by colour name.

    Returns:
        The Markdown, ending with one newline; '' when there are no highlights.
    """
    if not highlights:
        return ""
    blocks = ["## Highlights"]
    for colour in PALETTE:
        chosen = [h for h in highlights if h.colour == colour.name]
        if not chosen:
            continue
        meaning = " ".join(meanings.get(colour.name, "").split())
        blocks.append(f"### {colour.label}" + (f" — {meaning}" if meaning else ""))
        for highlight in chosen:
            blocks.append(_highlight_block(highlight))
    return "\n\n".join(blocks) + "\n"


def _highlight_block(highlight: Highlight) -> str:
    if highlight.start is None:
        lines = _quote_block(highlight.quote)
        lines.append(">")
        lines.append("> *(detached: not found in the current text)*")
    else:
        lines = _quote_block(highlight.text or highlight.quote)
    parts = ["\n".join(lines)]
    comment = highlight.comment.strip()
    if comment:
        parts.append(replace_unsafe(comment))
    tags = _tags_line(highlight.tags)
    if tags:
        parts.append(tags)
    return "\n\n".join(parts)


def case_markdown(
    case: Case,
    case_key: str,
    note_body: str,
    highlights: Sequence[Highlight],
    meanings: Mapping[str, str],
    *,
    exported: dt.date,
) -> str:
    """One case's exported file: YAML front matter, ``# Title``, the note, the highlights.

    The front matter holds ``title``, ``id`` (``source:source_id``), ``doi`` and ``section``
    (null when the case has none), ``tags`` (every highlight's tags, as Obsidian takes them),
    ``exported`` (a YAML date) and the ``exported_by`` marker. Every string is a YAML
    double-quoted scalar (`yaml_string`), so a title with a colon, quotes, ``#``, a leading
    ``-`` or a line break stays one line and one value.

    Args:
        case: The case.
        case_key: Its id, ``source:source_id``.
        note_body: The reader's note (Markdown), or ''.
        highlights: Its highlights, in reading order.
        meanings: What each colour means.
        exported: The date to write.

    Returns:
        The file's text, ending with one newline.
    """
    title = canonical_line(case.title) or "Untitled"
    tags = _unique_tags(tag for highlight in highlights for tag in highlight.tags)
    front = [
        "---",
        f"title: {yaml_string(title)}",
        f"id: {yaml_string(case_key)}",
        f"doi: {_optional(case.doi)}",
        f"section: {_optional(case.section)}",
        f"tags: [{', '.join(yaml_string(tag) for tag in tags)}]",
        f"exported: {exported.isoformat()}",
        MARKER,
        "---",
    ]
    blocks = ["\n".join(front), f"# {title}"]
    note = replace_unsafe(note_body).strip()
    if note:
        blocks.append(note)
    summary = highlights_markdown(highlights, meanings).strip()
    if summary:
        blocks.append(summary)
    return "\n\n".join(blocks) + "\n"


def _optional(value: str | None) -> str:
    cleaned = canonical_line(value or "")
    return yaml_string(cleaned) if cleaned else "null"


# --- file names --------------------------------------------------------------------------


def file_name(case: Case) -> str:
    """The name of a case's exported file: ``Title (source source_id).md``.

    Safe on Windows, macOS and Linux (none of ``/\\:*?"<>|``, no control or invisible
    characters, no leading or trailing dot or space, never a device name such as ``CON``),
    NFC, at most `MAX_NAME_CHARS` characters and `MAX_NAME_BYTES` UTF-8 bytes before
    ``.md`` (a long title is cut, the id never), and a valid Obsidian link target (no
    ``#^[]|``). The same case always gets the same name while its title stays the same.
    """
    suffix = f" ({_name_part(case.source)} {_name_part(case.source_id)})"
    suffix = _cut(suffix, MAX_NAME_CHARS // 2, MAX_NAME_BYTES // 2)
    room_chars = MAX_NAME_CHARS - len(suffix)
    room_bytes = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    title = _cut(_name_part(case.title), room_chars, room_bytes).rstrip(" .") or "Untitled"
    if title.split(".", 1)[0].rstrip(" ").upper() in _RESERVED:
        title = f"_{title}"
    return f"{title}{suffix}.md"


def _name_part(text: str) -> str:
    """Text made safe for a file name (see `file_name`); may come out empty."""
    text = unicodedata.normalize("NFC", text).translate(_AS_HYPHEN).translate(_AS_SPACE)
    text = "".join(" " if _unfit_for_name(c) else c for c in text)
    return " ".join(text.split()).strip(" .")


def _unfit_for_name(char: str) -> bool:
    if char == "\u200d":  # joins emoji sequences
        return False
    code = ord(char)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE
    return noncharacter or unicodedata.category(char) in _INVISIBLE


def _cut(text: str, chars: int, size: int) -> str:
    """The longest beginning of `text` within both bounds, not ending inside an emoji
    sequence or before a combining mark it would strip."""
    while len(text) > chars or len(text.encode("utf-8")) > size:
        text = text[: min(chars, len(text) - 1)]
        chars = len(text)
    # A cut can leave a joiner, variation selector or skin tone without what they modify.
    while text and (
        unicodedata.combining(text[-1])
        or text[-1] in "\u200d\ufe0e\ufe0f"
        or "\U0001f3fb" <= text[-1] <= "\U0001f3ff"
    ):
        text = text[:-1]
    return text.rstrip()


# --- writing a folder --------------------------------------------------------------------


@dataclass(slots=True)
class _Folder:
    """The Lightbox files already in an export folder: by case id, and their titles."""

    by_case: dict[str, list[Path]] = field(default_factory=dict)
    titles: dict[Path, str] = field(default_factory=dict)


def export_notes(
    library: Library,
    out_dir: Path,
    case_ids: Sequence[CaseId] | None = None,
    now: dt.datetime | None = None,
) -> ExportReport:
    """Writes one Markdown file per case into `out_dir`, and the folder's index.

    See the module docstring for names, updates in place, and what is never deleted or
    overwritten.

    Args:
        library: The library to read.
        out_dir: The folder (made if missing).
        case_ids: The cases to export; None for every case (out of the Trash) that has a
            note or a highlight.
        now: The moment of the export (its local date is written); default now.

    Returns:
        What was written, left unchanged, or failed (path and reason).

    Raises:
        OSError: the folder cannot be made or read (nothing was written).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    folder = _scan(out_dir)
    exported = (now or dt.datetime.now(dt.UTC)).astimezone().date()
    meanings = library.colour_meanings()
    ids = list(case_ids) if case_ids is not None else _cases_with_notes(library)
    written: list[Path] = []
    unchanged: list[Path] = []
    failed: list[tuple[Path, str]] = []
    for case_id in ids:
        case = library.get_case(case_id)
        if case is None:
            failed.append((out_dir, f"no case {case_id} in the library"))
            continue
        target = out_dir / file_name(case)
        note = library.note(case_id)
        text = case_markdown(
            case,
            case.key,
            note.body if note is not None else "",
            library.highlights(case_id),
            meanings,
            exported=exported,
        )
        try:
            changed = _put(folder, case.key, target, text.encode("utf-8"))
        except (OSError, _NotOurs) as error:
            failed.append((target, _reason(error)))
            continue
        (written if changed else unchanged).append(target)
        folder.titles[target] = canonical_line(case.title) or "Untitled"
    index = out_dir / INDEX_NAME
    try:
        _write_if_changed(index, _index_markdown(folder).encode("utf-8"))
    except OSError as error:
        failed.append((index, _reason(error)))
        return ExportReport(out_dir, tuple(written), tuple(unchanged), tuple(failed), None)
    return ExportReport(out_dir, tuple(written), tuple(unchanged), tuple(failed), index)


class _NotOurs(Exception):
    """A file of the case's name is there that Lightbox did not write for that case."""


def _reason(error: BaseException) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _cases_with_notes(library: Library) -> list[CaseId]:
    """Every case out of the Trash with a note or a live highlight, by title."""
    ids = set(library.case_ids(CaseFilter("notes")))
    rows = library.highlight_rows(library.highlight_ids(HighlightFilter()))
    # A highlight whose case is not in the library has no case to export.
    ids.update(row.highlight.case_id for row in rows if row.highlight.case_id is not None)
    return library.sort_ids(list(ids), "title", False)


def _scan(out_dir: Path) -> _Folder:
    """Finds the Lightbox files in the folder by their front matter (not by name: a file
    the reader renamed is still the case's)."""
    folder = _Folder()
    for path in sorted(out_dir.glob("*.md")):
        if path.name == INDEX_NAME or not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
        except OSError:
            continue  # unreadable: not ours to judge, and never overwritten below
        found = _front_matter(head)
        if found is None:
            continue
        case_key, title = found
        folder.by_case.setdefault(case_key, []).append(path)
        folder.titles[path] = title
    return folder


def _front_matter(head: str) -> tuple[str, str] | None:
    """(id, title) from a Lightbox file's front matter; None for any other file."""
    if not head.startswith("---\n"):
        return None
    end = head.find("\n---", 3)
    lines = head[4:end].split("\n") if end > 0 else []
    if MARKER not in lines:
        return None
    values: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.partition(": ")
        if sep and key in ("id", "title"):
            try:
                loaded = json.loads(value)
            except ValueError:
                continue
            if isinstance(loaded, str):
                values[key] = loaded
    if "id" not in values:
        return None
    return values["id"], values.get("title") or "Untitled"


def _put(folder: _Folder, case_key: str, target: Path, data: bytes) -> bool:
    """Writes a case's file at `target` (renaming its earlier file there first, when its
    title changed); returns False if it already held `data` (but for the date).

    Raises:
        _NotOurs: `target` holds a file Lightbox did not write for this case.
        OSError: it could not be written.
    """
    earlier = folder.by_case.get(case_key, [])
    if target.exists() and not any(_same_file(path, target) for path in earlier):
        raise _NotOurs("a file of this name that Lightbox did not write is there; left as it is")
    if earlier and not target.exists():
        os.replace(earlier[0], target)  # the title changed: the file follows it
        folder.titles.pop(earlier[0], None)
        earlier[0] = target
    elif target not in earlier:
        earlier.append(target)
    folder.by_case[case_key] = earlier
    return _write_if_changed(target, data)


def _same_file(one: Path, other: Path) -> bool:
    """Whether two names are one file (a case-insensitive file system, a changed case)."""
    if one == other:
        return True
    try:
        return one.samefile(other)
    except OSError:
        return False


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Writes `data` to `path` whole or not at all; returns False (and writes nothing) if the
    file already holds it, the front matter's export date aside."""
    try:
        current = path.read_bytes()
    except FileNotFoundError:
        current = None
    if current is not None and _undated(current) == _undated(data):
        return False
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".lightbox-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True


def _undated(data: bytes) -> bytes:
    """A file's bytes without the export date of its front matter (a note's own line that
    reads the same is compared as it is)."""
    front, rule, rest = data.partition(b"\n---\n")
    return _EXPORTED_LINE.sub(b"\n", front + b"\n", count=1) + rule + rest


def _index_markdown(folder: _Folder) -> str:
    """The index: a link to every Lightbox file in the folder, by title."""
    entries = sorted(folder.titles.items(), key=lambda item: (item[1].casefold(), item[0].name))
    lines = [
        "# Lightbox notes",
        "",
        "Notes and highlights exported from Lightbox, one file per case.",
        "",
    ]
    lines += [f"- [[{path.stem}]]" for path, _title in entries]
    return "\n".join(lines) + "\n"
