"""The `lightbox` command: with no command, the reading window; `import`, `list`, `search`,
`show`, `highlight`, `export` and the rest do the same work headless, over the same store.

Commands that change the library say what they did in one line (`--quiet` silences it);
the exit status is one of `EXIT_STATUSES`, and an error is always one line on stderr, never
a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import desktop
from desktop import cli_study
from desktop.model import Case, CaseFilter, CaseId, CaseSummary, Highlight, ListRow
from desktop.store.errors import LibraryCorrupt, LibraryError, NotALibrary
from desktop.store.library import Library, Restored

EXIT_OK = 0
EXIT_FAILURES = 1
EXIT_ERROR = 2
EXIT_INTERRUPTED = 130
#: What each exit status means, as `--help` lists it.
EXIT_STATUSES = (
    (EXIT_OK, "done (a list or search that finds nothing is done too)"),
    (EXIT_FAILURES, "done in part: an import or export had failures or found no case,"
     " or check found damage"),
    (EXIT_ERROR, "not done: a usage error, an unknown case or name, or a library that"
     " cannot be read or written"),
    (EXIT_INTERRUPTED, "interrupted (Ctrl+C)"),
)  # fmt: skip
#: The most characters of a query a search that found nothing repeats.
SHOWN_QUERY_CHARS = 60
#: The largest --limit `search` takes (a library of 100,000 cases fits).
MAX_SEARCH_LIMIT = 100_000
#: The largest version number `versions --restore` takes (SQLite integers are 64-bit).
MAX_VERSION = 2**63 - 1
#: The largest --occurrence `highlight add` takes (no section holds more words).
MAX_OCCURRENCE = 1_000_000


class UsageError(Exception):
    """Bad arguments or an unknown case: reported in one line, exit status 2."""


class _Version(argparse.Action):
    """--version, reading the package metadata only when asked (it costs ~25 ms)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> NoReturn:
        print(f"lightbox {desktop.__version__}")
        parser.exit()


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


