"""The words of the Help menu: Getting started, Commands and shortcuts, About. No Tk.

Role: return each help page as text with a light markup the help window
(:mod:`.textwindow`) draws: a line ``# Title`` is the page title, ``## Part``
a heading, ``- item`` a bullet, ``key<TAB>meaning`` a two-column row.

The commands come from ``protocol.commands.COMMANDS`` (what the room and the
message box accept) and the menu shortcuts from the menu table
(``menus.shortcuts``), so the page cannot drift from what the program does.
"""

from __future__ import annotations

from collections.abc import Iterable

from desktopchat import __version__
from desktopchat.protocol.commands import COMMANDS, ESCAPE_HINT

__all__ = ["KEYS", "about", "commands_and_shortcuts", "getting_started"]

#: Keys of the message box, transcript and user list (not in a menu).
KEYS: tuple[tuple[str, str], ...] = (
    ("Enter", "send the message"),
    ("Shift+Enter", "a new line in the message"),
    ("Up / Down", "earlier / later messages you sent (on the first / last line)"),
    ("Tab", "complete a member's name (again: the next match)"),
    ("Ctrl+Tab / Shift+Tab", "move the focus to the next / previous part"),
    ("Ctrl+A", "select all"),
    ("Ctrl+C", "copy the selection"),
    ("Ctrl+F", "search the transcript"),
    ("Ctrl+0", "normal text size"),
    ("Double-click a name", "a private conversation with them (a tab)"),
    ("Ctrl+Page Down / Ctrl+Page Up", "the next / previous tab"),
    ("Ctrl+W or middle click on a tab", "close the private tab (it keeps its lines)"),
)

GETTING_STARTED = """\
# Getting started

desktopchat is a chat room for a small group on one network: one person hosts
the room on their computer, the others join it. Nothing goes through a server
on the internet.

## Host a room
- Room ▸ Host room…, choose your name (and a password if you want one), Start.
- The window then shows where others can reach the room ("hosting on …") and an
  invitation you can copy and send them: a desktopchat:// link, or the address
  and port.
- The room lasts while your window is open. When you leave or quit, it ends for
  everyone, so you are asked first if others are still in it.

## Join a room
- By link: paste the desktopchat:// link you were sent into Room ▸ Join room…
  (or click it, if your system opens desktopchat links).
- By address: type the host's address and port, for example 192.168.1.20:1234,
  as shown in the host's window.
- From "Rooms on this network": Room ▸ Join room… lists the rooms announced on
  your network; double-click one to join it.
- Type your name (and the password, if the room has one), then Connect.

## The lock
- A lock in the status bar and the title means the connection is encrypted:
  nobody on the network can read or change what is said.
- The first time you join a room, desktopchat remembers the room's identity
  (its fingerprint; an invitation link carries it). If a room at the same
  address later shows a different identity, you are warned before anything is
  sent: someone may be pretending to be the room.
- "unencrypted" means an older room or program: anyone on the network can read
  that conversation.

## Talking
- Type in the message box at the bottom and press Enter; Shift+Enter starts a
  new line. Lines you type while the connection is down are sent when it is back.
- Double-click a name in the list for a private conversation (its own tab).
- Help ▸ Commands and shortcuts lists every command and key.

## Files and pictures
- Room ▸ Send file… or the paperclip beside the message box sends files to the
  room, or in a private tab to that person. You can also drop files on the
  window or paste them.
- A file offered to you waits for Save…, Open or Decline: nothing is written
  before you choose. Pictures show as a small picture at once; click it to see
  it whole.
- desktopchat never opens a program it received: it only saves it.
"""


def getting_started() -> str:
    """Help ▸ Getting started."""
    return GETTING_STARTED


def _rows(pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{key}\t{meaning}" for key, meaning in pairs]


def commands_and_shortcuts(menu_shortcuts: Iterable[tuple[str, str]]) -> str:
    """Help ▸ Commands and shortcuts: ``menu_shortcuts`` are (accelerator, "Menu ▸ Item").

    A key that is also a menu item's shortcut is listed once, with the menu item.
    """
    menu_shortcuts = list(menu_shortcuts)
    in_menus = {key for key, _ in menu_shortcuts}
    lines = [
        "# Commands and shortcuts",
        "",
        "## Commands",
        "Type these in the message box:",
        *_rows(COMMANDS),
        ESCAPE_HINT,
        "",
        "## Menu shortcuts",
        *_rows(menu_shortcuts),
        "",
        "## Keys",
        *_rows((key, meaning) for key, meaning in KEYS if key not in in_menus),
    ]
    return "\n".join(lines) + "\n"


def about() -> str:
    """Help ▸ About."""
    return (
        f"# desktopchat {__version__}\n"
        "\n"
        "A chat room for a small group on one network.\n"
        "Host a room from the Room menu, or join one with a link or an address.\n"
        "\n"
        "Help ▸ Getting started explains the rest; Help ▸ For developers shows the\n"
        "protocol the room and the window speak.\n"
    )
