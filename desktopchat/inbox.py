"""The client's event queue, bounded: a window that falls behind skips chat, not state.

:class:`EventQueue` is the ``queue.Queue`` the network thread posts on and the
Tk thread drains. When more than ``max_chat`` chat events (or ``max_text``
characters of them) wait, it drops the oldest half of them at once and puts
one :class:`~desktopchat.protocol.events.Skipped` in their place, merged with
a neighbouring one: one "N messages skipped" line per burst, not per message.
Everything else (acknowledgements, joins, renames, replays, connection
events) is never dropped, so the window's state stays right. ``put`` never
blocks: the network thread must keep reading or the room drops us (it only
pauses a moment per read while the queue is :attr:`~EventQueue.behind`,
``session.py``).
"""

from __future__ import annotations

import queue
from collections import deque

from desktopchat.protocol import events as ev

__all__ = ["MAX_QUEUED_CHAT", "MAX_QUEUED_TEXT", "EventQueue"]

#: Chat events waiting for the window before the oldest are skipped: about
#: half a second of the window's fastest display rate, ~3 MB of small events.
MAX_QUEUED_CHAT = 10_000
#: Characters of chat text waiting before the oldest are skipped (128
#: maximum-size messages): what bounds the queue when messages are big.
MAX_QUEUED_TEXT = 8 * 1024 * 1024

_CHAT = (ev.Message, ev.Action, ev.Private, ev.Notice)


class EventQueue(queue.Queue[ev.Event]):
    """An unbounded-``put`` queue that skips the oldest chat past its limits."""

    def __init__(self, max_chat: int = MAX_QUEUED_CHAT, max_text: int = MAX_QUEUED_TEXT) -> None:
        if max_chat < 2 or max_text < 2:
            raise ValueError("an event queue must hold at least 2 chat events and characters")
        self.max_chat = max_chat
        self.max_text = max_text
        super().__init__()

    # queue.Queue calls these with its mutex held.

    @property
    def behind(self) -> bool:
        """True while more than half the chat limit waits: the window is not keeping up."""
        return self.chat > self.max_chat // 2 or self.text > self.max_text // 2

    def _init(self, maxsize: int) -> None:
        self.queue: deque[ev.Event] = deque()
        self.chat = 0  # chat events waiting
        self.text = 0  # characters of their text
        #: Chat events dropped so far (tests and benchmarks read it).
        self.skipped = 0

    def _put(self, item: ev.Event) -> None:
        self.queue.append(item)
        if isinstance(item, _CHAT):
            self.chat += 1
            self.text += len(item.text)
            if self.chat > self.max_chat or self.text > self.max_text:
                self._shed()

    def _get(self) -> ev.Event:
        item = self.queue.popleft()
        if isinstance(item, _CHAT):
            self.chat -= 1
            self.text -= len(item.text)
        return item

    def _shed(self) -> None:
        """Drop the oldest chat until at most half of each limit is left."""
        keep_chat, keep_text = self.max_chat // 2, self.max_text // 2
        kept: deque[ev.Event] = deque()
        run = 0  # chat dropped since the last kept item
        for item in self.queue:
            if isinstance(item, _CHAT) and (self.chat > keep_chat or self.text > keep_text):
                self.chat -= 1
                self.text -= len(item.text)
                run += 1
                continue
            if run:
                _add_skipped(kept, run)
                self.skipped += run
                run = 0
            if isinstance(item, ev.Skipped):
                _add_skipped(kept, item.count)
            else:
                kept.append(item)
        if run:  # everything queued was old chat
            _add_skipped(kept, run)
            self.skipped += run
        self.queue = kept


def _add_skipped(items: deque[ev.Event], count: int) -> None:
    """Append Skipped(count), merged into a Skipped right before it."""
    if items and isinstance(last := items[-1], ev.Skipped):
        items[-1] = ev.Skipped(last.count + count)
    else:
        items.append(ev.Skipped(count))
