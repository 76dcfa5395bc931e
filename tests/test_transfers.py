"""The window's file transfers as a model: offers, decisions, progress, texts (no display).

transfers.py and transferrules.py are driven with the client's events as
ChatClient posts them; a recording client stands in for the network (what
the model asks of it is the assertion), a recording view for the widgets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktopchat.gui import transfers as transfers_module
from desktopchat.gui.conversations import ROOM, Conversations
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.transferrules import (
    PREVIEW_BUDGET,
    PREVIEW_MAX,
    Action,
    Status,
    Transfer,
    actions,
    fraction,
    status_text,
    wants_preview,
)
from desktopchat.gui.transfers import Transfers
from desktopchat.protocol import events as ev
from desktopchat.protocol import transferevents as te
from desktopchat.protocol.fileevents import FileOffer, FileWithdrawn

MB = 1024**2
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100


class FakeClient:
    """Records what the model asks of the client."""

    def __init__(self) -> None:
        self.fetches: list[tuple[int, Path | None]] = []
        self.cancelled: list[int] = []
        self.withdrawn: list[int] = []
        self.offers: list[tuple[Path, str | None]] = []

    def fetch_file(self, file: int, dest: Path | None) -> None:
        self.fetches.append((file, dest))

    def cancel_fetch(self, file: int) -> None:
        self.cancelled.append(file)

    def withdraw_file(self, file: int) -> None:
        self.withdrawn.append(file)

    def offer_file(self, path: Path, to: str | None = None) -> int:
        self.offers.append((path, to))
        return 100 + len(self.offers)


class View:
    """Tabs and transfer lines, recorded."""

    def __init__(self) -> None:
        self.shown: list[tuple[int, Line, Transfer]] = []
        self.changed: list[Transfer] = []
        self.opened: list[Path] = []
        self.lines: list[Line] = []
        self.tabs: dict[int, str] = {}

    def transfer_shown(self, tid: int, line: Line, item: Transfer) -> None:
        self.shown.append((tid, line, item))

    def transfer_changed(self, item: Transfer) -> None:
        self.changed.append(item)

    def open_file(self, path: Path) -> None:
        self.opened.append(path)

    def show(self, line: Line) -> None:
        self.lines.append(line)

    def tab_open(self, tid: int, name: str, *, select: bool) -> None:
        self.tabs[tid] = name

    def tab_close(self, tid: int) -> None:
        pass

    def tab_forget(self, tid: int) -> None:
        pass

    def tab_label(self, tid: int, label: str, header: str) -> None:
        pass

    def tab_line(self, tid: int, line: Line) -> None:
        self.lines.append(line)


class Attention:
    """Records the lines offered to the attention rules."""

    def __init__(self) -> None:
        self.lines: list[tuple[Line, bool]] = []

    def arrived(self, line: Line, own_name: str | None, *, live: bool) -> Line:
        self.lines.append((line, live))
        return line


class Room:
    """The presenter's side the model reads."""

    def __init__(self, view: View) -> None:
        self.client: FakeClient | None = FakeClient()
        self.own_name: str | None = "me"
        self.conversations = Conversations(view)
        self.attention = Attention()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def view() -> View:
    return View()


@pytest.fixture
def room(view: View) -> Room:
    return Room(view)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def model(view: View, room: Room, clock: Clock, tmp_path: Path) -> Transfers:
    t = Transfers(view, room, clock)  # type: ignore[arg-type]
    t.download_dir = tmp_path / "Downloads"
    t.download_dir.mkdir()
    t.handle(te.FilesAllowed(max_size=10_000_000))
    return t


def offer(
    model: Transfers,
    file: int = 7,
    name: str = "report.pdf",
    size: int = 1_234_567,
    mime: str = "application/pdf",
    sender: str = "ann",
    to: str | None = None,
) -> Transfer:
    model.room_event(FileOffer(name, size, "ab" * 32, mime, to, sender, id=file), 0.0)
    return model.items[file]


def status_of(item: Transfer) -> Status:
    return item.status  # (a call: mypy would keep the status it saw before the event)


def client(room: Room) -> FakeClient:
    assert room.client is not None
    return room.client


# --- offers ----------------------------------------------------------------------------


