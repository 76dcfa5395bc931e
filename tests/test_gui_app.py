"""The chat window against a real RoomServer on 127.0.0.1, with real Tk widgets.

Each test drives ChatApp the way a user does (typing, Return, menus) and checks
what a raw-socket participant receives and what the window shows. The
``tk_root`` fixture fails any test in which a Tk callback raised.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from guitools import press_key, press_return, transcript, type_text
from peer import Peer
from relay import Relay
from waiting import wait_until

from desktopchat import protocol
from desktopchat.gui.app import APP_TITLE, ChatApp
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.login import LoginDialog
from desktopchat.gui.transcript import Transcript
from desktopchat.server import RoomServer

pytestmark = pytest.mark.gui

EMOJI = "héllo 👋🏽 世界"


def join(chat: ChatApp, server: RoomServer, name: str = "ann") -> None:
    host, port = server.address
    chat.join(host, port, name)
    wait_until(lambda: chat.status.startswith("connected"), what="connected", root=chat.root)
    wait_until(lambda: "Welcome" in transcript(chat), what="the welcome", root=chat.root)


def private_tab(chat: ChatApp, name: str) -> Transcript:
    """The transcript of the private tab with ``name`` (gui/tabs.py)."""
    conv = chat.presenter.conversations.find(name)
    assert conv is not None, f"no tab for {name}"
    return chat.transcript_of(conv.tid)


def send_with_enter(chat: ChatApp, text: str) -> None:
    type_text(chat.input, text)
    press_return(chat.input)


def bob_line(chat: ChatApp, text: str, when: float | None = None) -> None:
    """Queue a line from bob in the transcript (drawn at its next flush)."""
    chat.transcript.show(Line(Kind.MESSAGE, text, time.time() if when is None else when, "bob"))


def test_message_typed_and_sent_with_enter_reaches_a_raw_client(
    app: ChatApp, room: RoomServer
) -> None:
    with Peer.joined(room.address, "bob") as bob:
        join(app, room)
        send_with_enter(app, "hello bob")
        assert bob.read_until("ann") == "hello bob"
        assert app.input.get_text() == ""
        # The room acknowledged it: the "(sending…)" marker goes, nothing else is added.
        wait_until(lambda: "ann: hello bob\n" in transcript(app), what="acked", root=app.root)
        assert "(queued)" not in transcript(app)


def test_message_from_raw_client_appears_with_its_sender(app: ChatApp, room: RoomServer) -> None:
    join(app, room)
    with Peer.joined(room.address, "bob") as bob:
        bob.send("hi ann")
        wait_until(lambda: "bob: hi ann" in transcript(app), what="bob's line", root=app.root)
    text = app.transcript.text
    start = text.search("bob: hi ann", "1.0")
    tags = text.tag_names(start)
    assert "name" in tags and any(t.startswith("c") and t[1:].isdigit() for t in tags), tags
    assert "bob" in app.userlist.names()


def test_emoji_round_trip_both_ways(app: ChatApp, room: RoomServer) -> None:
    with Peer.joined(room.address, "bob") as bob:
        join(app, room)
        send_with_enter(app, EMOJI)
        assert bob.read_until("ann") == EMOJI
        bob.send(f"{EMOJI} back")
        wait_until(
            lambda: f"bob: {EMOJI} back" in transcript(app), what="emoji back", root=app.root
        )
    assert f"ann: {EMOJI}" in transcript(app)


def test_user_list_follows_joins_and_leaves(app: ChatApp, room: RoomServer) -> None:
    join(app, room)
    assert app.userlist.names() == ["ann"]
    bob = Peer.joined(room.address, "bob")
    carol = Peer.joined(room.address, "carol")
    wait_until(lambda: app.userlist.names() == ["ann", "bob", "carol"], what="joins", root=app.root)
    assert "bob joined" in transcript(app)
    bob.close()
    wait_until(lambda: app.userlist.names() == ["ann", "carol"], what="bob leaves", root=app.root)
    assert "bob left" in transcript(app)
    assert app.userlist.listbox.get(0) == "ann (you)"
    carol.close()
    wait_until(lambda: app.userlist.names() == ["ann"], what="carol leaves", root=app.root)


def test_flood_of_5000_is_all_drained_while_the_window_keeps_handling_events(
    app: ChatApp, unlimited_room: RoomServer
) -> None:
    room = unlimited_room  # the window's drain is under test, not the room's rate limits
    app.transcript.max_entries = 10_000  # keep every line so all can be counted
    join(app, room)
    beats: list[float] = []

    def heartbeat() -> None:
        beats.append(time.monotonic())
        app.root.after(5, heartbeat)

    app.root.after(5, heartbeat)
    # Record, at the end of every pump batch, how many events and heartbeats so far.
    batches: list[tuple[int, int]] = []
    end_batch = app.pump._end_batch
    assert end_batch is not None

    def recording_end_batch() -> None:
        end_batch()
        batches.append((app.pump.handled, len(beats)))

    app.pump._end_batch = recording_end_batch
    total = 5000
    payload = b"".join(protocol.encode_frame(f"flood {i}") for i in range(total))
    with Peer.joined(room.address, "bob") as bob:
        wait_until(lambda: "bob" in app.userlist.names(), what="bob joined", root=app.root)
        mark = len(batches)
        threading.Thread(target=bob.sock.sendall, args=(payload,), daemon=True).start()
        wait_until(
            lambda: f"flood {total - 1}\n" in transcript(app),
            timeout=30,
            what="last",
            root=app.root,
        )
    lines = [line for line in transcript(app).splitlines() if "bob: flood " in line]
    assert [line.rsplit(" ", 1)[1] for line in lines] == [str(i) for i in range(total)]
    flood = batches[mark:]
    assert flood[-1][0] - flood[0][0] >= total - 200
    # 5,000 events at most 200 per tick: at least 25 ticks, each rescheduled with
    # after(1), so other events (the heartbeat) ran while the flood was drained.
    assert len(flood) >= total // 200, len(flood)
    during = flood[-1][1] - flood[0][1]
    assert during >= 2, f"heartbeat fired only {during} times during the drain"


def test_scrollback_is_capped_and_drops_the_oldest(app: ChatApp) -> None:
    app.transcript.max_entries = 50
    for i in range(120):
        bob_line(app, f"line {i}")
    app.transcript.flush()
    lines = transcript(app).splitlines()
    assert len(lines) == 50
    assert lines[0].endswith("line 70") and lines[-1].endswith("line 119")


def test_auto_scroll_only_when_already_at_the_bottom(app: ChatApp) -> None:
    t = app.transcript
    for i in range(200):
        bob_line(app, f"line {i}")
    t.flush()
    app.root.update()
    assert t.at_bottom()
    t.text.yview_moveto(0.0)  # the user scrolls up to read
    app.root.update()
    bob_line(app, "while reading")
    t.flush()
    app.root.update()
    assert t.text.yview()[0] == 0.0, "the view jumped while the user was reading"
    t.text.yview_moveto(1.0)
    app.root.update()
    bob_line(app, "at the bottom")
    t.flush()
    app.root.update()
    assert t.at_bottom()


def test_shift_return_adds_a_line_and_up_down_recall_history(
    app: ChatApp, room: RoomServer
) -> None:
    with Peer.joined(room.address, "bob") as bob:
        join(app, room)
        type_text(app.input, "first line")
        press_return(app.input, shift=True)
        type_text(app.input, "second line")
        assert app.input.get_text() == "first line\nsecond line"
        press_return(app.input)
        assert bob.read_until("ann") == "first line\nsecond line"
        send_with_enter(app, "another")
        assert bob.read_until("ann") == "another"
    type_text(app.input, "draft")
    press_key(app.input, "Up")
    assert app.input.get_text() == "another"
    press_key(app.input, "Up")
    assert app.input.get_text() == "first line\nsecond line"
    app.input.mark_set("insert", "end-1c")  # last line: Down goes forward again
    press_key(app.input, "Down")
    assert app.input.get_text() == "another"
    press_key(app.input, "Down")
    assert app.input.get_text() == "draft"


def test_too_big_message_stays_in_the_input_with_the_reason(app: ChatApp, room: RoomServer) -> None:
    join(app, room)
    big = "x" * (protocol.DEFAULT_MAX_PAYLOAD + 1)
    send_with_enter(app, big)
    assert app.input.get_text() == big
    assert "Not sent (still in the input box)" in transcript(app)
    assert f"ann: {big[:20]}" not in transcript(app)


def test_typing_while_not_in_a_room_keeps_the_text(app: ChatApp) -> None:
    send_with_enter(app, "anyone?")
    assert app.input.get_text() == "anyone?"
    assert "Not in a room" in transcript(app)


def test_messages_typed_while_disconnected_are_queued_then_sent(
    app: ChatApp, room: RoomServer
) -> None:
    join(app, room)
    port = room.address[1]
    room.stop()
    wait_until(lambda: not app.online, what="disconnected", root=app.root)
    # One line says why, not the room's notice and the disconnect both.
    assert "Disconnected: the host closed the room." in transcript(app)
    assert "room closed" not in transcript(app)
    send_with_enter(app, "sent during the outage")
    assert "ann: sent during the outage  (queued)" in transcript(app)
    assert app.input.get_text() == ""
    again = RoomServer("127.0.0.1", port)
    again.start()
    try:
        wait_until(lambda: app.online, timeout=15, what="reconnected", root=app.root)
        # The room took it: its marker is gone (not "(queued)", not "(sending…)").
        wait_until(
            lambda: "ann: sent during the outage\n" in transcript(app),
            what="the line settled",
            root=app.root,
        )
        text = transcript(app)
        assert "Reconnected. The room was restarted: earlier messages are gone." in text
        assert text.count("sent during the outage") == 1, text
        # The room's history replays the message to a newcomer: it was delivered.
        with Peer.joined(again.address, "bob") as bob:
            assert bob.read_until("ann") == "sent during the outage"
    finally:
        again.stop()


def test_private_message_and_action_are_rendered_as_such(app: ChatApp, room: RoomServer) -> None:
    with Peer.joined(room.address, "bob") as bob:
        join(app, room)
        bob.send("/msg ann psst")
        bob.send("/me waves")
        wait_until(lambda: "* bob waves" in transcript(app), what="action", root=app.root)
        assert "bob (private): psst" in private_tab(app, "bob").get_text()  # bob's tab
        send_with_enter(app, "/msg bob hush")
        assert bob.read_until("@ann") == "hush"
        send_with_enter(app, "/me nods")
        assert bob.read_until("*action") == "ann nods"
    assert "→ bob (private): hush" in private_tab(app, "bob").get_text()
    assert "* ann nods" in transcript(app) and "psst" not in transcript(app)
    text = private_tab(app, "bob").text
    assert "private" in text.tag_names(text.search("bob (private): psst", "1.0"))


def test_double_click_on_a_name_opens_a_private_tab(app: ChatApp, room: RoomServer) -> None:
    join(app, room)
    with Peer.joined(room.address, "bob"):
        wait_until(lambda: "bob" in app.userlist.names(), what="bob listed", root=app.root)
        lb = app.userlist.listbox
        index = app.userlist.names().index("bob")
        lb.see(index)
        app.root.update()
        box = lb.bbox(index)
        assert box is not None
        x, y, _w, h = box
        for _ in range(2):  # two quick clicks in one place make Tk's double-click
            lb.event_generate("<ButtonPress-1>", x=x + 2, y=y + h // 2)
            lb.event_generate("<ButtonRelease-1>", x=x + 2, y=y + h // 2)
        app.root.update()
    conv = app.presenter.conversations.find("bob")
    assert conv is not None and app.presenter.conversations.active == conv.tid
    shown = app.window.notebook.select()  # type: ignore[no-untyped-call]
    assert shown == str(app._tabs[conv.tid])
    assert app.input.get_text() == ""  # typing there writes to bob (test_gui_tabs.py)
    assert app.root.focus_get() is app.input


def test_unread_count_in_the_title_while_unfocused(
    app: ChatApp, room: RoomServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    join(app, room)
    host, port = room.address
    base = app.root.title()  # "HOST:PORT — NAME — desktopchat" (tests/test_title.py)
    assert f"{host}:{port}" in base and base.endswith(f" — {app.own_name} — {APP_TITLE}")
    monkeypatch.setattr(app, "has_focus", lambda: False)
    with Peer.joined(room.address, "bob") as bob:
        for i in range(3):
            bob.send(f"m{i}")
        wait_until(lambda: "bob: m2" in transcript(app), what="three messages", root=app.root)
    assert app.root.title() == base.replace(f" — {APP_TITLE}", f" (3 unread) — {APP_TITLE}")
    app.root.event_generate("<FocusIn>")
    app.root.update()
    assert app.root.title() == base


def test_login_validation_in_the_flow(app: ChatApp, room: RoomServer) -> None:
    app.show_login()
    app.root.update()
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    host, port = room.address
    for entry, value in (
        (dialog.name_entry, "bad name"),
        (dialog.address_entry, f"{host}:{port}"),
    ):
        entry.delete(0, "end")
        entry.insert(0, value)
    dialog.ok()
    app.root.update()
    assert dialog.winfo_exists() and dialog.error_text
    assert app.client is None, "an invalid name reached the network"
    dialog.name_entry.delete(0, "end")
    dialog.name_entry.insert(0, "ann")
    press_return(dialog.name_entry)
    wait_until(lambda: app.status.startswith("connected"), what="connected", root=app.root)
    assert app.dialog is None
    assert app.settings.name == "ann" and app.settings.port == port


def test_name_taken_brings_the_login_dialog_back_with_the_reason(
    app: ChatApp, room: RoomServer
) -> None:
    with Peer.joined(room.address, "bob"):
        host, port = room.address
        app.join(host, port, "Bob")
        wait_until(lambda: isinstance(app.dialog, LoginDialog), what="dialog back", root=app.root)
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    assert "taken" in dialog.error_text.lower()
    assert dialog.name_entry.get() == "Bob"
    assert dialog.address_entry.get() == f"{host}:{port}"
    assert app.status.startswith("failed:")
    dialog.cancel()
    app.root.update()
    assert app.client is None and not app.closed


def test_refused_connection_brings_the_login_dialog_back(app: ChatApp) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, not listening: connect is refused
        app.join("127.0.0.1", port, "ann")
        wait_until(lambda: isinstance(app.dialog, LoginDialog), what="dialog back", root=app.root)
    dialog = app.dialog
    assert isinstance(dialog, LoginDialog)
    assert "refused" in dialog.error_text.lower()
    assert "failed" in app.status


def test_tutorial_server_user_list_is_built_from_names_seen_talking(app: ChatApp) -> None:
    with Relay() as relay:
        host, port = relay.address
        app.join(host, port, "ann")
        wait_until(lambda: app.status.startswith("connected"), what="connected", root=app.root)
        with Peer(relay.address, "bob") as bob:
            bob.send("hello from the tutorial")
            wait_until(
                lambda: "bob: hello from the tutorial" in transcript(app),
                what="line",
                root=app.root,
            )
            assert app.userlist.names() == ["ann", "bob"]
            send_with_enter(app, "hi bob")
            assert bob.read_until("ann") == "hi bob"


def test_leave_room_tells_the_others_and_empties_the_list(app: ChatApp, room: RoomServer) -> None:
    with Peer.joined(room.address, "bob") as bob:
        join(app, room)
        wait_until(lambda: "bob" in app.userlist.names(), what="bob listed", root=app.root)
        app.leave_room()
        assert bob.read_until("*leave") == "ann"
    assert app.client is None
    assert app.userlist.names() == []
    assert app.status.startswith("not connected")
    assert app.root.title() == APP_TITLE