class _Help(argparse.RawDescriptionHelpFormatter):
    """Help with the commands one a line: room for the longest name before the text."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=24)

    def _format_action(self, action: argparse.Action) -> str:
        if isinstance(action, argparse._SubParsersAction):
            # The commands, one a line, without a line for the COMMAND placeholder.
            return "".join(self._format_action(sub) for sub in action._get_subactions())
        return super()._format_action(action)


_USAGE = """lightbox [--library FILE] [--theme THEME] [FILE ...]
       lightbox COMMAND [--library FILE] [--quiet] [ARGUMENTS]"""

#: The help's paragraphs (filled to the width of a terminal of 80 columns).
_DESCRIPTION = (
    "Lightbox: an offline reader for radiology teaching cases.",
    "With no command, the reading window opens (and imports the FILEs named, if any). A"
    " command does one thing headless, on the same library; 'lightbox COMMAND --help' says"
    " more about it.",
)
_SPEAKING = (
    "Commands that change the library print one line saying what they did (restore adds"
    " where the library as it was went); -q (--quiet) silences it, for scripts. What a"
    " command makes is printed even so (backup: the file's path; highlight add: the new"
    " id), and so are failures. Errors go to standard error, one line each.",
)


def _paragraphs(paragraphs: tuple[str, ...]) -> str:
    return "\n\n".join(textwrap.fill(paragraph, 78) for paragraph in paragraphs)


def _epilog() -> str:
    statuses = "\n".join(
        textwrap.fill(meaning, 78, initial_indent=f"  {code:<4} ", subsequent_indent=" " * 7)
        for code, meaning in EXIT_STATUSES
    )
    return f"{_paragraphs(_SPEAKING)}\n\nExit status:\n{statuses}"


def build_parser(*, files: bool = False) -> argparse.ArgumentParser:
    """The command line. With `files`, the window's form: `lightbox [options] FILE...`
    (how a desktop entry's %F hands over files to import), with no subcommands."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--library",
        metavar="FILE",
        type=Path,
        default=argparse.SUPPRESS,
        help="library file to use (default: library.db in the data folder)",
    )
    if not files:
        common.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=argparse.SUPPRESS,
            help="do not say what was done (failures and errors are still printed)",
        )
    # The window's form answers no --help: the full parser does, listing the commands.
    parser = _Parser(
        prog="lightbox",
        usage=_USAGE,
        description=_paragraphs(_DESCRIPTION),
        epilog=_epilog(),
        formatter_class=_Help,
        parents=[common],
        add_help=not files,
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    window = parser.add_argument_group("the window (no command)")
    window.add_argument(
        "--screenshot",
        metavar="FILE",
        type=Path,
        help="open the window, save a PNG of it to FILE and quit",
    )
    window.add_argument("--case", metavar="ID", help="open the window on this case")
    window.add_argument(
        "--theme",
        choices=["system", "light", "dark"],
        default="system",
        metavar="THEME",
        help="system, light or dark (default: system: follow it)",
    )
    if files:
        parser.add_argument("files", nargs="*", type=Path, metavar="FILE")
        return parser
    commands = parser.add_subparsers(
        title="commands", dest="command", metavar="COMMAND", parser_class=_Parser, prog="lightbox"
    )

    importing = commands.add_parser(
        "import", parents=[common], help="import case files, folders or zip archives"
    )
    importing.add_argument("paths", nargs="+", type=Path, metavar="PATH")

    listing = commands.add_parser("list", parents=[common], help="list the cases")
    listing.add_argument(
        "--json",
        action="store_true",
        help="print a JSON array; each case has the reader's marks too (bookmarked,"
        " has_note, read, highlights: how many, due: the next drill or null)",
    )
    listing.add_argument(
        "--sort",
        default="title",
        metavar="KEY",
        help="title (default), section, age, sex, diagnosis, published, imported, read, due,"
        " or marks (bookmarked, then with a note, then highlighted: marked cases first)",
    )
    listing.add_argument("--reverse", action="store_true", help="sort the other way")

    searching = commands.add_parser(
        "search", parents=[common], help="search the cases and your notes, best first"
    )
    searching.add_argument("query")
    searching.add_argument(
        "--limit",
        type=_bounded_int(MAX_SEARCH_LIMIT),
        default=20,
        metavar="N",
        help=f"at most N hits (1 to {MAX_SEARCH_LIMIT:,})",
    )
    searching.add_argument("--json", action="store_true", help="print a JSON array")

    showing = commands.add_parser("show", parents=[common], help="show one case")
    showing.add_argument("id", metavar="ID", help="SOURCE:ID, e.g. eurorad:8455")
    showing.add_argument("--json", action="store_true", help="print one JSON object")

    noting = commands.add_parser("note", parents=[common], help="print or replace a note")
    noting.add_argument("id", metavar="ID")
    noting.add_argument("--set", metavar="TEXT", help="replace the note ('-': standard input)")
    versioning = commands.add_parser(
        "versions", parents=[common], help="list a case's earlier texts, or restore one"
    )
    versioning.add_argument("id", metavar="ID")
    versioning.add_argument(
        "--restore",
        type=_bounded_int(MAX_VERSION),
        metavar="N",
        help="make version N the current text (the current one is kept as a new version)",
    )
    marking = commands.add_parser("bookmark", parents=[common], help="bookmark a case")
    marking.add_argument("id", metavar="ID")
    marking.add_argument("--off", action="store_true", help="remove the bookmark")
    commands.add_parser("bookmarks", parents=[common], help="list bookmarked cases")
    trashing = commands.add_parser("trash", parents=[common], help="move a case to the trash")
    trashing.add_argument("id", metavar="ID")
    untrashing = commands.add_parser(
        "untrash", parents=[common], help="take a case out of the trash"
    )
    untrashing.add_argument("id", metavar="ID")
    emptying = commands.add_parser(
        "empty-trash", parents=[common], help="delete trashed cases and their notes for good"
    )
    emptying.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    purging = commands.add_parser(
        "purge-deleted",
        parents=[common],
        help="forget deleted notes, bookmarks, readings for good",
    )
    purging.add_argument(
        "--older-than",
        type=_days,
        metavar="DAYS",
        help="only those deleted more than DAYS days ago (default: all)",
    )
    purging.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    _add_highlight_commands(commands, common)
    _add_organise_commands(commands, common)
    cli_study.add_commands(commands, common, _Parser)
    exporting = commands.add_parser("export", parents=[common], help="export notes and highlights")
    exports = exporting.add_subparsers(
        dest="export_command", metavar="WHAT", parser_class=_Parser, required=True
    )
    notes_export = exports.add_parser(
        "notes",
        parents=[common],
        help="one Markdown file per case with a note or highlights, and an index (Obsidian)",
    )
    notes_export.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    notes_export.add_argument(
        "--case",
        action="append",
        default=[],
        metavar="ID",
        help="export this case only (repeat for more)",
    )
    commands.add_parser("backup", parents=[common], help="back up the library now")
    restoring = commands.add_parser(
        "restore", parents=[common], help="restore a backup (without FILE: list the backups)"
    )
    restoring.add_argument("file", type=Path, metavar="FILE", nargs="?")
    commands.add_parser("check", parents=[common], help="check the library for damage")
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Gives every command and action its one-line help as the description of its own
    --help, and the same layout."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        helps = {choice.dest: choice.help for choice in action._choices_actions}
        for name, sub in action.choices.items():
            sub.formatter_class = _Help
            if sub.description is None and helps.get(name):
                text = str(helps[name])
                sub.description = text[:1].upper() + text[1:] + "."
            _describe(sub)


def _add_highlight_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """`lightbox highlight add|list|delete|undelete`."""
    highlight = commands.add_parser(
        "highlight", parents=[common], help="add, list, delete or bring back highlights"
    )
    actions = highlight.add_subparsers(
        dest="highlight_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    adding = actions.add_parser("add", parents=[common], help="highlight a passage; prints its id")
    adding.add_argument("id", metavar="ID", help="the case, SOURCE:ID")
    adding.add_argument(
        "--section",
        required=True,
        metavar="KEY",
        help="a section key, as in show --json's sections (offsets refer to their text); a"
        " kind with parts (discussion, differential, reference) searches them in order",
    )
    adding.add_argument("--quote", required=True, metavar="TEXT", help="the words to highlight")
    adding.add_argument(
        "--occurrence",
        type=_bounded_int(MAX_OCCURRENCE),
        default=1,
        metavar="N",
        help="the Nth occurrence of the quote in the section (default: 1)",
    )
    adding.add_argument(
        "--colour", "--color", dest="colour", default="yellow", metavar="NAME", help="yellow, red…"
    )
    adding.add_argument("--comment", default="", metavar="TEXT", help="a comment (Markdown)")
    adding.add_argument(
        "--tag", action="append", default=[], metavar="T", help="a tag (repeat for more)"
    )
    listing = actions.add_parser("list", parents=[common], help="a case's highlights")
    listing.add_argument("id", metavar="ID")
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    listing.add_argument(
        "--deleted",
        action="store_true",
        help="the deleted ones instead (undelete brings them back)",
    )
    for name, what in (("delete", "delete a highlight"), ("undelete", "bring one back")):
        acting = actions.add_parser(name, parents=[common], help=what)
        acting.add_argument("hid", metavar="HID", help="its id, or a unique beginning of it")


def _add_organise_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """`lightbox collection add|remove|list`, `tag`, `untag`, `tags` and
    `saved add|remove|rename|list`."""
    collection = commands.add_parser(
        "collection", parents=[common], help="put cases in or out of collections; list them"
    )
    actions = collection.add_subparsers(
        dest="collection_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    for name, what in (
        ("add", "add cases at the end of a collection (made if missing; '/' nests)"),
        ("remove", "take cases out of a collection (the cases stay in the library)"),
    ):
        acting = actions.add_parser(name, parents=[common], help=what)
        acting.add_argument(
            "name", metavar="NAME", help='a collection\'s path, e.g. "Boards/Chest"'
        )
        acting.add_argument("ids", nargs="+", metavar="ID", help="cases, SOURCE:ID")
    listing = actions.add_parser(
        "list", parents=[common], help="the collections as a tree, with their counts"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array")
    for name, what in (("tag", "tag a case"), ("untag", "take tags off a case")):
        tagging = commands.add_parser(name, parents=[common], help=what)
        tagging.add_argument("id", metavar="ID", help="the case, SOURCE:ID")
        tagging.add_argument("tags", nargs="+", metavar="TAG")
    tags = commands.add_parser("tags", parents=[common], help="the tags in use, with counts")
    tags.add_argument("--json", action="store_true", help="print a JSON array")
    saved = commands.add_parser(
        "saved", parents=[common], help="save, rename or remove searches; list them"
    )
    actions = saved.add_subparsers(
        dest="saved_command", metavar="ACTION", parser_class=_Parser, required=True
    )
    adding = actions.add_parser("add", parents=[common], help="save a search under a name")
    adding.add_argument("name", metavar="NAME", help="its name (1 to 100 characters)")
    adding.add_argument("query", metavar="QUERY", help="a search, in the search language")
    adding.add_argument(
        "--replace", action="store_true", help="give the one of that name this query"
    )
    removing = actions.add_parser("remove", parents=[common], help="delete a saved search")
    removing.add_argument("name", metavar="NAME")
    renaming = actions.add_parser("rename", parents=[common], help="rename a saved search")
    renaming.add_argument("name", metavar="NAME")
    renaming.add_argument("new", metavar="NEW")
    listing = actions.add_parser(
        "list", parents=[common], help="the saved searches, with how many cases each lists"
    )
    listing.add_argument("--json", action="store_true", help="print a JSON array")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    try:
        opened = _files_to_open(arguments)
        if opened is not None:
            from desktop.ui.app import run

            return run(
                getattr(opened, "library", None),
                screenshot=opened.screenshot,
                case_key=opened.case,
                scheme=opened.theme,
                import_paths=opened.files,
            )
        args = build_parser().parse_args(arguments)
        return _run(args)
    except SystemExit as stop:  # --help and --version print, then stop here
        return stop.code if isinstance(stop.code, int) else EXIT_OK
    except UsageError as error:
        return _fail(f"error: {error}")
    except LibraryError as error:
        return _fail(str(error))
    except BrokenPipeError:
        # The reader piped us into `head`; stop quietly.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _files_to_open(arguments: list[str]) -> argparse.Namespace | None:
    """`lightbox FILE...`: the files to import in the window, or None for any other form."""
    try:
        guess, unknown = build_parser(files=True).parse_known_args(arguments)
    except UsageError:
        return None
    names = [str(path) for path in guess.files]
    if unknown or not names or names[0] in _COMMAND_NAMES:
        return None
    missing = [name for name in names if not Path(name).exists()]
    if missing:
        raise UsageError(f"no such file or command: {missing[0]}")
    return guess


def _run(args: argparse.Namespace) -> int:
    explicit = getattr(args, "library", None)
    if args.command is None:
        from desktop.ui.app import run

        return run(explicit, screenshot=args.screenshot, case_key=args.case, scheme=args.theme)
    if args.command == "restore":
        if args.file is None:
            return _list_backups(explicit)
        return _restore(explicit, args.file, quiet=_quiet(args))
    try:
        if args.command == "import":
            with _open(explicit, create=True) as library:
                return _import(library, args.paths, quiet=_quiet(args))
        if args.command in _DATA_COMMANDS:
            with _open(explicit, create=False) as library:
                return _DATA_COMMANDS[args.command](library, args)
    except LibraryCorrupt as error:
        # Found before the command's first write (nothing was written): say how to recover.
        if "newest good backup" in str(error) or "no good backup" in str(error):
            raise
        raise LibraryCorrupt(f"{error}{_recovery_advice(explicit)}") from None
    with _open(explicit, create=False) as library:
        if args.command == "show":
            return _show(library, args.id, as_json=args.json)
        if args.command == "search":
            return _search(library, args.query, args.limit, as_json=args.json)
        return _list(library, args)


#: Sorts whose natural order is the largest first: --reverse turns them the other way.
LARGEST_FIRST = frozenset({"marks"})


def _list(library: Library, args: argparse.Namespace) -> int:
    descending = args.reverse != (args.sort in LARGEST_FIRST)
    try:
        ids = library.case_ids(CaseFilter(), args.sort, descending)
    except ValueError as error:
        raise UsageError(str(error)) from None
    rows = library.rows(ids)
    if args.json:
        counts = library.highlight_counts(ids)
        _print_json([_row_json(row, counts.get(row.summary.id, 0)) for row in rows])
    else:
        for row in rows:
            print(_summary_line(row.summary))
    return 0


def _row_json(row: ListRow, highlights: int) -> dict[str, Any]:
    """A case of `list --json`: its summary and the reader's marks on it."""
    return {
        **_summary_json(row.summary),
        "bookmarked": row.bookmarked,
        "has_note": row.has_note,
        "read": row.read,
        "highlights": highlights,
        "due": row.due.isoformat() if row.due is not None else None,
    }


def _quiet(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "quiet", False))


def _say(args: argparse.Namespace, message: str) -> None:
    """The one line a command that changed something prints, unless --quiet."""
    if not _quiet(args):
        print(message)


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


def _open(explicit: Path | None, *, create: bool) -> Library:
    """Opens the named library, or the default one (created and seeded on first use)."""
    from desktop import paths
    from desktop.library_setup import open_library

    target = explicit or paths.default_library_path()
    warning = paths.cloud_sync_warning(target)
    if warning:
        print(f"lightbox: warning: {warning}", file=sys.stderr)
    try:
        library, seeded = open_library(explicit, create=create)
    except (LibraryCorrupt, NotALibrary) as error:
        raise type(error)(f"{error}{_recovery_advice(explicit)}") from None
    if seeded is not None:
        print(f"New library at {library.path}, seeded with {seeded.summary()}.", file=sys.stderr)
        for path, reason in seeded.failed:
            print(f"FAILED {path}: {reason}", file=sys.stderr)
    return library


def _recovery_advice(explicit: Path | None) -> str:
    """'; the newest good backup is ...: run lightbox restore ...', for a damaged library."""
    from desktop import paths
    from desktop.library_setup import newest_good_backup

    good = newest_good_backup(explicit or paths.default_library_path())
    if good is None:
        return "; no good backup was found"
    where = "" if explicit is None else f" --library {explicit}"
    return (
        f"; the newest good backup is {good.path} ({good.taken_at:%Y-%m-%d %H:%M} UTC):"
        f" run 'lightbox restore {good.path}{where}' (the damaged library is moved aside,"
        f" not deleted), or start the app to recover it"
    )


def _restore(explicit: Path | None, source: Path, *, quiet: bool = False) -> int:
    """Restores a backup over the library, after checking the backup in full.

    The backup is checked before the library is touched. A damaged library (or a missing
    one) is not written to: it is moved into a damaged-<time>/ folder beside it, kept, and a
    new library is made from the backup.
    """
    from desktop import paths
    from desktop.library_setup import check_restorable, move_aside, recover_checked
    from desktop.store import verify
    from desktop.store.schema import SCHEMA_VERSION

    problem = verify.file_problem(source)
    if problem is not None:
        raise NotALibrary(problem)  # at once: a FIFO or a device is never opened
    target = explicit or paths.default_library_path()
    moved: Path | None = None
    outcome: tuple[Library, Restored] | None = None
    if target.exists():
        try:
            current = Library.open(target, create=False)
        except (LibraryCorrupt, NotALibrary) as error:
            if isinstance(error, NotALibrary) and not _has_backups(target):
                raise  # someone else's file: not ours to move
        else:
            try:
                outcome = current, current.restore_checked(source)
            except LibraryCorrupt:
                current.close()  # damaged: it is moved aside below, never written to
            except BaseException:
                current.close()
                raise
        if outcome is None:
            check_restorable(source)  # before moving anything: the backup must be good
            moved = move_aside(target)
    elif not target.parent.is_dir():
        raise LibraryError(f"cannot create a library in {target.parent}: no such folder")
    library, restored = outcome or recover_checked(target, source, checked=moved is not None)
    with library:
        if quiet:
            return EXIT_OK
        contents = restored.contents
        upgraded = (
            f", upgraded from schema {contents.schema_version}"
            if contents.schema_version < SCHEMA_VERSION
            else ""
        )
        print(
            f"Restored {source} into {library.path}: {contents.cases} cases,"
            f" {contents.notes} notes, {contents.bookmarks} bookmarks{upgraded}."
        )
        if moved is not None:
            print(f"The damaged library was moved to {moved} (nothing was deleted).")
        elif restored.safety_backup is not None:
            print(f"The library as it was is backed up in {restored.safety_backup}")
        else:
            print("The library held nothing before: no safety backup was needed.")
    return 0


def _list_backups(explicit: Path | None) -> int:
    """`lightbox restore` alone: the backups, newest first, as the restore dialog words them."""
    from desktop import paths
    from desktop.store.backup import backup_folder, list_backups

    target = explicit or paths.default_library_path()
    backups = list_backups(target)
    if not backups:
        print(f"There are no backups of {target} yet.")
        return 0
    print(f"Backups of {target}, newest first (in {backup_folder(target)}):")
    for item in backups:
        print(f"  {item.taken_text()}  {item.description}\n      {item.path}")
    print("Restore one with 'lightbox restore FILE'.")
    return 0


def _has_backups(target: Path) -> bool:
    from desktop.store.backup import list_backups

    return bool(list_backups(target))


#: How many skipped files an import lists by name (the summary counts them all).
SKIPPED_SHOWN = 20


def _import(library: Library, paths: list[Path], *, quiet: bool = False) -> int:
    from desktop.formats.registry import NOT_A_FORMAT
    from desktop.importer import import_paths

    report = import_paths(library, paths)
    for path, reason in report.failed:
        print(f"FAILED {path}: {reason}")
    for path, message in report.warnings:
        print(f"warning: {path}: {message}")
    for _path, message in report.shrunk:
        print(message)  # it names the case; the earlier text is a version of it
    if not quiet:
        for path in report.skipped[:SKIPPED_SHOWN]:
            print(f"skipped {path}: {NOT_A_FORMAT}")
        if len(report.skipped) > SKIPPED_SHOWN:
            print(f"... and {len(report.skipped) - SKIPPED_SHOWN} more files skipped")
        print(report.summary())
    if report.total == 0 and not report.cancelled:
        # Nothing was a case: say so, and fail, rather than report an empty success.
        where = ", ".join(str(path) for path in paths)
        print(f"lightbox: no case found in {where}: nothing there is in a format Lightbox reads")
        return EXIT_FAILURES
    return EXIT_FAILURES if report.failed else 0


def _show(library: Library, key: str, *, as_json: bool) -> int:
    case_id = _resolve(library, key)
    case = library.get_case(case_id)
    if case is None:
        raise UsageError(f"no case {key} in {library.path}")
    trashed = library.trashed_at(case_id)
    if as_json:
        from desktop.case_dict import case_to_dict

        data = case_to_dict(case)
        for figure in data["figures"]:
            # A figure whose file left the media folder since is missing too.
            if figure["image"] is not None and library.image_path(figure["image"]) is None:
                figure["missing"] = True
                figure["missing_reason"] = "the image file is missing from the library"
        _print_json({**data, "trashed_at": None if trashed is None else trashed.isoformat()})
    else:
        if trashed is not None:
            print(
                f"In the Trash since {trashed.astimezone():%Y-%m-%d %H:%M}"
                f" ('lightbox untrash {case.key}' puts it back).\n"
            )
        print(case_text(case))
    return 0


def _search(library: Library, query: str, limit: int, *, as_json: bool) -> int:
    from desktop.store.cases import cut_query, query_cut_notice

    notice = query_cut_notice(query)
    shown = query
    if notice is not None:
        print(f"lightbox: note: {notice}", file=sys.stderr)
        shown = cut_query(query)[0].strip()
    hits = library.search(query, limit)
    if as_json:
        _print_json(
            [
                {**_summary_json(hit.summary), "snippet": hit.snippet, "score": round(hit.score, 4)}
                for hit in hits
            ]
        )
        return 0
    if not hits:
        # A pasted paragraph is not echoed whole: its beginning says which search it was.
        from desktop.query import short_query

        print(f"No case matches {short_query(shown, SHOWN_QUERY_CHARS)!r}.")
    for hit in hits:
        print(_summary_line(hit.summary))
        if hit.snippet:  # a query of filters alone has no words to show
            print(f"    {hit.snippet}")
    return 0


def _note(library: Library, args: argparse.Namespace) -> int:
    case_id = _resolve(library, args.id)
    if args.set is None:
        note = library.note(case_id)
        if note is not None:
            print(note.body)
        return 0
    text = _note_text(args.set)
    # Only once this returns has the note been committed (and synced to disk).
    changed = library.save_note(case_id, text, keep_version=True)
    if not changed:
        _say(args, f"The note on {args.id} is unchanged.")
    elif text.strip():
        _say(args, f"Saved the note on {args.id} ({_count(len(text), 'character')}).")
    else:
        _say(args, f"Cleared the note on {args.id} (its text is kept as a version).")
    return 0


def _note_text(given: str) -> str:
    """The note's new text: the argument, or standard input for '-'; refused (nothing
    saved) unless it is valid UTF-8."""
    if given == "-":
        data = sys.stdin.buffer.read()
    else:
        # Arguments that are not UTF-8 arrive with each bad byte as a lone surrogate.
        data = given.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        where = "standard input" if given == "-" else "--set"
        raise UsageError(
            f"the note from {where} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset"
            f" {error.start}); nothing was saved"
        ) from None


def _versions(library: Library, args: argparse.Namespace) -> int:
    """Lists a case's earlier texts (what re-imports replaced), or restores one."""
    case_id = _resolve(library, args.id)
    if args.restore is not None:
        try:
            changes = library.restore_case_version(case_id, args.restore)
        except LookupError as error:
            raise UsageError(str(error).strip("'\"")) from None
        if not changes:
            _say(args, f"Version {args.restore} is already the current text of {args.id}.")
            return 0
        newest = library.case_versions(case_id)[-1].number
        _say(
            args,
            f"Restored version {args.restore} of {args.id}; the text it replaced is"
            f" version {newest}. Your notes and marks are unchanged.",
        )
        return 0
    current = library.get_case(case_id)
    if current is None:
        raise UsageError(f"no case {args.id} in {library.path}")
    from desktop.store.versions import text_size

    found = library.case_versions(case_id)
    print(f"{current.key}  {current.title}")
    print(f"current  {text_size(current):,} characters")
    if not found:
        print("No earlier versions: no import has changed this case's text.")
        return 0
    for version in reversed(found):
        print(
            f"{version.number:<7}  {version.size:,} characters, stored"
            f" {version.stored_at:%Y-%m-%d %H:%M}, replaced {version.replaced_at:%Y-%m-%d %H:%M}"
            f" UTC by {version.replaced_by}"
        )
        said = version.differences(current)
        print(f"         {'; '.join(said) if said else 'same text as the current one'}")
    return 0


def _bookmark(library: Library, args: argparse.Namespace) -> int:
    changed = library.set_bookmark(_resolve(library, args.id), not args.off)
    if args.off:
        _say(
            args,
            f"Removed the bookmark from {args.id}." if changed else f"{args.id} had no bookmark.",
        )
    else:
        _say(args, f"Bookmarked {args.id}." if changed else f"{args.id} was bookmarked already.")
    return 0


def _bookmarks(library: Library, _args: argparse.Namespace) -> int:
    for row in library.rows(library.case_ids(CaseFilter("bookmarked"))):
        print(_summary_line(row.summary))
    return 0


def _trash(library: Library, args: argparse.Namespace) -> int:
    if library.trash(_resolve(library, args.id)):
        _say(args, f"Moved {args.id} to the Trash ('lightbox untrash {args.id}' puts it back).")
    else:
        _say(args, f"{args.id} was in the Trash already.")
    return 0


def _untrash(library: Library, args: argparse.Namespace) -> int:
    if library.untrash(_resolve(library, args.id)):
        _say(args, f"Took {args.id} out of the Trash.")
    else:
        _say(args, f"{args.id} was not in the Trash.")
    return 0


def _empty_trash(library: Library, args: argparse.Namespace) -> int:
    confirmed = library.trashed_ids()
    count = len(confirmed)
    if count and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("empty-trash deletes cases for good: confirm with --yes")
        answer = input(f"Delete {count} trashed case(s) and your notes on them for good? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            _say(args, "Nothing was deleted.")
            return 0
    # Only the cases confirmed: one trashed meanwhile (by the window) stays in the Trash.
    deleted = len(library.empty_trash(only=confirmed).cases)
    if deleted:
        _say(args, f"Deleted {_count(deleted, 'trashed case')} and your notes on them for good.")
    elif count:
        _say(args, "Nothing was deleted: the cases left the Trash meanwhile.")
    else:
        _say(args, "The Trash was empty: nothing was deleted.")
    return 0


def _purge_deleted(library: Library, args: argparse.Namespace) -> int:
    """Removes tombstones: after this, a merge with an older copy of the library (a bundle,
    another machine) can no longer tell that those records were deleted here."""
    older_than = None if args.older_than is None else dt.timedelta(days=args.older_than)
    now = dt.datetime.now(dt.UTC)
    count = library.count_tombstones(older_than, now)
    if count and not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("purge-deleted removes records for good: confirm with --yes")
        answer = input(f"Remove {count} deleted record(s) for good? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            _say(args, "Nothing was removed.")
            return 0
    purged = library.purge_tombstones(older_than, now)
    _say(args, f"Purged {purged} deleted record(s).")
    return 0


def _backup(library: Library, _args: argparse.Namespace) -> int:
    # What it made, alone on its line, even with --quiet: a script reads the path.
    print(library.backup("manual"))
    return 0


def _check(library: Library, _args: argparse.Namespace) -> int:
    problems = library.check()
    images = library.media_problems()
    if not problems and not images:
        print(f"{library.path}: ok")
        return 0
    if problems:
        print(f"{library.path} is damaged:")
        for problem in problems:
            print(f"  {problem}")
        print("Restore a backup with 'lightbox restore FILE' (backups are in the backups folder).")
    if images:
        if not problems:
            print(f"{library.path}: the database is sound")
        print(f"Figure images of {library.path} that cannot be shown ({library.media.folder}):")
        for problem in images:
            print(f"  {problem}")
        print("Import the cases again (from their data set) to bring the images back.")
    return 1


def _highlight(library: Library, args: argparse.Namespace) -> int:
    command = args.highlight_command
    if command == "add":
        return _highlight_add(library, args)
    if command == "list":
        return _highlight_list(library, args.id, as_json=args.json, deleted=args.deleted)
    try:
        uid = library.resolve_highlight(_text_argument(args.hid, "HID"))
        if command == "delete":
            library.delete_highlight(uid)
        else:
            library.undelete_highlight(uid)
    except LookupError as error:
        raise UsageError(str(error).strip("'\"")) from None
    if command == "delete":
        _say(
            args,
            f"Deleted highlight {uid[:8]} ('lightbox highlight undelete {uid[:8]}' brings it"
            " back).",
        )
    else:
        _say(args, f"Brought back highlight {uid[:8]}.")
    return 0


def _highlight_add(library: Library, args: argparse.Namespace) -> int:
    """Highlights the Nth occurrence of a quote in a section; prints the new id alone."""
    from desktop.palette import colour_named
    from desktop.sections import case_sections, section_kind

    try:
        colour = colour_named(args.colour).name
    except ValueError as error:
        raise UsageError(str(error)) from None
    quote = unicodedata.normalize("NFC", _text_argument(args.quote, "--quote"))
    if not quote.strip():
        raise UsageError("--quote is empty: give the words to highlight")
    comment = _text_argument(args.comment, "--comment")
    tags = [_text_argument(tag, "--tag") for tag in args.tag]
    case_id = _resolve(library, args.id)
    case = library.get_case(case_id)
    if case is None:
        raise UsageError(f"no case {args.id} in {library.path}")
    texts = {section.key: section.text for section in case_sections(case)}
    # A key, or a kind whose parts are searched in reading order ("discussion" for all of
    # discussion.background, discussion.outcome...).
    keys = [args.section] if args.section in texts else [
        key for key in texts if section_kind(key) == args.section
    ]  # fmt: skip
    if not keys:
        raise UsageError(
            f"case {case.key} has no section {args.section!r}; its sections: {', '.join(texts)}"
        )
    where = f"{args.section} of {case.key}"
    section, start = _occurrence({key: texts[key] for key in keys}, quote, args.occurrence, where)
    try:
        uid = library.add_highlight(
            case_id,
            section,
            start,
            start + len(quote),
            colour=colour,
            comment=comment,
            tags=tags,
        )
    except (LookupError, ValueError) as error:
        raise UsageError(str(error).strip("'\"")) from None
    print(uid)
    return 0


def _occurrence(texts: dict[str, str], quote: str, wanted: int, where: str) -> tuple[str, int]:
    """The section and start of the `wanted`th occurrence of `quote` in the texts, taken in
    their order (occurrences counted as str.count does: without overlaps).

    Raises:
        UsageError: the quote is not there, or not that many times; the message says which.
    """
    found = 0
    for key, text in texts.items():
        start = 0
        while (at := text.find(quote, start)) >= 0:
            found += 1
            if found == wanted:
                return key, at
            start = at + len(quote)
    if not found:
        raise UsageError(
            f"the quote is not in section {where} (its text is as show --json prints it)"
        )
    raise UsageError(
        f"the quote occurs {found} time{'s' if found > 1 else ''} in section {where};"
        f" --occurrence {wanted} is out of range"
    )


def _highlight_list(library: Library, key: str, *, as_json: bool, deleted: bool) -> int:
    case_id = _resolve(library, key)
    found = library.deleted_highlights(case_id) if deleted else library.highlights(case_id)
    if as_json:
        _print_json([_highlight_json(highlight) for highlight in found])
        return 0
    if not found:
        print(f"No {'deleted ' if deleted else ''}highlights on {key}.")
    for highlight in found:
        place = (
            f"{highlight.section} {highlight.start}-{highlight.end}"
            if highlight.start is not None
            else f"{highlight.section} (detached)"
        )
        quote = " ".join(highlight.quote.split())
        shown = quote if len(quote) <= 60 else quote[:59] + "…"
        print(f"{highlight.uid[:8]}  {highlight.colour:<7}  {place}  “{shown}”")
        comment = " ".join(highlight.comment.split())
        tags = f"[{', '.join(highlight.tags)}]" if highlight.tags else ""
        if comment or tags:
            print(f"{'':10}{'  '.join(part for part in (comment, tags) if part)}")
    return 0


def _highlight_json(highlight: Highlight) -> dict[str, Any]:
    return {
        "id": highlight.uid,
        "section": highlight.section,
        "start": highlight.start,
        "end": highlight.end,
        "quote": highlight.quote,
        "text": highlight.text,
        "status": highlight.status,
        "colour": highlight.colour,
        "comment": highlight.comment,
        "tags": list(highlight.tags),
        "created_at": highlight.created_at.isoformat(),
        "updated_at": highlight.updated_at.isoformat(),
    }


def _export(library: Library, args: argparse.Namespace) -> int:
    """`export notes OUT_DIR [--case ID]...`: Markdown files (see `desktop.export`)."""
    from desktop.export import export_notes

    ids = list(dict.fromkeys(_resolve(library, key) for key in args.case)) or None
    try:
        report = export_notes(library, args.out_dir, ids)
    except OSError as error:
        raise UsageError(f"cannot export into {args.out_dir}: {error.strerror or error}") from None
    for path, reason in report.failed:
        print(f"FAILED {path}: {reason}")
    _say(args, f"{report.summary()} in {report.folder}")
    return EXIT_FAILURES if report.failed else 0


def _collection(library: Library, args: argparse.Namespace) -> int:
    command = args.collection_command
    if command == "list":
        return _collection_list(library, as_json=args.json)
    path = _text_argument(args.name, "NAME")
    ids = list(dict.fromkeys(_resolve(library, key) for key in args.ids))
    try:
        if command == "add":
            uid, made = library.make_collection_path(path)
            moved = len(library.add_to_collection(uid, ids).collections)
        else:
            found = library.find_collection(path)
            if found is None:
                raise UsageError(f"no collection {path!r} in {library.path}")
            moved = len(library.remove_from_collection(found, ids).collections)
    except (LookupError, ValueError) as error:
        raise UsageError(str(error).strip("'\"")) from None
    others = len(ids) - moved
    if command == "add":
        new = " (a new collection)" if made.collection_tree else ""
        also = f"; {_count(others, 'case')} in it already" if others else ""
        _say(args, f"Added {_count(moved, 'case')} to {path}{new}{also}.")
    else:
        also = f"; {_count(others, 'case')} not in it" if others else ""
        _say(args, f"Took {_count(moved, 'case')} out of {path}{also}.")
    return 0


def _collection_list(library: Library, *, as_json: bool) -> int:
    found = library.collections()
    if as_json:
        _print_json(
            [
                {
                    "path": item.path,
                    "name": item.name,
                    "uid": item.uid,
                    "parent": item.parent_uid,
                    "count": item.count,
                    "total": item.total,
                }
                for item in found
            ]
        )
        return 0
    if not found:
        print("No collections.")
    for item in found:
        depth = item.path.count("/")  # names never hold "/"
        total = f" ({item.total} with those under it)" if item.total != item.count else ""
        print(f"{'  ' * depth}{item.name}  {item.count}{total}  {item.uid}  {item.path}")
    return 0


def _tag(library: Library, args: argparse.Namespace) -> int:
    case_id = _resolve(library, args.id)
    tags = [_text_argument(tag, "TAG") for tag in args.tags]
    try:
        if args.command == "tag":
            changed = library.tag_cases([case_id], tags)
        else:
            changed = library.untag_cases([case_id], tags)
    except (LookupError, ValueError) as error:
        raise UsageError(str(error).strip("'\"")) from None
    named = ", ".join(tag.strip() for tag in tags)
    if args.command == "tag":
        done = f"Tagged {args.id}: {named}." if changed else f"{args.id} had those tags already."
    else:
        done = f"Took {named} off {args.id}." if changed else f"{args.id} had none of those tags."
    _say(args, done)
    return 0


def _tags(library: Library, args: argparse.Namespace) -> int:
    found = library.tag_counts()
    if args.json:
        _print_json([{"tag": item.tag, "count": item.count} for item in found])
        return 0
    if not found:
        print("No tags.")
    for item in found:
        print(f"{item.count:>6}  {item.tag}")
    return 0


def _saved(library: Library, args: argparse.Namespace) -> int:
    command = args.saved_command
    if command == "list":
        return _saved_list(library, as_json=args.json)
    name = _text_argument(args.name, "NAME")
    try:
        if command == "add":
            query = _text_argument(args.query, "QUERY")
            replaced = args.replace and library.find_saved_search(name) is not None
            library.save_search(name, query, replace=args.replace)
            done = "Gave the saved search" if replaced else "Saved the search"
            _say(args, f"{done} “{name.strip()}” the query {query.strip()!r}.")
            return 0
        found = library.find_saved_search(name)
        if found is None:
            raise UsageError(f"no saved search {name.strip()!r} in {library.path}")
        if command == "rename":
            new = _text_argument(args.new, "NEW")
            library.rename_saved_search(found.uid, new)
            _say(args, f"Renamed the saved search “{found.name}” to “{new.strip()}”.")
        else:
            library.delete_saved_search(found.uid)
            _say(args, f"Deleted the saved search “{found.name}”.")
    except (LookupError, ValueError) as error:
        raise UsageError(str(error).strip("'\"")) from None
    return 0


def _saved_list(library: Library, *, as_json: bool) -> int:
    found = [(item, library.count_saved_search(item.query)) for item in library.saved_searches()]
    if as_json:
        _print_json(
            [
                {"uid": item.uid, "name": item.name, "query": item.query, "count": count}
                for item, count in found
            ]
        )
        return 0
    if not found:
        print("No saved searches.")
    for item, count in found:
        print(f"{count:>6}  {item.name}  {item.query}")
    return 0


def _text_argument(value: str, option: str) -> str:
    """An argument as text; refused unless it was UTF-8 (nothing is saved)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # each byte that was not UTF-8 arrives as a lone surrogate
        raise UsageError(f"{option} is not UTF-8 text; nothing was saved") from None
    return value


def _resolve(library: Library, key: str) -> CaseId:
    try:
        return library.resolve(key)
    except (ValueError, LookupError) as error:
        raise UsageError(str(error).strip("'\"")) from None


_COMMAND_NAMES = frozenset(
    {"import", "list", "search", "show", "note", "versions", "bookmark", "bookmarks", "trash",
     "untrash", "empty-trash", "purge-deleted", "highlight", "export", "backup", "restore",
     "check", "collection", "tag", "untag", "tags", "saved", "drill", "stats"}
)  # fmt: skip

_DATA_COMMANDS: dict[str, Callable[[Library, argparse.Namespace], int]] = {
    "note": _note,
    "versions": _versions,
    "bookmark": _bookmark,
    "bookmarks": _bookmarks,
    "trash": _trash,
    "untrash": _untrash,
    "empty-trash": _empty_trash,
    "purge-deleted": _purge_deleted,
    "highlight": _highlight,
    "collection": _collection,
    "tag": _tag,
    "untag": _tag,
    "tags": _tags,
    "saved": _saved,
    "drill": cli_study.drill,
    "stats": cli_study.stats,
    "export": _export,
    "backup": _backup,
    "check": _check,
}


def case_text(case: Case) -> str:
    """A case as plain text for the terminal, section by section."""
    from desktop.sections import HEADINGS, case_sections

    facts = [
        case.section,
        ", ".join(p for p in (case.patient.age, case.patient.sex) if p),
        f"published {case.published.isoformat()}" if case.published else None,
        case.key,
    ]
    lines = [case.title, " · ".join(f for f in facts if f), ""]
    if case.authors:
        lines += [", ".join(a.name for a in case.authors), ""]
    kind = "title"
    for section in case_sections(case):
        if section.kind == "title":
            continue
        if section.kind != kind:
            if kind != "title":
                lines.append("")
            kind = section.kind
            lines.append(HEADINGS[kind].upper())
        if kind == "discussion" and "." in section.key:
            lines += ["", section.heading] if lines[-1] != "DISCUSSION" else [section.heading]
        if kind == "differential":
            lines.append(f"- {section.text}")
        elif kind == "figures":
            lines.append(f"{section.heading}: {section.text}")
        elif kind == "reference":
            lines.append(section.text)
        else:  # a blank line between paragraphs, as the case files have them
            lines.append(section.text.replace("\n", "\n\n"))
    lines.append("")
    facts_after = (
        ("Diagnosis by", case.diagnosis_by),
        ("Category", case.category),
        ("ACR code", case.acr_code),
        ("Keywords", ", ".join(case.keywords)),
        ("DOI", case.doi),
        ("License", case.license),
    )
    lines += [f"{k}: {v}" for k, v in facts_after if v]
    return "\n".join(lines).rstrip()


def _summary_json(summary: CaseSummary) -> dict[str, Any]:
    return {
        "id": summary.key,
        "title": summary.title,
        "section": summary.section,
        "published": summary.published.isoformat() if summary.published else None,
        "age": summary.age,
        "sex": summary.sex,
        "final_diagnosis": summary.final_diagnosis,
    }


def _summary_line(summary: CaseSummary) -> str:
    patient = ", ".join(p for p in (summary.age, summary.sex) if p)
    extra = " · ".join(p for p in (summary.section, patient) if p)
    return f"{summary.key:<20} {summary.title}" + (f"  ({extra})" if extra else "")


def _print_json(value: object) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _whole_number(text: str, what: str = "a number") -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def _positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _bounded_int(maximum: int) -> Callable[[str], int]:
    """An argument type: a whole number from 1 to `maximum`."""

    def parse(text: str) -> int:
        value = _positive_int(text)
        if value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum:,}")
        return value

    return parse


#: The longest span a DAYS argument may name (beyond it, dates overflow).
MAX_DAYS = 36_500


def _days(text: str) -> int:
    value = _whole_number(text, "a number of days")
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    if value > MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_DAYS:,} (a hundred years)")
    return value


def _fail(message: str) -> int:
    # One line, always: SQLite's own reports (an integrity check's) may hold line breaks.
    print(f"lightbox: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
