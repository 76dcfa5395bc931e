"""The "… is typing" line and our own typing hints (no Tk; docs/PROTOCOL.md 9, "Typing").

:class:`TypingLine` is the presenter's helper for both directions:

* out: :meth:`~TypingLine.keystroke` is called for every key typed in the
  message box; a printable one sends one ``typing`` hint, at most every
  :data:`SEND_EVERY` seconds, and only while connected to a protocol-2 room
  (older rooms and the tutorial's server have no such request);
* in: a ``Typing`` event from the room adds that member to the line under the
  transcript ("ann is typing…", "ann and bob are typing…", "several people
  are typing…"). A member stays on it until :data:`SHOW_FOR` seconds after
  their last hint, or until their message, action or private message
  arrives, or they leave. A (re)connect or a drop clears the line.

The view shows the text and calls :meth:`~TypingLine.expire` when asked to
(``set_typing(text, expires_in)``): the presenter has no timers of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from desktopchat.escapes import escape_all
from desktopchat.protocol import events as ev
from desktopchat.protocol import name_key

if TYPE_CHECKING:
    from desktopchat.gui.presenter import Presenter

__all__ = ["SEND_EVERY", "SHOW_FOR", "TypingLine", "TypingView", "typing_text"]

#: Seconds between two ``typing`` hints we send while the user types.
SEND_EVERY = 3.0
#: Seconds a member stays "typing" after their last hint.
SHOW_FOR = 5.0
#: Characters of a name the line shows (names are shorter; a hostile room's are not).
NAME_SHOWN = 40


class TypingView(Protocol):
    """What the typing line asks of the window."""

    def set_typing(self, text: str, expires_in: float | None) -> None:
        """Show ``text`` under the transcript ("" hides it); call back after ``expires_in`` s."""
        ...


def _shown(name: str) -> str:
    cut = name[:NAME_SHOWN] + ("…" if len(name) > NAME_SHOWN else "")
    return escape_all(cut)  # controls and bidi as visible escapes, as in the transcript


def typing_text(names: Sequence[str]) -> str:
    """The line for these typists, in the order they started."""
    names = [_shown(name) for name in names[:3]]
    match len(names):
        case 0:
            return ""
        case 1:
            return f"{names[0]} is typing…"
        case 2:
            return f"{names[0]} and {names[1]} are typing…"
    return "several people are typing…"


class TypingLine:
    """Who is typing (shown) and when we last said we are (sent). See the module docstring."""

    def __init__(self, presenter: Presenter, clock: Callable[[], float] = time.monotonic) -> None:
        self._presenter = presenter
        self._clock = clock
        self._typists: dict[str, tuple[str, float]] = {}  # key -> (name, until), by start
        self._sent: float | None = None  # when we last sent a hint
        self._shown = ""

    @property
    def text(self) -> str:
        """The line as shown now."""
        return self._shown

    # --- out -------------------------------------------------------------------------

    def keystroke(self, char: str) -> bool:
        """A key typed in the message box; True if a hint went out for it."""
        p = self._presenter
        if not char or not char.isprintable() or p.client is None:
            return False
        if not p.online or p.version != 2:
            return False
        now = self._clock()
        if self._sent is not None and now - self._sent < SEND_EVERY:
            return False
        self._sent = now
        p.client.typing()
        return True

    # --- in --------------------------------------------------------------------------

    def handle(self, event: ev.Event) -> None:
        """Follow one live event (the presenter hands it every event it gets)."""
        match event:
            case ev.Typing(name=name) if name and not self._is_own(name):
                self._typists.pop(name_key(name), None)  # a fresh hint moves to the end
                self._typists[name_key(name)] = (name, self._clock() + SHOW_FOR)
                self._update()
            case ev.Message(sender=name) | ev.Action(sender=name) | ev.Private(sender=name):
                self._drop(name)
            case ev.Left(name=name):
                self._drop(name)
            case ev.NickChange(old=old, new=new) if name_key(old) in self._typists:
                _, until = self._typists.pop(name_key(old))
                self._typists[name_key(new)] = (new, until)
                self._update()
            case ev.Connected() | ev.Disconnected() | ev.Failed() | ev.RoomClosed():
                self.clear()

    def expire(self) -> None:
        """The view's timer: forget typists whose last hint is :data:`SHOW_FOR` s old."""
        now = self._clock()
        for key, (_, until) in list(self._typists.items()):
            if until <= now:
                del self._typists[key]
        self._update()

    def clear(self) -> None:
        """Nobody is typing (a new room, a drop, leaving)."""
        self._typists.clear()
        self._update()

    def _drop(self, name: str) -> None:
        if self._typists.pop(name_key(name), None) is not None:
            self._update()

    def _is_own(self, name: str) -> bool:
        own = self._presenter.own_name
        return own is not None and name_key(own) == name_key(name)

    def _update(self) -> None:
        text = typing_text([name for name, _ in self._typists.values()])
        soonest = min((until for _, until in self._typists.values()), default=None)
        expires_in = None if soonest is None else max(0.0, soonest - self._clock())
        if text != self._shown or expires_in is not None:
            self._shown = text
            view: TypingView = self._presenter.view
            view.set_typing(text, expires_in)
