"""The app never touches the network: import, show hostile cases, preview notes, search.

Two oracles. In this process, the socket functions are patched to record and refuse any
AF_INET/AF_INET6 connection or name lookup (local AF_UNIX sockets, which Qt's offscreen
platform and multiprocessing may use, are let through). Note previews, though, render in a
*spawned* helper process where those patches do not exist, so a loopback HTTP server started
before the patches, whose URL the hostile case and note embed, counts every connection
anyone makes to it: from this process, from the helper, or from Qt's C++ side.
"""

from __future__ import annotations

import gc
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from desktop.ui.dialogs import ImportReportDialog
from desktop.ui.main_window import MainWindow
from tests.conftest import ROOT
from tests.gui_helpers import close_window, make_window

SCRIPT_CASE = ROOT / "tests" / "data" / "hostile" / "script-case.txt"
INET = (socket.AF_INET, socket.AF_INET6)


class _Recorder(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, Loopback)
        self.server.requests.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the test reads the counters, not the log


class Loopback(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that counts connections and requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.connections = 0
        self.requests: list[str] = []

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1  # counted even if no request line ever arrives
        super().process_request(request, client_address)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def loopback() -> Iterator[Loopback]:
    server = Loopback()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def no_network(loopback: Loopback, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Patches socket so every internet connection or lookup is recorded and refused."""
    assert loopback.connections == 0  # the server is up before the patches go in
    attempts: list[str] = []

    def refuse(what: str) -> OSError:
        attempts.append(what)
        return OSError(f"network use in an offline app: {what}")

    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in INET:
            raise refuse(f"connect {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family in INET:
            raise refuse(f"connect_ex {address!r}")
        return real_connect_ex(self, address)

    def create_connection(address: Any, *_args: Any, **_kwargs: Any) -> socket.socket:
        raise refuse(f"create_connection {address!r}")

    def getaddrinfo(host: Any, port: Any, *_args: Any, **_kwargs: Any) -> list[Any]:
        raise refuse(f"getaddrinfo {host!r} {port!r}")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def test_the_patches_catch_a_real_attempt(no_network: list[str], loopback: Loopback) -> None:
    """The oracle works: a connection to the loopback server is recorded and refused."""
    with pytest.raises(OSError, match="offline app"):
        socket.create_connection(("127.0.0.1", loopback.server_address[1]))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(OSError):
        sock.connect(("127.0.0.1", loopback.server_address[1]))
    left, right = socket.socketpair(socket.AF_UNIX)  # local IPC is not the network
    left.close()
    right.close()
    assert len(no_network) == 2
    assert loopback.connections == 0
    no_network.clear()


def search_for(qtbot: QtBot, window: MainWindow, text: str) -> None:
    window.focus_search()
    window.search.clear()
    QTest.keyClicks(window.search, text)
    with qtbot.waitSignal(window.search_bar.worker.finished, timeout=10_000):
        window.search_bar.timer.timeout.emit()
        window.search_bar.timer.stop()


def wait_for_preview(qtbot: QtBot, window: MainWindow, marker: str) -> None:
    qtbot.waitUntil(lambda: marker in window.notes.preview.toPlainText(), timeout=20_000)


def test_import_show_preview_and_search_use_no_network(
    qtbot: QtBot, tmp_path: Path, loopback: Loopback, no_network: list[str]
) -> None:
    qt_network_loaded_before = "PySide6.QtNetwork" in sys.modules
    base = loopback.base
    # A second hostile case whose remote URLs all point at the counting server.
    live = tmp_path / "live-case.txt"
    live.write_text(
        SCRIPT_CASE.read_text("utf-8")
        .replace("http://127.0.0.1:9/", f"{base}/")
        .replace("CASE 990001", "CASE 990101")
        .replace("DOI: 10.1594/x", "DOI: 10.1594/y")
        .replace(
            "Clinical History\n", f'Clinical History\n<link rel="prefetch" href="{base}/p">\n'
        ),
        encoding="utf-8",
    )
    window = make_window(tmp_path / "library.db", tmp_path / "settings.ini")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    try:
        # Import, through the window's own background worker.
        assert window.start_import([SCRIPT_CASE, live]) is not None
        qtbot.waitUntil(lambda: not window.imports.running, timeout=20_000)
        assert (window.imports.last_report.imported, window.imports.last_report.failed) == (2, [])
        dialog = window.imports.report_dialog
        if isinstance(dialog, ImportReportDialog):
            dialog.close()

        # Show both hostile cases, laid out and painted.
        for key, url in (("eurorad:990001", "http://127.0.0.1:9/x.png"), ("eurorad:990101", base)):
            assert window.list.select_case(window.library.resolve(key))
            assert url in window.detail.view.toPlainText()
            window.detail.view.grab()
            qtbot.wait(50)

        # A note full of remote images, links and stylesheets, typed and previewed.
        window.notes.editor.setFocus()
        window.notes.editor.setPlainText(
            f"# Offline marker\n\n![scan]({base}/md.png) and ![ref][img]\n\n"
            f'<img src="{base}/raw.png"> <iframe src="{base}/frame"></iframe>\n\n'
            f'<link rel="stylesheet" href="{base}/l.css">\n\n'
            f"<style>@import url({base}/i.css);</style>\n\n"
            f"[web]({base}/link) <{base}/auto> [case](lightbox:case/eurorad:990001)\n\n"
            f'<video poster="{base}/poster.png"></video> ![local](file:///etc/passwd)\n\n'
            f"[img]: {base}/ref.png\n"
        )
        QTest.keyClicks(window.notes.editor, " typed end")
        wait_for_preview(qtbot, window, "typed end")
        assert "Offline marker" in window.notes.preview.toPlainText()
        window.notes.preview.grab()
        assert window.notes.flush()

        # Search, over cases and the note, and show the highlighted hit.
        search_for(qtbot, window, "hostile")
        assert [hit.case_id for hit in window.search_hits()] == sorted(
            window.library.resolve(key) for key in ("eurorad:990001", "eurorad:990101")
        )
        window.list.select_row(0)
        window.detail.view.grab()
        search_for(qtbot, window, "offline marker")
        assert len(window.search_hits()) == 1
        search_for(qtbot, window, f"127.0.0.1 {loopback.server_address[1]}")
        assert window.search_hits()

        qtbot.wait(200)  # room for any late, asynchronous fetch to reach the server
        assert no_network == []
        assert (loopback.connections, loopback.requests) == (0, [])
        assert window.detail.view.requested == []
        assert window.notes.preview.requested == []
        assert_no_network_access_manager(window, qt_network_loaded_before)
    finally:
        close_window(window)
    assert no_network == [] and loopback.connections == 0


def assert_no_network_access_manager(window: MainWindow, loaded_before: bool) -> None:
    if not loaded_before:
        # Nothing the app ran imported Qt's network module, so nothing could make a manager.
        assert "PySide6.QtNetwork" not in sys.modules
    try:
        from PySide6.QtNetwork import QNetworkAccessManager
    except ImportError:  # PySide6-Essentials builds may lack QtNetwork: then none can exist
        return
    assert window.findChildren(QNetworkAccessManager) == []
    assert not any(isinstance(o, QNetworkAccessManager) for o in gc.get_objects())
