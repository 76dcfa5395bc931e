"""Which room lines the window has shown, so a history replay is not shown twice.

Role: a room replays its recent history (``events.History``) to every
newcomer, including a client that merely reconnected after a blip. The
window shows only the replayed lines that come *after* the last line it
already displayed from that room. No Tk here: :class:`SeenLines` is plain
bookkeeping the app feeds and asks.

Rules:

* A line is (kind, sender, text) with kind ``"say"`` (chat) or ``"me"``
  (``/me`` action) and the sender compared by :func:`protocol.name_key`;
  private messages and room events are never replayed, so they are not kept.
* Our own lines count too: the room keeps them in its history under our
  name, exactly as we sent them.
* :meth:`SeenLines.new_from` scans the replay from its end for the newest
  shown line; if that one is not in the replay (a line typed in the instant
  the connection died may never have arrived), it tries the next newest, and
  so on. No match at all (more was said while we were away than the room
  keeps, or it is our first visit): the whole replay is new.
* Lines we typed that are still waiting to be sent (offline, or the
  reconnect's replay has not arrived yet) are *unsent*: the room puts them
  after the replay, so they are matched first but recorded after the
  replay's new lines (:meth:`SeenLines.replayed`), or when the next live
  line arrives (:meth:`SeenLines.settle`).
* At most :data:`KEEP` lines are remembered (a replay holds at most 100 by
  default); :meth:`SeenLines.clear` forgets all when joining another room.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from desktopchat.events import Action, ChatMessage
from desktopchat.protocol import name_key

__all__ = ["KEEP", "Line", "SeenLines", "line_of"]

#: Shown lines remembered for matching a replay.
KEEP = 1000

Line = tuple[str, str, str]


def line_of(kind: str, sender: str, text: str) -> Line:
    """The comparable form of a room line (kind "say" or "me")."""
    return (kind, name_key(sender), text)


def _line(message: ChatMessage | Action) -> Line:
    return line_of("me" if isinstance(message, Action) else "say", message.sender, message.text)


class SeenLines:
    """Room lines shown so far (newest last) and our own lines not yet sent."""

    def __init__(self) -> None:
        self._shown: deque[Line] = deque(maxlen=KEEP)
        self._unsent: list[Line] = []

    def clear(self) -> None:
        """Forget everything (another room)."""
        self._shown.clear()
        self._unsent.clear()

    def shown(self, line: Line) -> None:
        """A line from the room, or our own that went out on a live connection."""
        self._shown.append(line)

    def typed_unsent(self, line: Line) -> None:
        """Our own line that is still waiting in the client's outbox."""
        self._unsent.append(line)

    def settle(self) -> None:
        """The outbox has gone out: unsent lines count as shown from now on."""
        self._shown.extend(self._unsent)
        self._unsent.clear()

    def new_from(self, replay: Sequence[ChatMessage | Action]) -> int:
        """Return the index of the first replayed message not shown yet (0: all new)."""
        lines = [_line(m) for m in replay]
        for anchor in (*reversed(self._unsent), *reversed(self._shown)):
            for i in range(len(lines) - 1, -1, -1):
                if lines[i] == anchor:
                    return i + 1
        return 0

    def replayed(self, replay: Sequence[ChatMessage | Action], start: int) -> None:
        """Record a replay of which ``replay[start:]`` has just been shown."""
        fresh = [_line(m) for m in replay[start:]]
        matched_unsent = start > 0 and _line(replay[start - 1]) in self._unsent
        if matched_unsent:  # they were delivered before the drop after all
            self.settle()
            self._shown.extend(fresh)
        else:  # they go out after this replay
            self._shown.extend(fresh)
            self.settle()
