"""Files in a real window: a real room, a real second ChatClient offering files to it.

The window's buttons are pressed (``invoke``, what a click or Space does);
the save dialog and the system's opener are patched, nothing else.
"""

from __future__ import annotations

import hashlib
import io
import random
import threading
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
from desktopchat.gui.host import HostValues
from desktopchat.gui.pictures import thumbnails_in
from desktopchat.gui.transferrules import Action, Status, Transfer, status_text
from desktopchat.gui.transferview import TransferLine
from desktopchat.protocol import events as ev
from desktopchat.protocol import transferevents as te
from desktopchat.protocol.fileevents import FileOffer, FileWithdrawn
from desktopchat.server import RoomServer
from desktopchat.transfer import incoming

pytestmark = pytest.mark.gui


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


def test_save_writes_where_the_user_chose_only_after_the_click(
    app: ChatApp,
    room: RoomServer,
    make_client: MakeClient,
    files: Path,
    downloads: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bob, _ = joined(app, room, make_client)
    data = bytes(range(256)) * 4000
    (files / "report.pdf").write_bytes(data)
    bob.offer_file(files / "report.pdf")
    item, widgets = offered(app, "report.pdf")
    assert "bob offers report.pdf (1,000 KB, PDF document)" in transcript(app)
    assert shown(widgets) == (Action.SAVE, Action.OPEN, Action.DECLINE)
    assert list(downloads.iterdir()) == [] and not list(tmp_path.glob("*.part"))

    chosen = tmp_path / "kept" / "my report.pdf"
    chosen.parent.mkdir()
    asked = answer_save_dialog(monkeypatch, chosen)
    press(app, widgets, Action.SAVE)
    assert asked[0]["initialdir"] == str(downloads)
    assert asked[0]["initialfile"] == "report.pdf"
    wait_until(lambda: status_of(item) is Status.DONE, what="the file saved", root=app.root)
    assert chosen.read_bytes() == data
    assert shown(widgets) == (Action.OPEN_FILE, Action.SHOW)
    assert f"Saved to {chosen}" in str(widgets.status.cget("text"))
    assert list(downloads.iterdir()) == []


def test_decline_writes_nothing(
    app: ChatApp, room: RoomServer, make_client: MakeClient, files: Path, downloads: Path
) -> None:
    bob, _ = joined(app, room, make_client)
    (files / "notes.txt").write_text("hello")
    bob.offer_file(files / "notes.txt")
    item, widgets = offered(app, "notes.txt")
    # By keyboard: Tab from the transcript reaches the line's buttons, Space presses one.
    text = app.transcript.text
    text.focus_force()
    app.root.update()
    for expected in (Action.SAVE, Action.OPEN, Action.DECLINE):
        app.root.focus_get().event_generate("<Tab>")  # type: ignore[union-attr]
        app.root.update()
        assert app.root.focus_get() is widgets.buttons[expected]
    widgets.buttons[Action.DECLINE].event_generate("<space>")
    app.root.update()
    assert status_of(item) is Status.DECLINED and shown(widgets) == ()
    assert str(widgets.status.cget("text")) == "You declined it."
    assert list(downloads.iterdir()) == []


@pytest.fixture
def slow_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each received chunk takes 4 ms to write: a 20 MB file takes a few seconds."""
    store: Callable[[incoming.PartFile, bytes | memoryview], None] = incoming.PartFile._store

    def slow(self: incoming.PartFile, data: bytes | memoryview) -> None:
        time.sleep(0.004)
        store(self, data)

    monkeypatch.setattr(incoming.PartFile, "_store", slow)


@pytest.mark.usefixtures("slow_disk")
def test_the_bar_moves_then_cancel_stops_it(
    app: ChatApp,
    room: RoomServer,
    make_client: MakeClient,
    files: Path,
    downloads: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bob, log = joined(app, room, make_client)
    with (files / "video.mp4").open("wb") as f:
        f.truncate(20 * 1024**2)
    bob.offer_file(files / "video.mp4")
    item, widgets = offered(app, "video.mp4")
    dest = downloads / "video.mp4"
    answer_save_dialog(monkeypatch, dest)
    press(app, widgets, Action.SAVE)
    assert shown(widgets) == (Action.CANCEL,)
    wait_until(lambda: float(widgets.bar.cget("value")) > 0, what="the bar moving", root=app.root)
    first = float(widgets.bar.cget("value"))
    wait_until(
        lambda: float(widgets.bar.cget("value")) > first and " left" in widgets.status.cget("text"),
        what="more progress, with speed and time left",
        root=app.root,
    )
    assert widgets.bar.winfo_ismapped()
    assert status_of(item) is Status.FETCHING
    press(app, widgets, Action.CANCEL)
    assert status_of(item) is Status.CANCELLED
    assert shown(widgets) == (Action.SAVE, Action.OPEN)  # may be tried again
    assert not widgets.bar.winfo_ismapped()
    failed = log.wait_for(te.TransferFailed, lambda e: not e.incoming)
    assert "cancel" in failed.reason.lower()
    assert not dest.exists()
    app.leave_room()  # the writer thread finishes the chunks it holds, then ends
    wait_until(
        lambda: not [t for t in threading.enumerate() if t.name == "desktopchat-write"],
        what="the writer thread ended",
        root=app.root,
    )


def test_over_the_limit_is_refused_before_sending(
    app: ChatApp, make_client: MakeClient, tmp_path: Path
) -> None:
    with RoomServer("127.0.0.1", 0, max_file_size=1000) as small:
        bob, _ = joined(app, small, make_client)
        big = tmp_path / "big.bin"
        big.write_bytes(b"x" * 2048)
        folder = tmp_path / "holiday"
        folder.mkdir()
        app.send_files([big, folder])
        text = transcript(app)
        assert "big.bin is 2.0 KB: this room takes files up to 1,000 bytes." in text
        assert "holiday is a folder: choose the files in it instead." in text
        assert app.presenter.transfers.items == {}
        bob.close()


def test_open_opens_but_never_a_program(
    app: ChatApp,
    room: RoomServer,
    make_client: MakeClient,
    files: Path,
    downloads: Path,
    opened: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bob, _ = joined(app, room, make_client)
    (files / "notes.txt").write_text("plain words")
    (files / "tool.sh").write_bytes(b"#!/bin/sh\nrm -rf ~\n")
    (files / "cat.txt").write_bytes(b"\x7fELF\x02\x01\x01 a program named .txt")
    for name in ("notes.txt", "tool.sh", "cat.txt"):
        bob.offer_file(files / name)
    _, notes_line = offered(app, "notes.txt")
    tool, tool_line = offered(app, "tool.sh")
    cat, cat_line = offered(app, "cat.txt")

    press(app, notes_line, Action.OPEN)
    wait_until(lambda: opened == [downloads / "notes.txt"], what="notes opened", root=app.root)

    assert Action.OPEN not in tool_line.shown_actions  # a program: Save and Decline only
    answer_save_dialog(monkeypatch, downloads / "tool.sh")
    press(app, tool_line, Action.SAVE)
    press(app, cat_line, Action.OPEN)  # its name says text, its first bytes a program
    wait_until(
        lambda: status_of(tool) is Status.DONE and status_of(cat) is Status.DONE,
        what="both written",
        root=app.root,
    )
    assert opened == [downloads / "notes.txt"]  # neither program was opened
    for line in (tool_line, cat_line):
        assert shown(line) == (Action.SHOW,)
        assert "desktopchat does not open programs" in str(line.note.cget("text"))


def test_a_picture_shows_as_a_thumbnail_without_writing_a_file(
    app: ChatApp, room: RoomServer, make_client: MakeClient, files: Path, downloads: Path
) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (200, 40, 40)).save(buffer, "PNG")
    (files / "red.png").write_bytes(buffer.getvalue())
    bob, _ = joined(app, room, make_client)
    bob.offer_file(files / "red.png")
    item, widgets = offered(app, "red.png")
    wait_until(lambda: widgets.has_thumbnail, what="the thumbnail", root=app.root)
    assert (
        item.data is not None
        and hashlib.sha256(item.data).hexdigest() == hashlib.sha256(buffer.getvalue()).hexdigest()
    )
    [thumb] = thumbnails_in(app.transcript.text)
    assert (thumb.image.width(), thumb.image.height()) == (320, 240)
    assert list(downloads.iterdir()) == []
    assert shown(widgets) == (Action.SAVE, Action.OPEN, Action.DECLINE)


def test_a_private_offer_is_in_the_senders_tab_and_we_send_to_the_tabs_person(
    app: ChatApp, room: RoomServer, make_client: MakeClient, files: Path, tmp_path: Path
) -> None:
    bob, log = joined(app, room, make_client)
    (files / "secret.txt").write_text("for ann only")
    bob.offer_file(files / "secret.txt", "ann")
    _, widgets = offered(app, "secret.txt")
    tab = app.presenter.conversations.find("bob")
    assert tab is not None and widgets.master is app.transcript_of(tab.tid).text
    assert "secret.txt" not in transcript(app)  # not in the room's tab

    app.presenter.conversations.selected(tab.tid)  # the user looks at bob's tab
    mine = tmp_path / "answer.txt"
    mine.write_text("thanks")
    chosen: list[str] = []

    def choose(**options: object) -> tuple[str, ...]:
        chosen.append(str(options["title"]))
        return (str(mine),)

    monkey = pytest.MonkeyPatch()
    monkey.setattr(tkinter.filedialog, "askopenfilenames", choose)
    try:
        app.send_file_dialog()
    finally:
        monkey.undo()
    assert chosen == ["Send files to bob — desktopchat"]
    seen = log.wait_for(FileOffer, lambda e: e.name == "answer.txt")
    assert (seen.to, seen.sender) == ("bob", "ann")


def test_our_offer_shows_who_fetched_it_and_can_be_withdrawn(
    app: ChatApp, room: RoomServer, make_client: MakeClient, tmp_path: Path
) -> None:
    bob, log = joined(app, room, make_client)
    mine = tmp_path / "plan.txt"
    mine.write_text("the plan")
    app.send_files([mine])
    item, widgets = offered(app, "plan.txt")
    assert shown(widgets) == (Action.WITHDRAW,)
    assert str(widgets.status.cget("text")) == "Nobody has fetched it yet."
    seen = log.wait_for(FileOffer, lambda e: e.name == "plan.txt")
    assert seen.file == item.file
    bob.fetch_file(item.file, tmp_path / "bob-got.txt")
    log.wait_for(te.TransferDone)
    assert (tmp_path / "bob-got.txt").read_text() == "the plan"
    wait_until(
        lambda: str(widgets.status.cget("text")) == "fetched 1 time",
        what="bob's fetch counted",
        root=app.root,
    )
    press(app, widgets, Action.WITHDRAW)
    assert shown(widgets) == ()
    gone = log.wait_for(FileWithdrawn)
    assert gone.file == item.file


def test_hosting_with_only_me_and_a_limit(
    app: ChatApp, make_client: MakeClient, tmp_path: Path
) -> None:
    values = HostValues("ann", 0, "", max_file_size=5000, files_only_me=True)
    assert app.start_hosting(values) is None
    server = app.server
    assert server is not None
    wait_until(lambda: app.presenter.transfers.max_size == 5000, what="files on", root=app.root)
    assert app.settings.host_max_file_size == 5000 and app.settings.host_files_only_me
    bob = make_client(("127.0.0.1", int(server.address[1])), "bob", pin=server.fingerprint)
    bob.start()
    log = EventLog(bob.events)
    log.wait_for(te.FilesAllowed)
    (tmp_path / "x.txt").write_text("x")
    cid = bob.offer_file(tmp_path / "x.txt")
    refused = log.wait_for(ev.Rejected, lambda e: e.cid == cid)
    assert refused.reason == "The host does not let you send files in this room."
    app.send_files([tmp_path / "x.txt"])  # the host may
    offered(app, "x.txt")
    bob.close()


@pytest.fixture(autouse=True)
def _no_folder_windows(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(opener, "show_in_folder", lambda path: None)
    yield


def test_a_refused_offer_says_why_in_the_transcript(
    app: ChatApp, make_client: MakeClient, tmp_path: Path
) -> None:
    with RoomServer("127.0.0.1", 0, file_senders=frozenset({"bob"})) as strict:
        joined(app, strict, make_client)
        mine = tmp_path / "mine.txt"
        mine.write_text("mine")
        app.send_files([mine])
        wait_until(
            lambda: (
                "mine.txt was not offered: The host does not let you send files in this room."
                in transcript(app)
            ),
            what="the refusal",
            root=app.root,
        )
        assert app.presenter.transfers.items == {}


def test_a_line_the_transcript_dropped_is_left_alone(
    app: ChatApp, room: RoomServer, make_client: MakeClient, files: Path
) -> None:
    bob, _ = joined(app, room, make_client)
    (files / "old.txt").write_text("old")
    bob.offer_file(files / "old.txt")
    item, widgets = offered(app, "old.txt")
    app.transcript.max_entries = 3
    for n in range(5):
        app.transcript.add_event(f"line {n}")
    app.transcript.flush()
    assert not widgets.winfo_exists()  # Tk destroyed it with its entry
    app.presenter.transfers.decline(item)  # no error: nothing to redraw
    app.root.update()


def test_more_than_five_files_ask_first(
    app: ChatApp,
    room: RoomServer,
    make_client: MakeClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    joined(app, room, make_client)
    paths = []
    for n in range(6):
        paths.append(tmp_path / f"f{n}.txt")
        paths[-1].write_text(str(n))
    questions: list[str] = []
    answers = [False, True]

    def ask(title: str, message: str, **options: object) -> bool:
        questions.append(message)
        return answers.pop(0)

    monkeypatch.setattr(tkinter.messagebox, "askokcancel", ask)
    app.send_files(paths)
    assert questions == ["Send 6 files to the room?"]
    assert not list(app.presenter.transfers.pending_names())  # Cancel: nothing offered
    app.send_files(paths)
    wait_until(lambda: len(app.presenter.transfers.items) == 6, what="six offers", root=app.root)


def test_pasted_paths_are_asked_about_once(
    app: ChatApp,
    room: RoomServer,
    make_client: MakeClient,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    joined(app, room, make_client)
    paths = [tmp_path / f"p{n}.txt" for n in range(6)]
    for path in paths:
        path.write_text(path.name)
    questions: list[str] = []

    def paste_question(title: str, message: str, **options: object) -> bool:
        questions.append(message)
        return True

    def second_question(title: str, message: str, **options: object) -> bool:
        questions.append(message)
        return False

    monkeypatch.setattr(tkinter.messagebox, "askyesnocancel", paste_question)
    monkeypatch.setattr(tkinter.messagebox, "askokcancel", second_question)
    box = app.window.input
    box.clipboard_clear()
    box.clipboard_append("\n".join(str(p) for p in paths))
    box.event_generate("<<Paste>>")
    assert questions == ["Send 6 files?"]  # the paste asked; send_files does not ask again
    wait_until(lambda: len(app.presenter.transfers.items) == 6, what="six offers", root=app.root)


def test_files_can_be_saved_into_a_folder_without_asking(
    app: ChatApp,
    room: RoomServer,
    make_client: MakeClient,
    files: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from desktopchat.gui.menus import radio_variable

    bob, _ = joined(app, room, make_client)
    incoming_dir = tmp_path / "incoming"
    incoming_dir.mkdir()
    monkeypatch.setattr(tkinter.filedialog, "askdirectory", lambda **_o: str(incoming_dir))
    menu = app.menus["Room"].nametowidget(
        app.menus["Room"].entrycget("Files offered to you", "menu")
    )
    menu.invoke("Save them into a folder…")
    assert app.root.getvar(radio_variable("autoaccept")) == "auto"
    assert app.settings.auto_accept_dir == str(incoming_dir)
    (files / "minutes.txt").write_text("minutes")
    bob.offer_file(files / "minutes.txt")
    item, _ = offered(app, "minutes.txt")
    wait_until(lambda: status_of(item) is Status.DONE, what="saved unasked", root=app.root)
    assert (incoming_dir / "minutes.txt").read_text() == "minutes"
    menu.invoke("Ask me each time")
    assert app.settings.auto_accept_dir == "" and app.presenter.transfers.auto_dir is None


@pytest.mark.usefixtures("slow_disk")
def test_a_reconnect_pauses_the_line_and_the_file_is_completed(
    app: ChatApp,
    room: RoomServer,
    make_client: MakeClient,
    files: Path,
    downloads: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cutproxy import CutProxy

    data = random.Random(11).randbytes(12 * 1024**2)
    (files / "dump.bin").write_bytes(data)
    with CutProxy(room.address) as proxy:
        app.join(*proxy.address, "ann")
        wait_until(lambda: app.presenter.transfers.max_size, what="files on", root=app.root)
        bob = make_client(room.address, "bob")
        bob.start()
        bob.offer_file(files / "dump.bin")
        item, widgets = offered(app, "dump.bin")
        answer_save_dialog(monkeypatch, downloads / "dump.bin")
        press(app, widgets, Action.SAVE)
        wait_until(lambda: item.done > 2 * 1024**2, what="some bytes in", root=app.root)
        shown_texts: list[tuple[Status, str, tuple[Action, ...]]] = []
        redraw = app.transfer_changed

        def record(changed: Transfer) -> None:
            redraw(changed)
            shown_texts.append((changed.status, status_text(changed), shown(widgets)))

        monkeypatch.setattr(app, "transfer_changed", record)
        proxy.cut(keep_ghost=False)
        wait_until(
            lambda: status_of(item) is Status.DONE,
            20,
            "the rest after the reconnect",
            root=app.root,
        )
    assert (downloads / "dump.bin").read_bytes() == data
    assert shown(widgets) == (Action.OPEN_FILE, Action.SHOW)
    paused = [(text, actions) for status, text, actions in shown_texts if status is Status.WAITING]
    assert paused[0] == (
        "Paused: The connection to the room dropped; the transfer resumes after the reconnect.",
        (Action.CANCEL,),
    )


def test_our_own_picture_shows_its_thumbnail(
    app: ChatApp, room: RoomServer, make_client: MakeClient, tmp_path: Path
) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 160, 60)).save(buffer, "PNG")
    photo = tmp_path / "green.png"
    photo.write_bytes(buffer.getvalue())
    joined(app, room, make_client)
    app.send_files([photo])
    _, widgets = offered(app, "green.png")
    wait_until(lambda: widgets.has_thumbnail, what="our thumbnail", root=app.root)
    assert shown(widgets) == (Action.WITHDRAW,)


def test_the_download_folder_can_be_chosen(
    app: ChatApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tkinter.filedialog, "askdirectory", lambda **_o: str(tmp_path))
    room_menu = app.menus["Room"]
    menu = room_menu.nametowidget(room_menu.entrycget("Files offered to you", "menu"))
    menu.invoke("Download folder (for Open)…")
    assert app.presenter.transfers.download_dir == tmp_path
    assert app.settings.download_dir == str(tmp_path)