def test_an_offer_shows_a_line_with_save_open_decline_and_fetches_nothing(
    model: Transfers, view: View, room: Room
) -> None:
    item = offer(model)
    tid, line, shown = view.shown[0]
    assert (tid, shown) == (ROOM, item)
    assert (line.kind, line.sender) == (Kind.ACTION, "ann")
    assert line.text == "offers report.pdf (1.2 MB, PDF document)"
    assert actions(item) == (Action.SAVE, Action.OPEN, Action.DECLINE)
    assert client(room).fetches == []
    assert fraction(item) is None


def test_a_private_offer_goes_to_the_senders_tab(model: Transfers, view: View, room: Room) -> None:
    offer(model, to="me")
    tid, line, _ = view.shown[0]
    assert room.attention.lines == [(line, True)]  # alerts like a private message
    assert tid != ROOM and view.tabs[tid] == "ann"
    assert (line.kind, line.text) == (Kind.PRIVATE, "offers you report.pdf (1.2 MB, PDF document)")


def test_save_fetches_to_the_chosen_path_and_shows_progress(
    model: Transfers, room: Room, clock: Clock, tmp_path: Path, view: View
) -> None:
    item = offer(model, size=10 * MB)
    model.save(item, tmp_path / "mine.pdf")
    assert client(room).fetches == [(7, tmp_path / "mine.pdf")]
    assert status_of(item) is Status.FETCHING and actions(item) == (Action.CANCEL,)
    for second in range(3):
        clock.now += 1
        model.handle(te.TransferProgress(7, MB * (second + 1), 10 * MB, True, "ann"))
    assert fraction(item) == pytest.approx(0.3)
    assert status_text(item) == "3.0 MB of 10 MB · 1.0 MB/s · 7 s left"
    model.handle(te.TransferDone(7, True, "ann", tmp_path / "mine.pdf"))
    assert status_of(item) is Status.DONE
    assert status_text(item) == f"Saved to {tmp_path / 'mine.pdf'}"
    assert actions(item) == (Action.OPEN_FILE, Action.SHOW)
    assert view.opened == []  # Save does not open


def test_open_writes_a_new_name_in_the_download_folder_then_opens_it(
    model: Transfers, room: Room, view: View
) -> None:
    (model.download_dir / "report.pdf").write_bytes(b"older")
    first, second = offer(model, 7), offer(model, 8)
    model.open(first)
    model.open(second)
    paths = [dest for _, dest in client(room).fetches]
    assert paths == [model.download_dir / "report (1).pdf", model.download_dir / "report (2).pdf"]
    assert paths[0] is not None
    paths[0].write_bytes(b"%PDF-1.7")
    model.handle(te.TransferDone(7, True, "ann", paths[0]))
    assert view.opened == [paths[0]]
    assert (model.download_dir / "report.pdf").read_bytes() == b"older"


def test_a_program_is_never_opened(model: Transfers, room: Room, view: View) -> None:
    item = offer(model, name="setup.sh", mime="text/x-shellscript")
    assert actions(item) == (Action.SAVE, Action.DECLINE)
    assert "never opens programs" in status_text(item)
    model.open(item)  # (no button, but even if asked) it is written, not opened
    dest = client(room).fetches[0][1]
    assert dest is not None
    dest.write_bytes(b"#!/bin/sh\n")
    model.handle(te.TransferDone(7, True, "ann", dest))
    assert view.opened == []
    assert actions(item) == (Action.SHOW,) and "is a program" in item.note
    model.open_done(item)
    assert view.opened == []


def test_a_program_in_disguise_is_not_opened(model: Transfers, room: Room, view: View) -> None:
    item = offer(model, name="cat.png", mime="image/png", size=PREVIEW_MAX + 1)
    model.open(item)
    dest = client(room).fetches[0][1]
    assert dest is not None
    dest.write_bytes(b"\x7fELF\x02\x01\x01")
    model.handle(te.TransferDone(7, True, "ann", dest))
    assert view.opened == [] and item.note


def test_decline_and_cancel(model: Transfers, room: Room, tmp_path: Path) -> None:
    first, second = offer(model, 7), offer(model, 8)
    model.decline(first)
    assert (first.status, actions(first), status_text(first)) == (
        Status.DECLINED,
        (),
        "You declined it.",
    )
    model.save(second, tmp_path / "x.pdf")
    model.cancel(second)
    assert client(room).cancelled == [8]
    assert status_of(second) is Status.CANCELLED
    assert actions(second) == (Action.SAVE, Action.OPEN)  # can be tried again
    model.handle(te.TransferFailed(8, True, "ann", "You cancelled the transfer."))
    assert status_of(second) is Status.CANCELLED


