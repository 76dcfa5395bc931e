"""Files in a real window, receiving: a real room, a real second ChatClient offering
files to it. The window's buttons are pressed (``invoke``, what a click or Space does);
the save dialog and the system's opener are patched, nothing else (tests/fileswindow.py).
"""

from __future__ import annotations

import hashlib
import io
import random
import threading
import tkinter.filedialog
import tkinter.messagebox
from pathlib import Path

import pytest
from fileswindow import answer_save_dialog, joined, offered, press, shown, status_of
from guitools import transcript
from relay import MakeClient
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.pictures import thumbnails_in
from desktopchat.gui.transferrules import Action, Status, Transfer, status_text
from desktopchat.protocol import transferevents as te
from desktopchat.server import RoomServer

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("no_folder_windows")]


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


def test_the_download_folder_can_be_chosen(
    app: ChatApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tkinter.filedialog, "askdirectory", lambda **_o: str(tmp_path))
    room_menu = app.menus["Room"]
    menu = room_menu.nametowidget(room_menu.entrycget("Files offered to you", "menu"))
    menu.invoke("Download folder (for Open)…")
    assert app.presenter.transfers.download_dir == tmp_path
    assert app.settings.download_dir == str(tmp_path)
