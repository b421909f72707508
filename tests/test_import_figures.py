"""Importing figures: the registry picks the format by content, a data set folder is that
data set, images are kept once by hash, a missing or bogus image is a warning with the
figure kept, and an input in no known format is named as such."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from desktop import importer
from desktop.cli import main
from desktop.formats.registry import NOT_A_FORMAT
from desktop.importer import count_case_files, import_paths
from desktop.store.library import Library
from tests.conftest import SAMPLE_CASES
from tests.test_media import png
from tests.tools import MEDPIX_DATA, needs_shared


def write_data_set(folder: Path, *, images: dict[str, bytes | None]) -> Path:
    """A small MedPix 2.0 folder: one case with the given images (None: file missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = list(images)
    case = {
        "U_id": "MPX9001",
        "TAC": ids[:1],
        "MRI": ids[1:],
        "Case": {
            "Title": "Choledochal cyst",
            "History": "Intermittent jaundice in a 6 year old girl.",
            "Exam": "N/A",
            "Findings": "Fusiform dilatation of the common bile duct (Figure 2).",
            "Differential Diagnosis": "- Choledochal cyst\n- Caroli disease",
            "Case Diagnosis": "Choledochal cyst, type I",
            "Discussion": "Type I is the commonest.",
        },
        "Topic": {
            "Title": "Choledochal cyst",
            "Disease Discussion": "Congenital dilatation of the bile ducts.",
            "ACR Code": "7.1",
            "Category": "Congenital, malformation",
            "Keywords": "bile duct",
        },
    }
    descriptions = [
        {
            "Type": "CT" if n == 0 else "MR",
            "U_id": "MPX9001",
            "image": image_id,
            "Description": {
                "ACR Codes": "7.1",
                "Age": "6",
                "Caption": f"Caption of {image_id}: dilated duct.",
                "Figure Part": str(n + 1),
                "Modality": "CT - contrast" if n == 0 else "MR - T2 weighted",
                "Plane": "Axial" if n == 0 else "Coronal",
                "Sex": "female",
            },
            "Location": "Abdomen",
            "Location Category": "Abdomen",
        }
        for n, image_id in enumerate(ids)
    ]
    (folder / "Case_topic.json").write_text(json.dumps([case]), encoding="utf-8")
    (folder / "Descriptions.json").write_text(json.dumps(descriptions), encoding="utf-8")
    (folder / "images").mkdir(exist_ok=True)
    for image_id, data in images.items():
        if data is not None:
            (folder / "images" / f"{image_id}.png").write_bytes(data)
    return folder


def test_a_data_set_folder_imports_with_its_images(library: Library, tmp_path: Path) -> None:
    folder = write_data_set(
        tmp_path / "medpix", images={"MPX9001_a": png(40, 20, 10), "MPX9001_b": png(8, 8, 90)}
    )
    assert count_case_files([folder]) == 1
    report = import_paths(library, [folder])
    assert (report.imported, report.failed, report.warnings) == (1, [], [])
    case = library.get_case(library.resolve("medpix:MPX9001"))
    assert case is not None
    assert [f.label for f in case.figures] == ["Figure 1", "Figure 2"]
    first, second = case.figures
    assert (first.width, first.height, first.modality, first.plane) == (
        40,
        20,
        "CT - contrast",
        "Axial",
    )
    assert library.media.path(first.image or "").read_bytes() == png(40, 20, 10)
    assert library.image_path(second.image) is not None
    assert "Exam" not in case.clinical_history  # a placeholder is absent, never shown
    # Words in captions are found.
    assert [hit.summary.key for hit in library.search("dilated duct")] == ["medpix:MPX9001"]
    # Again: unchanged, and each image is still one file.
    again = import_paths(library, [folder])
    assert (again.imported, again.unchanged) == (0, 1)
    assert len(list(library.media.files())) == 2


def test_a_missing_image_is_a_warning_and_the_case_keeps_its_figure(
    library: Library, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_data_set(
        tmp_path / "medpix",
        images={"MPX9001_a": png(4, 4), "MPX9001_b": None, "MPX9001_c": b"not a picture"},
    )
    library.close()
    status = main(["--library", str(library.path), "import", str(folder)])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "MPX9001_b.png not found" in out
    assert "MPX9001_c.png" in out and "not an image" in out
    assert "1 imported" in out
    with Library.open(library.path) as reopened:
        case = reopened.get_case(reopened.resolve("medpix:MPX9001"))
        assert case is not None
        missing = [f for f in case.figures if f.missing]
        assert [f.label for f in missing] == ["Figure 2", "Figure 3"]
        assert all(f.image is None and f.legend for f in missing)
    status = main(["--library", str(library.path), "show", "medpix:MPX9001", "--json"])
    shown = json.loads(capsys.readouterr().out)
    assert [f["missing"] for f in shown["figures"]] == [False, True, True]
    assert set(shown["figures"][0]) >= {
        "number",
        "caption",
        "modality",
        "plane",
        "part",
        "width",
        "height",
        "missing",
    }
    assert any(s["key"] == "figures.1" for s in shown["sections"])


def test_a_data_set_in_a_zip_imports(library: Library, tmp_path: Path) -> None:
    folder = write_data_set(tmp_path / "set", images={"MPX9001_a": png(6, 6)})
    archive = tmp_path / "medpix.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, f"MedPix-2.0/{path.relative_to(folder)}")
        out.writestr("MedPix-2.0/README.md", "about the set")
        out.writestr("loose/abdo-01.txt", (SAMPLE_CASES / "abdo-01.txt").read_bytes())
    report = import_paths(library, [archive])
    assert (report.imported, report.failed) == (2, [])
    case = library.get_case(library.resolve("medpix:MPX9001"))
    assert case is not None and library.image_path(case.figures[0].image) is not None


def test_inputs_in_no_known_format_are_named_as_such(
    library: Library, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "stuff"
    folder.mkdir()
    (folder / "scan.png").write_bytes(png(2, 2))
    (folder / "data.json").write_text("[1, 2, 3]")
    shutil.copy(SAMPLE_CASES / "chest-01.txt", folder / "case-without-suffix")
    report = import_paths(library, [folder, folder / "data.json"])
    assert report.imported == 1  # the case file is recognised by its content, not its name
    assert report.skipped == [str(folder / "data.json"), str(folder / "scan.png")]
    assert report.failed == [(str(folder / "data.json"), NOT_A_FORMAT)]
    assert NOT_A_FORMAT in report.summary()
    library.close()
    empty = tmp_path / "nothing-here"
    empty.mkdir()
    (empty / "scan.png").write_bytes(png(2, 2))
    status = main(["--library", str(library.path), "import", str(empty)])
    out = capsys.readouterr().out
    assert status != 0
    assert f"skipped {empty / 'scan.png'}: {NOT_A_FORMAT}" in out
    assert "no case found" in out


@needs_shared(MEDPIX_DATA)
def test_the_shared_medpix_cases_import_with_their_120_images(
    library: Library, capsys: pytest.CaptureFixture[str]
) -> None:
    report = import_paths(library, [MEDPIX_DATA])
    assert (report.imported, report.failed, report.skipped) == (40, [], [])
    cases = [library.get_case(case_id) for case_id in library.case_ids()]
    figures = [f for case in cases if case is not None for f in case.figures]
    assert len(figures) == 120
    assert all(f.image and library.image_path(f.image) and f.width for f in figures)
    assert len(list(library.media.files())) == len({f.image for f in figures})
    assert library.media_problems() == []
    # The data set's index file named: the data set it belongs to, unchanged now.
    again = import_paths(library, [MEDPIX_DATA / "Case_topic.json"])
    assert (again.imported, again.unchanged) == (0, 40)
    library.close()
    assert main(["--library", str(library.path), "show", "medpix:MPX1038", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["title"] == "Jefferson Fracture"
    assert [f["number"] for f in shown["figures"]] == [1, 2, 3, 4]
    assert all(f["modality"] and f["plane"] and not f["missing"] for f in shown["figures"])


def test_a_zipped_data_set_may_hold_more_than_a_case_zip(library: Library, tmp_path: Path) -> None:
    """A zip of loose case files is held to 1,000 entries; one holding a data set to the
    data set's own limits (each image read with a bound of its own)."""
    folder = write_data_set(tmp_path / "set", images={"MPX9001_a": png(6, 6)})
    archive = tmp_path / "medpix.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, f"set/{path.relative_to(folder)}")
        for number in range(1100):  # other files of the data set's folder
            out.writestr(f"set/extra/{number}.txt", "")
    report = import_paths(library, [archive])
    assert (report.imported, report.failed) == (1, [])


def test_naming_both_json_files_imports_the_data_set_once(library: Library, tmp_path: Path) -> None:
    folder = write_data_set(tmp_path / "set", images={"MPX9001_a": png(6, 6)})
    report = import_paths(
        library, [folder / "Case_topic.json", folder / "Descriptions.json", folder]
    )
    assert (report.imported, report.unchanged, report.failed) == (1, 0, [])


def test_a_figure_missing_its_image_on_reimport_keeps_the_one_it_had(
    library: Library, tmp_path: Path
) -> None:
    """A data set imported again without its images folder (or with one file gone) leaves
    each figure its image; the new text comes in, and the report says what was kept."""
    folder = write_data_set(
        tmp_path / "set", images={"MPX9001_a": png(6, 6, 1), "MPX9001_b": png(6, 6, 2)}
    )
    import_paths(library, [folder])
    case_id = library.resolve("medpix:MPX9001")
    before = library.get_case(case_id)
    assert before is not None
    shutil.rmtree(folder / "images")
    topic = json.loads((folder / "Case_topic.json").read_text("utf-8"))
    topic[0]["Case"]["Findings"] += " Edited."
    (folder / "Case_topic.json").write_text(json.dumps(topic), encoding="utf-8")
    report = import_paths(library, [folder])
    assert report.updated == 1
    after = library.get_case(case_id)
    assert after is not None and after.imaging_findings.endswith("Edited.")
    assert [f.image for f in after.figures] == [f.image for f in before.figures]
    assert all(f.missing is None for f in after.figures)
    assert any("images" in message for _path, message in report.shrunk)


def test_the_same_data_set_from_another_folder_is_unchanged(
    library: Library, tmp_path: Path
) -> None:
    """What a missing image's figure says names the file within the data set, not where it
    was read from: the same data set imported from elsewhere changes nothing."""
    first = write_data_set(
        tmp_path / "a" / "set", images={"MPX9001_a": png(6, 6), "MPX9001_b": None}
    )
    import_paths(library, [first])
    second = tmp_path / "b" / "set"
    shutil.copytree(first, second)
    report = import_paths(library, [second])
    assert (report.unchanged, report.updated) == (1, 0)
    case = library.get_case(library.resolve("medpix:MPX9001"))
    assert case is not None
    assert case.figures[1].missing == "image file images/MPX9001_b.png not found"


def test_an_images_folder_that_links_elsewhere_is_not_followed(
    library: Library, tmp_path: Path
) -> None:
    folder = write_data_set(tmp_path / "set", images={"MPX9001_a": None})
    private = tmp_path / "private"
    private.mkdir()
    (private / "MPX9001_a.png").write_bytes(png(12, 9))
    shutil.rmtree(folder / "images")
    (folder / "images").symlink_to(private, target_is_directory=True)
    report = import_paths(library, [folder])
    assert report.imported == 1
    case = library.get_case(library.resolve("medpix:MPX9001"))
    assert case is not None and case.figures[0].image is None
    assert "symbolic link" in (case.figures[0].missing or "")
    assert list(library.media.files()) == []


def test_every_image_a_batch_names_is_flushed_before_it_commits(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Images are written as they are read and flushed together before the commit: at the
    moment the batch is about to commit, each image file its cases name, and the folders
    holding them, have been flushed to disk."""
    import os

    from desktop.store import media

    folder = write_data_set(
        tmp_path / "medpix", images={"MPX9001_a": png(30, 10, 1), "MPX9001_b": png(9, 9, 2)}
    )
    flushed: set[tuple[int, int]] = set()
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        info = os.fstat(fd)
        flushed.add((info.st_dev, info.st_ino))
        real_fsync(fd)

    monkeypatch.setattr(media.os, "fsync", recording_fsync)
    seen_at_commit: list[bool] = []
    real_index = Library.index_pending

    def checking_index(self: Library) -> int:
        names = media.names_in(self._conn)
        paths = [self.media.path(name) for name in names]
        paths += [self.media.folder, *(path.parent for path in paths)]
        seen_at_commit.append(
            bool(names) and all((p.stat().st_dev, p.stat().st_ino) in flushed for p in paths)
        )
        return real_index(self)

    monkeypatch.setattr(Library, "index_pending", checking_index)
    report = import_paths(library, [folder])
    assert report.imported == 1
    assert seen_at_commit == [True]


def test_an_image_that_cannot_be_flushed_stops_the_import_with_nothing_committed(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from desktop.store import media
    from desktop.store.errors import StorageUnavailable

    folder = write_data_set(tmp_path / "medpix", images={"MPX9001_a": png(30, 10, 3)})

    def failing_fsync(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(media.os, "fsync", failing_fsync)
    with pytest.raises(StorageUnavailable, match="disk full"):
        import_paths(library, [folder])
    assert library.count_cases() == 0


@pytest.mark.parametrize("batch_seconds", [importer.BATCH_SECONDS, 0.0])
def test_a_cancelled_data_set_import_keeps_the_images_of_one_wave(
    library: Library,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    batch_seconds: float,
) -> None:
    """Images are kept a wave of cases at a time: cancelled after the first case, the import
    keeps the case stored and the images of its wave, none of the next ones; also when the
    batch ends with that case (as on a slow disk), and however the threads are scheduled."""
    monkeypatch.setattr(importer, "IMAGE_WAVE", 3)
    folder = write_data_set(tmp_path / "medpix", images={"MPX9001_a": png(6, 6, 0)})
    one_case = json.loads((folder / "Case_topic.json").read_text(encoding="utf-8"))[0]
    one_image = json.loads((folder / "Descriptions.json").read_text(encoding="utf-8"))[0]
    cases, descriptions = [], []
    for n in range(12):
        image_id = f"MPX{9100 + n}_a"
        cases.append({**one_case, "U_id": f"MPX{9100 + n}", "TAC": [image_id], "MRI": []})
        descriptions.append({**one_image, "U_id": f"MPX{9100 + n}", "image": image_id})
        (folder / "images" / f"{image_id}.png").write_bytes(png(6, 6, n + 1))
    (folder / "Case_topic.json").write_text(json.dumps(cases), encoding="utf-8")
    (folder / "Descriptions.json").write_text(json.dumps(descriptions), encoding="utf-8")
    stored: list[str] = []
    report = import_paths(
        library,
        [folder],
        progress=lambda _done, name: stored.append(name),
        cancelled=lambda: len(stored) >= 1,
        batch_seconds=batch_seconds,
    )
    assert report.cancelled
    assert library.count_cases() == 1
    assert len(list(library.media.files())) == 3