def test_a_failure_can_be_retried_until_the_offer_is_withdrawn(
    model: Transfers, tmp_path: Path
) -> None:
    item = offer(model)
    model.save(item, tmp_path / "x.pdf")
    model.handle(te.TransferWaiting(7, "ann's connection dropped; waiting for them to come back."))
    assert status_text(item) == ("Paused: ann's connection dropped; waiting for them to come back.")
    model.handle(te.TransferFailed(7, True, "ann", "The file changed on ann's side."))
    assert status_text(item) == "Failed: The file changed on ann's side."
    assert actions(item) == (Action.SAVE, Action.OPEN)
    model.room_event(FileWithdrawn(7, "ann", id=9), 0.0)
    assert actions(item) == ()


def test_a_withdrawn_offer_ends_its_line(model: Transfers) -> None:
    item = offer(model)
    model.room_event(FileWithdrawn(7, "ann", id=9), 0.0)
    assert (item.status, status_text(item), actions(item)) == (
        Status.GONE,
        "ann no longer offers it.",
        (),
    )


def test_leaving_or_a_restarted_room_ends_every_waiting_line(model: Transfers) -> None:
    model.handle(ev.Connected("h", 1, "me", epoch="epoch-1"))
    item = offer(model)
    model.handle(ev.Connected("h", 1, "me", epoch="epoch-1"))  # a reconnect: same run
    assert status_of(item) is Status.OFFERED
    model.handle(ev.Connected("h", 1, "me", epoch="epoch-2"))
    assert status_of(item) is Status.GONE and "restarted" in item.reason
    assert model.items == {}


# --- pictures ----------------------------------------------------------------------------


def test_a_small_picture_is_fetched_into_memory_and_saved_from_there(
    model: Transfers, room: Room, tmp_path: Path
) -> None:
    item = offer(model, name="cat.png", mime="image/png", size=len(PNG))
    assert client(room).fetches == [(7, None)] and item.previewing
    model.handle(te.TransferDone(7, True, "ann", data=PNG))
    assert item.data == PNG and status_of(item) is Status.OFFERED
    model.save(item, tmp_path / "cat.png")
    assert (tmp_path / "cat.png").read_bytes() == PNG
    assert status_of(item) is Status.DONE
    assert client(room).fetches == [(7, None)]  # not fetched again


def test_save_while_the_picture_loads_writes_it_when_it_is_in(model: Transfers, view: View) -> None:
    item = offer(model, name="cat.png", mime="image/png", size=len(PNG))
    model.open(item)
    assert status_of(item) is Status.FETCHING
    model.handle(te.TransferDone(7, True, "ann", data=PNG))
    assert (model.download_dir / "cat.png").read_bytes() == PNG
    assert view.opened == [model.download_dir / "cat.png"]


def test_a_failed_preview_fetches_to_disk_what_the_user_chose(
    model: Transfers, room: Room, tmp_path: Path
) -> None:
    item = offer(model, name="cat.png", mime="image/png", size=len(PNG))
    model.save(item, tmp_path / "cat.png")
    model.handle(te.TransferFailed(7, True, "ann", "ann is away."))
    assert client(room).fetches == [(7, None), (7, tmp_path / "cat.png")]
    assert status_of(item) is Status.FETCHING


def test_previews_run_two_at_a_time_and_queue_a_few(model: Transfers, room: Room) -> None:
    for file in range(1, 15):
        offer(model, file, name=f"p{file}.png", mime="image/png", size=1000)
    assert client(room).fetches == [(1, None), (2, None)]
    model.handle(te.TransferDone(1, True, "ann", data=PNG))
    assert client(room).fetches[-1] == (3, None)
    model.decline(model.items[2])  # a declined preview stops and frees its turn
    assert client(room).cancelled == [2] and client(room).fetches[-1] == (4, None)
    queued = 8
    assert len(client(room).fetches) + len(model._previews) == 4 + queued - 2


def test_large_or_other_files_are_not_previewed() -> None:
    assert wants_preview("image/png", PREVIEW_MAX)
    assert not wants_preview("image/png", PREVIEW_MAX + 1)
    assert not wants_preview("image/webp", 1000)
    assert not wants_preview("application/pdf", 1000)


