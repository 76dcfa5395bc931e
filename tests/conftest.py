"""Shared fixtures and the display policy for GUI tests.

GUI tests carry the ``gui`` marker. They skip only when there is no display
*and* ``DESKTOPCHAT_REQUIRE_DISPLAY`` is unset; CI sets it, so a missing Xvfb
fails the run instead of silently skipping. pytest-xvfb provides the display.

Every test FAILS if a ``desktopchat`` logger logged at ERROR or above while it
ran (from any thread), unless it is marked ``allow_error_log`` because it
provokes that error on purpose.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from relay import MakeClient

from desktopchat.client import ChatClient
from desktopchat.gui.app import ChatApp
from desktopchat.net import discovery
from desktopchat.net.tls import Identity, load_or_create_identity
from desktopchat.server import RoomServer
from desktopchat.settings import Settings

# guitools provides the tk_root fixture (fails a test whose Tk callback raised);
# pytester runs inner test sessions (test_conftest.py checks these rules);
# fileswindow has the window-and-files fixtures of the test_gui_files* modules.
pytest_plugins = ["guitools", "pytester", "fileswindow"]


def _have_display() -> bool:
    return bool(os.environ.get("DISPLAY"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _have_display() or os.environ.get("DESKTOPCHAT_REQUIRE_DISPLAY"):
        return
    skip = pytest.mark.skip(reason="no display (set DESKTOPCHAT_REQUIRE_DISPLAY=1 to fail instead)")
    for item in items:
        if "gui" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def fresh_pointer() -> None:
    """Each test starts with the pointer and focus of a fresh X server (guitools)."""
    if _have_display():
        from guitools import reset_pointer_and_focus  # a plugin: imported once registered

        reset_pointer_and_focus()


class ErrorRecords(logging.Handler):
    """Collects records at ERROR or above (thread-safe: Handler.handle holds a lock)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s [%(threadName)s]: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def report(self) -> str:
        return "\n".join(self.format(record) for record in self.records)


@pytest.fixture(autouse=True)
def no_error_logs(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if desktopchat logged an error during it (set-up and teardown included)."""
    logger = logging.getLogger("desktopchat")
    handler = ErrorRecords()
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
    if handler.records and request.node.get_closest_marker("allow_error_log") is None:
        pytest.fail(
            "desktopchat logged at ERROR or above (mark the test allow_error_log if that is"
            " what it tests):\n" + handler.report(),
            pytrace=False,
        )


# Programs the tests start (the app, --serve, the executable) announce and browse
# nothing either: they inherit this. tests/netns.py removes it inside namespaces.
os.environ[discovery.NO_DISCOVERY_ENV] = "1"


@pytest.fixture(autouse=True)
def no_multicast_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """zeroconf never starts in the test process: its mDNS would go out on this
    machine's real interfaces. An Announcer or Browser started by a test (a
    window hosting a room, say) fails to start as on a machine with no network
    (a warning, no crash). Discovery tests run zeroconf in a private network
    namespace (tests/netns.py); tests of the announcer's logic patch this again.
    """

    def refuse() -> NoReturn:
        raise OSError("zeroconf is not started in the test process (see conftest)")

    monkeypatch.setattr(discovery, "_start_zeroconf", refuse)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test (and every program it starts) keeps its settings, certificate and
    trusted rooms in a DESKTOPCHAT_HOME of its own, never the user's: a room trusted
    by one test must not pin a later test's room that happens to get the same port.
    """
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(home))
    return home


@pytest.fixture
def room() -> Iterator[RoomServer]:
    """A real room server on 127.0.0.1, any free port, running on its thread."""
    with RoomServer("127.0.0.1", 0) as server:
        yield server


@pytest.fixture
def unlimited_room() -> Iterator[RoomServer]:
    """Like ``room``, without per-member rate limits: for floods that test something else."""
    with RoomServer("127.0.0.1", 0, rate_limits=None) as server:
        yield server


@pytest.fixture
def identity(tmp_path: Path) -> Identity:
    """A room certificate of its own for this test (never the user's)."""
    return load_or_create_identity(tmp_path / "room-identity")


@pytest.fixture
def other_identity(tmp_path: Path) -> Identity:
    """Another certificate: a man in the middle's, or the room's after a change."""
    return load_or_create_identity(tmp_path / "another-identity")


@pytest.fixture
def tls_room(identity: Identity) -> Iterator[RoomServer]:
    """Like ``room``, with a certificate: TLS and plaintext members on one port."""
    with RoomServer("127.0.0.1", 0, identity=identity) as server:
        yield server


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Make ChatClients (``make(address, name, **options)``); all are closed at the end."""
    made: list[ChatClient] = []

    def make(address: tuple[str, int], name: str = "ann", **kwargs: object) -> ChatClient:
        c = ChatClient(address[0], address[1], name, **kwargs)  # type: ignore[arg-type]
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
        assert c._thread is None or not c._thread.is_alive()


@pytest.fixture
def applog_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private DESKTOPCHAT_HOME for tests of applog; undoes every global it touches."""
    from desktopchat import applog

    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    root = logging.getLogger()
    saved = (root.level, list(root.handlers), sys.excepthook, threading.excepthook)
    yield tmp_path
    for handler in root.handlers[:]:
        if handler not in saved[1]:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(saved[0])
    applog.install_excepthook(None)  # forget the dialog, then put the hooks back
    sys.excepthook, threading.excepthook = saved[2], saved[3]
    logging.captureWarnings(False)


@pytest.fixture
def saved() -> list[Settings]:
    """Settings the ``app`` fixture's window saved (on Quit)."""
    return []


@pytest.fixture
def app(
    tk_root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, saved: list[Settings]
) -> Iterator[ChatApp]:
    """A real chat window (not in a room) with default settings, 800x500."""
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    chat = ChatApp(tk_root, Settings(), save=saved.append)
    tk_root.geometry("800x500+0+0")
    tk_root.update()
    yield chat
    chat.quit()
    assert chat.presenter.wait_stopped(3.0)  # Quit itself never waits for the threads
    assert not [t for t in threading.enumerate() if t.name.startswith("desktopchat-")]
