"""What the window's controls can do right now, as data. No Tk.

Role: one rule for which controls are enabled, so a control that would do
nothing is greyed out instead of answering "You are not in a room" after the
click. :func:`possible` decides from facts the presenter and transcript know;
``controls.apply_enablement`` (the view) greys the menu items and the Send
button accordingly.

Decisions:

* "In a room" means a connection exists (joined, connecting or reconnecting)
  or we host one: Leave room, Room info… and Send stay enabled while the
  connection is down, because lines typed then are queued and sent after the
  reconnect.
* Invite people… needs a room we host (its invitation is ours to give).
* Save transcript… needs something to save.
* Send file… and the paperclip need a room that takes files (its welcome said
  how large; none: greyed). Who may send is the host's to say: the room
  refuses others with the reason.
* Enter in the message box with no room keeps the text and says how to join
  (it explains rather than does nothing); only the Send button is greyed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Possible", "possible"]


@dataclass(frozen=True, slots=True)
class Possible:
    """Which controls do something now."""

    leave: bool
    room_info: bool
    invite: bool
    save_transcript: bool
    send: bool
    send_file: bool = False


def possible(
    *, connection: bool, hosting: bool, transcript_empty: bool, files: bool = False
) -> Possible:
    """The rule (see the module docstring)."""
    in_room = connection or hosting
    return Possible(
        leave=in_room,
        room_info=in_room,
        invite=hosting,
        save_transcript=not transcript_empty,
        send=connection,
        send_file=connection and files,
    )
