"""Files in a real window, sending and hosting: offers from the window to a real room
and a real second ChatClient; refusals, private offers, withdraw, many files, the host's
limits (tests/fileswindow.py has the kit).
"""

from __future__ import annotations

import io
import tkinter.filedialog
import tkinter.messagebox
from pathlib import Path

import pytest
from fileswindow import joined, offered, press, shown
from guitools import transcript
from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.host import HostValues
from desktopchat.gui.transferrules import Action
from desktopchat.protocol import events as ev
from desktopchat.protocol import transferevents as te
from desktopchat.protocol.fileevents import FileOffer, FileWithdrawn
from desktopchat.server import RoomServer

pytestmark = [pytest.mark.gui, pytest.mark.usefixtures("no_folder_windows")]


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
