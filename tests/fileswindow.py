"""The files tests' window kit: a window and bob in a room, offers, buttons, dialogs.

A plugin (conftest's ``pytest_plugins``), so its fixtures are everyone's:
``files`` (bob's folder), ``opened`` (what the window asked the system to
open), ``downloads``, ``slow_disk``, ``no_folder_windows`` ("Show in folder"
opens nothing); the functions are imported by the files test modules.
"""

from __future__ import annotations

import time
import tkinter.filedialog
import tkinter.messagebox
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from guitools import transcript
from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat.client import ChatClient
from desktopchat.gui import opener
from desktopchat.gui.app import ChatApp
from desktopchat.gui.transferrules import Action, Status, Transfer
from desktopchat.gui.transferview import TransferLine
from desktopchat.protocol import transferevents as te
from desktopchat.server import RoomServer
from desktopchat.transfer import incoming


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "bobs-files"
    folder.mkdir()
    return folder


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """What the window asked the system to open (nothing is really opened)."""
    calls: list[Path] = []

    def record(path: Path) -> None:
        calls.append(path)

    monkeypatch.setattr(opener, "open_file", record)
    return calls


@pytest.fixture
def downloads(app: ChatApp, tmp_path: Path) -> Path:
    folder = tmp_path / "Downloads"
    folder.mkdir()
    app.presenter.transfers.download_dir = folder
    return folder


def joined(app: ChatApp, room: RoomServer, make_client: MakeClient) -> tuple[ChatClient, EventLog]:
    """The window as ann and bob in ``room``; bob's client and its events."""
    app.join(*room.address, "ann")
    wait_until(
        lambda: app.online and app.presenter.transfers.max_size is not None,
        what="ann in a room that takes files",
        root=app.root,
    )
    bob = make_client(room.address, "bob")
    bob.start()
    log = EventLog(bob.events)
    log.wait_for(te.FilesAllowed)
    wait_until(lambda: "bob joined" in transcript(app), what="bob in the list", root=app.root)
    return bob, log


def offered(app: ChatApp, name: str) -> tuple[Transfer, TransferLine]:
    """Wait for the offer of ``name``; its transfer and its line's widgets."""
    found: list[Transfer] = []

    def shown() -> bool:
        found[:] = [i for i in app.presenter.transfers.items.values() if i.name == name]
        return bool(found) and found[0] in app._transfer_lines

    wait_until(shown, what=f"the offer of {name}", root=app.root)
    return found[0], app._transfer_lines[found[0]]


def status_of(item: Transfer) -> Status:
    return item.status  # (a call: mypy would keep what it saw before the click)


def shown(widgets: TransferLine) -> tuple[Action, ...]:
    return widgets.shown_actions


def press(app: ChatApp, widgets: TransferLine, action: Action) -> None:
    assert action in widgets.shown_actions, widgets.shown_actions
    widgets.buttons[action].invoke()
    app.root.update()


def answer_save_dialog(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[dict[str, object]]:
    asked: list[dict[str, object]] = []

    def ask(**options: object) -> str:
        asked.append(options)
        return str(path)

    monkeypatch.setattr(tkinter.filedialog, "asksaveasfilename", ask)
    return asked


@pytest.fixture
def slow_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each received chunk takes 4 ms to write: a 20 MB file takes a few seconds."""
    store: Callable[[incoming.PartFile, bytes | memoryview], None] = incoming.PartFile._store

    def slow(self: incoming.PartFile, data: bytes | memoryview) -> None:
        time.sleep(0.004)
        store(self, data)

    monkeypatch.setattr(incoming.PartFile, "_store", slow)


@pytest.fixture
def no_folder_windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(opener, "show_in_folder", lambda path: None)
    yield
