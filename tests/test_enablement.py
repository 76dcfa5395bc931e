"""Controls that would do nothing are greyed out: the rule (enablement.py) and the
window applying it (controls.py) as the room comes and goes."""

from __future__ import annotations

import tkinter as tk

from guitools import transcript
from waiting import wait_until

from desktopchat.gui.app import ChatApp
from desktopchat.gui.enablement import Possible, possible
from desktopchat.server import RoomServer


def test_the_rule() -> None:
    nothing = possible(connection=False, hosting=False, transcript_empty=True)
    assert nothing == Possible(
        leave=False, room_info=False, invite=False, save_transcript=False, send=False
    )
    # Connecting or reconnecting counts as in the room: typed lines are queued.
    joined = possible(connection=True, hosting=False, transcript_empty=False)
    assert joined == Possible(
        leave=True, room_info=True, invite=False, save_transcript=True, send=True
    )
    # Hosting whose own connection is gone: leave (end the room), but no Send.
    hosting = possible(connection=False, hosting=True, transcript_empty=True)
    assert hosting.leave and hosting.room_info and hosting.invite and not hosting.send


def states(app: ChatApp) -> dict[str, str]:
    menu = app.menus["Room"]
    last = menu.index("end")
    assert last is not None
    found = {
        str(menu.entrycget(i, "label")): str(menu.entrycget(i, "state"))
        for i in range(last + 1)
        if menu.type(i) == "command"
    }
    send = app.window.send_button
    found["Send"] = "disabled" if send.instate(["disabled"]) else "normal"
    found["paperclip"] = "disabled" if app.attach_button.instate(["disabled"]) else "normal"
    return found


def test_leave_save_and_send_follow_the_room(app: ChatApp, room: RoomServer) -> None:
    app.transcript.clear()
    app.refresh_controls()
    before = states(app)
    assert before["Leave room"] == before["Save transcript…"] == before["Send"] == "disabled"
    assert before.get("Room info…", "disabled") == "disabled"
    assert before.get("Invite people…", "disabled") == "disabled"
    assert before["Join room…"] == before["Host room…"] == before["Quit"] == "normal"

    host, port = room.address
    app.join(host, port, "ann")
    app.root.update()
    # Connecting already: what is typed now is queued, so Send and Leave work.
    assert states(app)["Send"] == states(app)["Leave room"] == "normal"
    wait_until(lambda: "Welcome" in transcript(app), what="the welcome", root=app.root)
    joined = states(app)
    assert joined["Leave room"] == joined["Save transcript…"] == joined["Send"] == "normal"
    assert joined.get("Room info…", "normal") == "normal"
    assert joined.get("Invite people…", "disabled") == "disabled"  # not our room

    app.leave_room()
    app.root.update()
    left = states(app)
    assert left["Leave room"] == left["Send"] == "disabled"
    assert left["Save transcript…"] == "normal"  # the lines are still there to save


def test_disabled_menu_items_do_not_run(app: ChatApp) -> None:
    app.transcript.clear()
    app.refresh_controls()
    menu = app.menus["Room"]
    index = menu.index("Leave room")
    assert index is not None
    menu.invoke(index)  # Tk ignores invoke on a disabled entry
    app.root.update()
    assert "not in a room" not in transcript(app)
    assert isinstance(app.window.send_button, tk.Misc)


def test_hosting_enables_invite_people(app: ChatApp) -> None:
    from desktopchat.gui.host import HostValues

    assert app.start_hosting(HostValues(name="ann", port=0, password="")) is None
    wait_until(lambda: app.online, what="in our own room", root=app.root)
    hosting = states(app)
    assert hosting["Leave room"] == hosting["Send"] == "normal"
    assert hosting.get("Invite people…", "normal") == "normal"
    app.leave_room()
    app.root.update()
    assert states(app).get("Invite people…", "disabled") == "disabled"


def test_send_file_and_the_paperclip_need_a_room_that_takes_files(app: ChatApp) -> None:
    assert possible(connection=True, hosting=False, transcript_empty=False, files=True).send_file
    assert not possible(connection=True, hosting=False, transcript_empty=False).send_file
    assert states(app)["Send file…"] == states(app)["paperclip"] == "disabled"
    with (
        RoomServer("127.0.0.1", 0) as files_room,
        RoomServer("127.0.0.1", 0, max_file_size=0) as no_files,
    ):
        app.join(*files_room.address, "ann")
        wait_until(
            lambda: states(app)["Send file…"] == states(app)["paperclip"] == "normal",
            what="Send file… enabled once the room said it takes files",
            root=app.root,
        )
        app.leave_room()
        app.join(*no_files.address, "ann")
        wait_until(lambda: app.online, what="in the room without files", root=app.root)
        client = app.client
        assert client is not None and client.files_allowed is None
        wait_until(client.events.empty, what="every event shown", root=app.root)
        app.root.update()
        assert states(app)["Send file…"] == states(app)["paperclip"] == "disabled"
        app.leave_room()
