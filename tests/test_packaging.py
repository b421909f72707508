"""What packaging/ ships: a valid desktop entry and AppStream metainfo, a wheel that carries
the resources and sample cases, a desktop-entry installer that cleans up after itself, and
(slow) a PyInstaller one-folder app that starts and seeds its library."""

from __future__ import annotations

import configparser
import os
import shutil
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_CASES

PACKAGING = ROOT / "packaging"
APP_ID = "io.github.lightbox.Lightbox"
DESKTOP_ENTRY = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
INSTALLER = PACKAGING / "install-desktop-entry.sh"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
SAMPLE_COUNT = 26


def _validator(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (bash packaging/bootstrap.sh --test installs it)")
    return found


def _entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_passes_desktop_file_validate() -> None:
    result = subprocess.run(
        [_validator("desktop-file-validate"), str(DESKTOP_ENTRY)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning:" not in result.stdout + result.stderr


def test_metainfo_passes_appstreamcli_validate() -> None:
    result = subprocess.run(
        [_validator("appstreamcli"), "validate", "--no-net", str(METAINFO)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_one_id_and_the_current_version_everywhere() -> None:
    entry = _entry(DESKTOP_ENTRY)
    assert entry["Icon"] == APP_ID
    assert entry["Exec"] == "lightbox %F"
    component = ET.parse(METAINFO).getroot()
    assert component.findtext("id") == APP_ID
    assert component.findtext("launchable") == DESKTOP_ENTRY.name
    assert component.findtext("provides/binary") == "lightbox"
    newest = component.find("releases/release")
    assert newest is not None
    assert newest.get("version") == version("lightbox")


def test_png_icons_are_rendered_at_every_size() -> None:
    for size in ICON_SIZES:
        assert _png_size(ROOT / "resources" / "icons" / "png" / f"lightbox-{size}.png") == (
            size,
            size,
        )


def test_wheel_carries_resources_and_sample_cases(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", "--quiet",
         "--disable-pip-version-check", "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = tmp_path.glob("lightbox-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "desktop/resources/style.qss" in names
    assert "desktop/resources/icons/lightbox.svg" in names
    assert "desktop/resources/icons/png/lightbox-512.png" in names
    cases = {
        name for name in names if name.startswith("desktop/sample_cases/") and name.endswith(".txt")
    }
    assert len(cases) == SAMPLE_COUNT == len(list(SAMPLE_CASES.glob("*.txt")))
    # The package and its metadata, nothing else (no tests, no packaging scripts).
    assert {name.split("/")[0] for name in names} == {
        "desktop",
        f"lightbox-{version('lightbox')}.dist-info",
    }


def _run_installer(data: Path, home: Path, path: str, *args: str) -> str:
    env = {"HOME": str(home), "XDG_DATA_HOME": str(data), "PATH": path, "LC_ALL": "C.UTF-8"}
    result = subprocess.run(
        ["bash", str(INSTALLER), *args], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _fake_lightbox(tmp_path: Path) -> tuple[Path, str]:
    """A `lightbox` command on a PATH that also has the system's tools (cache updaters)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    command = bin_dir / "lightbox"
    command.write_text("#!/bin/sh\nexit 0\n")
    command.chmod(0o755)
    return command, f"{bin_dir}:/usr/local/bin:/usr/bin:/bin"


def test_desktop_entry_installs_idempotently_and_uninstalls_without_a_trace(
    tmp_path: Path,
) -> None:
    home, data = tmp_path / "home", tmp_path / "home" / "data"
    home.mkdir()
    command, path = _fake_lightbox(tmp_path)

    _run_installer(data, home, path)
    installed = _snapshot(data)
    entry_path = data / "applications" / f"{APP_ID}.desktop"
    entry = _entry(entry_path)
    assert entry["Exec"] == f"{command} %F"
    assert entry["TryExec"] == str(command)
    assert entry["Icon"] == APP_ID
    assert f"metainfo/{APP_ID}.metainfo.xml" in installed
    assert f"icons/hicolor/scalable/apps/{APP_ID}.svg" in installed
    for size in ICON_SIZES:
        icon = data / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert _png_size(icon) == (size, size)
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(entry_path)], capture_output=True, text=True,
            check=False,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr

    _run_installer(data, home, path)
    assert _snapshot(data) == installed

    _run_installer(data, home, path, "--uninstall")
    assert not data.exists() or not any(data.iterdir()), sorted(data.rglob("*"))
    assert not (home / ".local").exists()  # XDG_DATA_HOME was honoured
    _run_installer(data, home, path, "--uninstall")  # again: nothing to do, no error


def test_uninstall_leaves_other_applications_alone(tmp_path: Path) -> None:
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    command, path = _fake_lightbox(tmp_path)
    other_entry = data / "applications" / "other.desktop"
    other_icon = data / "icons" / "hicolor" / "48x48" / "apps" / "other.png"
    for neighbour in (other_entry, other_icon):
        neighbour.parent.mkdir(parents=True, exist_ok=True)
        neighbour.write_bytes(b"theirs")

    _run_installer(data, home, path, "--exec", str(command))
    _run_installer(data, home, path, "--uninstall")

    left = {name for name in _snapshot(data) if not name.endswith(".cache")}
    assert left == {"applications/other.desktop", "icons/hicolor/48x48/apps/other.png"}
    assert other_entry.read_bytes() == other_icon.read_bytes() == b"theirs"


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and header[12:16] == b"IHDR", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_one_folder_app_starts_and_seeds_its_library(tmp_path: Path) -> None:
    pytest.importorskip("PyInstaller", reason="pip install -e '.[build]' installs PyInstaller")
    dist, work = tmp_path / "dist", tmp_path / "build"
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(PACKAGING / "lightbox.spec")],
        cwd=tmp_path, capture_output=True, text=True, timeout=1500, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-5000:]
    app = dist / "lightbox" / "lightbox"
    assert app.is_file()

    home, shot = tmp_path / "home", tmp_path / "shot.png"
    env = {**os.environ, "LIGHTBOX_HOME": str(home)}  # conftest's screen: 1440×900 fits
    started = subprocess.run(
        [str(app), "--screenshot", str(shot)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert started.returncode == 0, started.stdout + started.stderr
    assert _png_size(shot) == (1440, 900)

    from desktop.store.library import Library

    with Library.open(home / "library.db", create=False) as library:
        assert library.count_cases() == SAMPLE_COUNT

    shown = subprocess.run(
        [str(app), "--version"], env=env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"lightbox {version('lightbox')}"


def _stub(path: Path, script: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(0o755)


def _bootstrap_in(folder: Path, *, pip_fails: bool) -> subprocess.CompletedProcess[str]:
    """Runs packaging/bootstrap.sh in a copy of the project layout with python3, pip and
    dpkg stubbed: what it prints, and whether it fails, without installing anything."""
    (folder / "packaging").mkdir()
    shutil.copy(PACKAGING / "bootstrap.sh", folder / "packaging" / "bootstrap.sh")
    bin_ = folder / "stubs"
    venv_python = (
        'if [ "$3" = "install" ] && [ "$*" != "${*%--editable*}" ]; then\n'
        '  echo "Collecting PySide6-Essentials"; echo "Successfully installed lightbox"\n'
        f"  exit {1 if pip_fails else 0}\nfi\n"
    )
    _stub(
        bin_ / "python3",
        "mkdir -p .venv/bin\n"
        f"cat > .venv/bin/python <<'EOS'\n#!/bin/sh\n{venv_python}EOS\n"
        "chmod +x .venv/bin/python\n"
        "printf '#!/bin/sh\\necho lightbox 0\\n' > .venv/bin/lightbox\n"
        "chmod +x .venv/bin/lightbox\n",
    )
    _stub(bin_ / "dpkg-query", 'echo "install ok installed"\n')
    _stub(bin_ / "apt-get", "exit 0\n")
    env = {**os.environ, "PATH": f"{bin_}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(
        ["bash", str(folder / "packaging" / "bootstrap.sh")],
        capture_output=True, text=True, env=env, check=False, timeout=60,
    )  # fmt: skip


def test_bootstrap_says_each_step_while_it_installs(tmp_path: Path) -> None:
    """The README's first command prints a line a step (not a silent minute) and says
    when Lightbox is ready."""
    result = _bootstrap_in(tmp_path, pip_fails=False)
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [line for line in result.stdout.splitlines() if line.startswith("==> ")]
    assert steps[0] == "==> Creating the virtual environment .venv"
    assert any(line.startswith("==> Installing Lightbox into .venv") for line in steps)
    assert "Collecting PySide6-Essentials" in result.stdout  # pip's own progress shows
    assert steps[-1].startswith("==> Lightbox is ready in .venv (")


def test_bootstrap_fails_when_pip_fails(tmp_path: Path) -> None:
    """pip's output is filtered through a pipe: its failure must still fail the script."""
    result = _bootstrap_in(tmp_path, pip_fails=True)
    assert result.returncode != 0
    assert "Lightbox is ready" not in result.stdout


@pytest.mark.slow
def test_one_command_retakes_every_screenshot(tmp_path: Path) -> None:
    """packaging/take_screenshots.py makes the whole set: four scenes, two screen sizes,
    light and dark, each window no larger than its screen."""
    from PySide6.QtGui import QImage

    result = subprocess.run(
        [sys.executable, str(PACKAGING / "take_screenshots.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    for width, height in ((1440, 900), (1280, 720)):
        for scheme in ("light", "dark"):
            for scene in ("main", "search", "notes", "shortcuts"):
                image = QImage(str(tmp_path / f"{scene}-{width}x{height}-{scheme}.png"))
                assert not image.isNull(), (scene, width, scheme)
                assert image.width() <= width and image.height() <= height, (scene, width)