def test_picture_bytes_held_stay_under_the_budget(model: Transfers) -> None:
    big = PREVIEW_BUDGET // 3 + 1
    items = [offer(model, f, name=f"{f}.png", mime="image/png", size=1000) for f in (1, 2, 3, 4)]
    for item in items:
        model.handle(te.TransferDone(item.file, True, "ann", data=b"x" * big))
    held = [item for item in items if item.data is not None]
    assert held == items[-2:]


# --- our offers ------------------------------------------------------------------------


def test_our_offer_line_has_progress_per_receiver_and_withdraw(
    model: Transfers, room: Room, view: View, tmp_path: Path
) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    model.offer([path], None)
    assert client(room).offers == [(path, None)]
    model.handle(te.OfferMade(101, 12, "notes.txt", 5, path, None))
    _, line, item = view.shown[0]
    assert (line.kind, line.own, line.text) == (
        Kind.ACTION,
        True,
        "offers notes.txt (5 bytes, text)",
    )
    assert status_text(item) == "Nobody has fetched it yet."
    model.handle(te.TransferProgress(12, 2, 5, False, "bob"))
    model.handle(te.TransferDone(12, False, "carol"))
    model.handle(te.TransferFailed(12, False, "dan", "dan cancelled."))
    assert status_text(item) == "bob: 40% · carol: done · dan: stopped (dan cancelled.)"
    assert actions(item) == (Action.WITHDRAW,)
    # The room does not say who fetches (its "send" names no one): counted instead.
    model.handle(te.TransferDone(12, False, ""))
    model.handle(te.TransferDone(12, False, ""))
    model.handle(te.TransferProgress(12, 1, 5, False, ""))
    model.handle(te.TransferFailed(12, False, "", "The receiver cancelled."))
    model.handle(te.TransferProgress(12, 4, 5, False, ""))
    assert status_text(item).endswith(
        " · fetched 2 times · sending: 80% · 1 stopped (The receiver cancelled.)"
    )
    model.withdraw(item)
    assert client(room).withdrawn == [12] and actions(item) == ()


def test_a_refused_offer_says_why(model: Transfers, view: View, tmp_path: Path) -> None:
    path = tmp_path / "big.iso"
    path.write_bytes(b"x")
    model.offer([path], "bob")
    assert model.handle(ev.Rejected(101, "bob may not send files here"))
    assert view.lines[-1].kind is Kind.ERROR
    assert view.lines[-1].text == "big.iso was not offered: bob may not send files here"
    assert not model.handle(ev.Rejected(55, "not ours"))


def test_saving_automatically_takes_live_offers_but_no_program(
    model: Transfers, room: Room, tmp_path: Path
) -> None:
    auto = tmp_path / "incoming"
    auto.mkdir()
    (auto / "report.pdf").write_bytes(b"older")
    offer(model, 1)  # before the setting: asked as usual
    model.auto_dir = auto
    offer(model, 2)
    offer(model, 3, name="setup.sh", mime="text/x-sh")
    model.room_event(
        FileOffer("old.pdf", 10, "ab" * 32, "application/pdf", None, "ann", id=4), 0.0, live=False
    )
    assert client(room).fetches == [(2, auto / "report (1).pdf")]
    assert [status_of(model.items[f]) for f in (1, 2, 3, 4)] == [
        Status.OFFERED,
        Status.FETCHING,
        Status.OFFERED,
        Status.OFFERED,
    ]


def test_our_own_picture_shows_on_our_line(model: Transfers, view: View, tmp_path: Path) -> None:
    photo = tmp_path / "cat.png"
    photo.write_bytes(PNG)
    model.handle(te.OfferMade(101, 12, "cat.png", len(PNG), photo, None))
    model.offering_bytes(102, "Pasted image.png", PNG + b"2")
    model.handle(te.OfferMade(102, 13, "Pasted image.png", len(PNG) + 1, None, None))
    assert model.items[12].data == PNG and model.items[13].data == PNG + b"2"
    assert view.changed[-1] is model.items[13]  # drawn once shown
    assert actions(model.items[13]) == (Action.WITHDRAW,)


def test_a_long_day_of_offers_stays_bounded(
    model: Transfers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfers_module, "MAX_ITEMS", 5)
    running = offer(model, 1)
    model.save(running, tmp_path / "x.pdf")
    for file in range(2, 12):
        offer(model, file)
    assert len(model.items) == 5 and 1 in model.items  # a running transfer is kept
    assert sorted(model.items) == [1, 8, 9, 10, 11]
