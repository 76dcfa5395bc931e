"""The one command grammar: typed text <-> request events (docs/PROTOCOL.md section 4).

:func:`parse_command` serves both the room (text frames from protocol-1
clients) and the window (what the user typed), so the two cannot disagree;
:func:`command_text` is its inverse, used to talk to protocol-1 rooms.
"""

from __future__ import annotations

from desktopchat.protocol.events import Action, Help, Message, NickChange, Private, Who

__all__ = [
    "COMMANDS",
    "ESCAPE_HINT",
    "HELP_TEXT",
    "BadCommand",
    "Command",
    "command_text",
    "parse_command",
]

#: What a typed line can become.
Command = Message | Action | Private | NickChange | Who | Help

#: Every command and what it does, in /help's order (the window's Help lists them too).
COMMANDS: tuple[tuple[str, str], ...] = (
    ("/who", "list users"),
    ("/msg NAME TEXT", "private message"),
    ("/me TEXT", "action"),
    ("/nick NEW", "change name"),
    ("/help", "this list"),
)
#: How to send a message that starts with "/".
ESCAPE_HINT = "Start a message with // to send text that begins with /."

HELP_TEXT = (
    "Commands: "
    + ", ".join(f"{usage} ({meaning})" for usage, meaning in COMMANDS)
    + ". "
    + ESCAPE_HINT
)


class BadCommand(ValueError):
    """The text is a command that cannot be carried out; ``str(exc)`` says why."""


def parse_command(text: str, cid: int | None = None) -> Command:
    """Return the request ``text`` stands for; raise :class:`BadCommand` for a bad command.

    The command word is case-insensitive (``/ME waves`` is an action). ``//x``
    is the message ``/x``. Anything not starting with ``/`` is a message, even
    empty. In ``/msg NAME TEXT``, NAME ends at the first whitespace and TEXT is
    what follows the whitespace after it.
    """
    if not text.startswith("/"):
        return Message(text, cid=cid)
    if text.startswith("//"):
        return Message(text[1:], cid=cid)
    word, _, rest = text[1:].partition(" ")
    match word.lower():
        case "me":
            if not rest.strip():
                raise BadCommand("Usage: /me TEXT")
            return Action(rest, cid=cid)
        case "msg":
            parts = rest.split(None, 1)
            if len(parts) < 2:
                raise BadCommand("Usage: /msg NAME TEXT")
            return Private(parts[1], to=parts[0], cid=cid)
        case "nick":
            if not rest.strip():
                raise BadCommand("Usage: /nick NEW")
            return NickChange(rest, cid=cid)
        case "who":
            return Who(cid=cid)
        case "help":
            return Help(cid=cid)
    raise BadCommand(f"Unknown command /{word}: type /help for the list.")


def command_text(command: Command) -> str:
    """Return the text a protocol-1 room reads as ``command`` (inverse of parse_command)."""
    match command:
        case Message(text=text):
            return "/" + text if text.startswith("/") else text
        case Action(text=text):
            return f"/me {text}"
        case Private(text=text, to=to):
            return f"/msg {to} {text}"
        case NickChange(new=new):
            return f"/nick {new}"
        case Who():
            return "/who"
        case Help():
            return "/help"
    raise TypeError(f"not a command: {command!r}")
