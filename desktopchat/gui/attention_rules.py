"""When a line asks for the user's attention, and how loudly. No Tk.

The presenter hands every live chat line to :meth:`Attention.arrived`; this
module decides, the window (``gui/attention.py``) carries it out:

* A mention of our name (:mod:`.mentions`: whole word, any case) in someone
  else's line is marked on the :class:`~.lines.Line` (``mention``), so the
  transcript highlights it -- focused or not, replayed or live.
* While the window has no focus, a live line from someone else raises an
  :class:`Alert` when its kind is switched on (View ▸ Notifications): a private
  message or a mention by default, every message when asked. The first alert
  of an absence sets the urgency hint (``urgent``), cleared when the window
  gets the focus back. A flood cannot flood the desktop: at most one
  notification per :data:`NOTIFY_GAP` seconds and one sound per
  :data:`SOUND_GAP` seconds.
* The first room line that arrives in an absence gets the "new messages"
  divider above it; the next absence moves it (the window keeps one).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.mentions import mentions

__all__ = ["NOTIFY_GAP", "SOUND_GAP", "Alert", "Attention", "AttentionView", "Prefs", "Reason"]

#: Seconds between two desktop notifications (the rest of a burst only sets the hint).
NOTIFY_GAP = 2.0
#: Seconds between two sounds.
SOUND_GAP = 1.5


class Reason(enum.Enum):
    """Why a line wants attention."""

    PRIVATE = "private"
    MENTION = "mention"
    MESSAGE = "message"


@dataclass(frozen=True, slots=True)
class Alert:
    """What the window should do for one line that arrived while it had no focus."""

    reason: Reason
    sender: str
    text: str
    urgent: bool  # set the urgency hint (the first alert of an absence)
    notify: bool  # raise a desktop notification
    sound: bool  # play the chime


@dataclass(slots=True)
class Prefs:
    """View ▸ Notifications (saved in the settings)."""

    mentions: bool = True
    private: bool = True
    every_message: bool = False
    sounds: bool = True

    def wants(self, reason: Reason) -> bool:
        """True when lines of this kind should alert."""
        match reason:
            case Reason.PRIVATE:
                return self.private or self.every_message
            case Reason.MENTION:
                return self.mentions or self.every_message
        return self.every_message


class AttentionView(Protocol):
    """What the attention rules ask of the window."""

    def has_focus(self) -> bool: ...
    def alert(self, alert: Alert) -> None: ...
    def clear_alert(self) -> None: ...
    def new_messages_divider(self) -> None: ...


def reason_for(line: Line, own_name: str | None) -> Reason | None:
    """Why ``line`` could want attention (None for our own lines, events, markers)."""
    if line.own:
        return None
    if line.kind is Kind.PRIVATE:
        return Reason.PRIVATE
    if line.kind not in (Kind.MESSAGE, Kind.ACTION):
        return None
    return Reason.MENTION if mentions(line.text, own_name) else Reason.MESSAGE


class Attention:
    """The attention state of one window. See the module docstring."""

    def __init__(
        self,
        view: AttentionView,
        prefs: Prefs | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.view = view
        self.prefs = prefs if prefs is not None else Prefs()
        self._clock = clock
        self._away_divided = False  # the divider is placed for this absence
        self._urgent = False  # the urgency hint is set
        self._last_notify = -NOTIFY_GAP
        self._last_sound = -SOUND_GAP

    def arrived(self, line: Line, own_name: str | None, *, live: bool) -> Line:
        """``line``, marked if it mentions us; alert and divider as the rules say."""
        reason = reason_for(line, own_name)
        if reason is None:
            return line
        if own_name and (reason is Reason.MENTION or mentions(line.text, own_name)):
            line = replace(line, mention=own_name)
        if not live or self.view.has_focus():
            return line
        if reason is not Reason.PRIVATE and not self._away_divided:
            self._away_divided = True
            self.view.new_messages_divider()
        if self.prefs.wants(reason):
            self._alert(line, reason)
        return line

    def _alert(self, line: Line, reason: Reason) -> None:
        now = self._clock()
        notify = now - self._last_notify >= NOTIFY_GAP
        sound = self.prefs.sounds and now - self._last_sound >= SOUND_GAP
        if notify:
            self._last_notify = now
        if sound:
            self._last_sound = now
        urgent, self._urgent = not self._urgent, True
        if urgent or notify or sound:
            self.view.alert(Alert(reason, line.sender, line.text, urgent, notify, sound))

    def focus_gained(self) -> None:
        """The user is back: clear the hint; the next absence moves the divider."""
        self._away_divided = False
        if self._urgent:
            self._urgent = False
            self.view.clear_alert()
