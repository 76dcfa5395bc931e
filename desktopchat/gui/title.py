"""Window titles: the main window's "ROOM — NAME (N unread) — desktopchat", and
"WHAT — desktopchat" for every other window. No Tk.

Role: one function, so the presenter (which knows the room, our name, the
unread count and whether the connection is encrypted) and the tests agree on
the format. ROOM is the room's name when we know it (an invitation, the
network's room list, or the room we host), else its address ``host:port``;
an encrypted room gets a lock before it, an unencrypted one "(unencrypted)"
after it, so the taskbar says it too. Parts we do not know yet are left out:
not in a room, the title is just "desktopchat".
"""

from __future__ import annotations

from desktopchat.gui.wmclass import APP_NAME

__all__ = ["LOCK", "UNENCRYPTED", "dialog_title", "window_title"]

#: Before an encrypted room's name.
LOCK = "\N{LOCK}"
#: After an unencrypted room's name.
UNENCRYPTED = "(unencrypted)"


def window_title(
    *,
    room: str | None,
    address: tuple[str, int] | None,
    name: str | None,
    unread: int,
    encrypted: bool | None,
) -> str:
    """The title for these facts (see the module docstring)."""
    parts: list[str] = []
    where = room or (f"{address[0]}:{address[1]}" if address is not None else "")
    if where:
        if encrypted is True:
            where = f"{LOCK} {where}"
        elif encrypted is False:
            where = f"{where} {UNENCRYPTED}"
        parts.append(where)
    count = f"({unread} unread)" if unread else ""
    if name:
        parts.append(f"{name} {count}" if count else name)
    elif count:
        parts.append(count)
    return " — ".join([*parts, APP_NAME])


def dialog_title(what: str) -> str:
    """Any other window's title: "WHAT — desktopchat" ("Join a room — desktopchat").

    An older "desktopchat — WHAT" is turned around, so every window reads the same way.
    """
    prefix = f"{APP_NAME} — "
    if what.startswith(prefix):
        what = what[len(prefix) :]
    return what if what.endswith(f" — {APP_NAME}") else f"{what} — {APP_NAME}"
