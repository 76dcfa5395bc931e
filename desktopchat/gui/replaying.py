"""Replays in the transcript: what the room sent again after a join or a reconnect (no Tk).

:class:`ReplaySteps` is a mixin of :class:`~.presenter.Presenter`. A
:class:`~desktopchat.protocol.events.Replay` is shown under one marker:
"— earlier messages —" on a first visit (or any protocol-2 join), "— missed
while disconnected —" after a resume, or "— recent messages (this room cannot
tell which you missed) —" when an older room sends its history again. A gap
the room could not fill is one line saying from when to when. Events we
showed already (same run of the room, id not newer) are skipped; the
acknowledgements inside a resume settle our own lines.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from desktopchat.gui.lines import SendState
from desktopchat.protocol import events as ev

__all__ = ["ReplaySteps"]


def _clock_hm(when: float) -> str:
    return time.strftime("%H:%M", time.localtime(when))


class ReplaySteps:
    """The presenter's replay step (a mixin of :class:`Presenter`)."""

    if TYPE_CHECKING:  # provided by Presenter
        version: int | None
        _max_id: int
        _replays: int
        _last_time: float | None

        def _room_event(self, event: ev.RoomEvent, *, live: bool) -> None: ...
        def _settle(
            self, cid: int, state: SendState, reason: str = "", *, keep: bool = False
        ) -> None: ...
        def _event(self, text: str, when: float | None = None) -> None: ...
        def _marker(self, text: str) -> None: ...

    def _replay(self, replay: ev.Replay) -> None:
        items = [
            e
            for e in replay.events
            if not isinstance(e, ev.RoomEvent) or e.id is None or e.id > self._max_id
        ]
        shown = [e for e in items if isinstance(e, ev.RoomEvent)]
        first = self._replays == 0
        self._replays += 1
        if replay.gap is not None:
            gap = replay.gap
            since = f"from {_clock_hm(self._last_time)} " if self._last_time else ""
            until = f"to {_clock_hm(gap.until)} " if gap.until is not None else ""
            self._marker("— missed while disconnected —")
            self._event(f"Some messages {since}{until}are no longer available.")
        elif shown:
            if replay.resumed:
                self._marker("— missed while disconnected —")
            elif self.version == 2 or first:
                self._marker("— earlier messages —")
            else:
                self._marker("— recent messages (this room cannot tell which you missed) —")
        for item in items:
            if isinstance(item, ev.Accepted):
                self._settle(item.cid, SendState.SENT)
            else:
                self._room_event(item, live=False)
