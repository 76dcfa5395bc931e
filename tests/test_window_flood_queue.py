"""The window's bounded event queue (desktopchat/inbox.py), without Tk.

Finding 4 of issue 8: under a flood the window's queue grew to 530,000
events. Here: old chat is skipped in bursts, with one Skipped in its place;
acknowledgements and room state are never dropped.
"""

from __future__ import annotations

import queue
import threading

import pytest

from desktopchat.client import ChatClient
from desktopchat.inbox import EventQueue
from desktopchat.protocol import events as ev


def say(i: int, text: str = "") -> ev.Message:
    return ev.Message(text or f"m{i}", sender="eve", id=i, time=1.0)


def drain(q: EventQueue) -> list[ev.Event]:
    got: list[ev.Event] = []
    while True:
        try:
            got.append(q.get_nowait())
        except queue.Empty:
            return got


def test_under_its_limits_the_queue_keeps_everything_in_order() -> None:
    q = EventQueue(max_chat=10)
    items = [say(i) for i in range(10)]
    for item in items:
        q.put(item)
    assert drain(q) == items and q.skipped == 0


def test_past_the_limit_the_oldest_half_is_skipped_at_once_under_one_skipped() -> None:
    q = EventQueue(max_chat=10)
    for i in range(11):
        q.put(say(i))
    assert q.qsize() == 6 and q.skipped == 6
    assert drain(q) == [ev.Skipped(6), *(say(i) for i in range(6, 11))]


def test_a_long_flood_keeps_the_queue_bounded_and_one_skipped_per_burst() -> None:
    q = EventQueue(max_chat=100)
    for i in range(100_000):
        q.put(say(i))
        assert q.qsize() <= 101
    got = drain(q)
    assert isinstance(got[0], ev.Skipped) and got[0].count == q.skipped
    rest = got[1:]
    assert rest == [say(i) for i in range(100_000 - len(rest), 100_000)]
    assert q.skipped + len(rest) == 100_000


def test_acknowledgements_and_room_state_are_never_dropped_and_keep_their_place() -> None:
    q = EventQueue(max_chat=4)
    kept: list[ev.Event] = [
        ev.Accepted(7, 3, 1.0),
        ev.Joined("bob", id=4, time=1.0),
        ev.NickChange("eve2", old="eve", id=5, time=1.0),
        ev.Rejected(8, "Slow down"),
        ev.Replay((say(1),), False, None),
        ev.Disconnected("gone"),
    ]
    q.put(say(0))
    for n, item in enumerate(kept):
        q.put(item)
        q.put(say(10 + n))
    got = drain(q)
    assert [e for e in got if not isinstance(e, ev.Message | ev.Skipped)] == kept
    # Each skipped run stands where its messages were: between the same neighbours.
    assert got[:3] == [ev.Skipped(1), kept[0], ev.Skipped(1)]
    assert sum(e.count for e in got if isinstance(e, ev.Skipped)) == q.skipped
    assert q.skipped + sum(isinstance(e, ev.Message) for e in got) == 1 + len(kept)


def test_a_new_drop_merges_into_a_skipped_already_waiting() -> None:
    q = EventQueue(max_chat=4)
    for i in range(5):
        q.put(say(i))  # drops 3: [Skipped(3), m3, m4]
    for i in range(5, 8):
        q.put(say(i))  # 5 waiting again: drops 3 more, next to the first Skipped
    assert drain(q) == [ev.Skipped(6), say(6), say(7)]


def test_private_messages_actions_and_notices_count_as_chat() -> None:
    q = EventQueue(max_chat=2)
    q.put(ev.Private("psst", to="ann", sender="eve"))
    q.put(ev.Action("waves", sender="eve"))
    q.put(ev.Notice("hello"))
    assert drain(q) == [ev.Skipped(2), ev.Notice("hello")]


def test_big_messages_are_bounded_by_their_text_too() -> None:
    q = EventQueue(max_chat=1000, max_text=100_000)
    for i in range(10):
        q.put(say(i, str(i) * 30_000))
    assert q.text <= 100_000
    got = drain(q)
    assert got[0] == ev.Skipped(q.skipped) and q.skipped == 10 - (len(got) - 1)
    kept = [e.text[0] for e in got[1:] if isinstance(e, ev.Message)]
    assert kept and kept == [str(i) for i in range(10 - len(kept), 10)]


def test_put_never_blocks_and_a_consumer_on_another_thread_gets_all_or_skipped() -> None:
    q = EventQueue(max_chat=50)
    total = 20_000
    counted = 0

    def consume() -> None:
        nonlocal counted
        while counted < total:
            item = q.get(timeout=5)
            counted += item.count if isinstance(item, ev.Skipped) else 1

    consumer = threading.Thread(target=consume)
    consumer.start()
    for i in range(total):
        q.put(say(i))
    consumer.join(10)
    assert counted == total


def test_behind_means_more_than_half_the_limit_waits() -> None:
    q = EventQueue(max_chat=10, max_text=1000)
    states = []
    for i in range(6):
        q.put(say(i))
        states.append(q.behind)
    drain(q)
    states.append(q.behind)
    q.put(say(0, "x" * 501))
    states.append(q.behind)
    assert states == [False] * 5 + [True, False, True]


def test_limits_must_leave_room() -> None:
    with pytest.raises(ValueError):
        EventQueue(max_chat=1)


def test_a_chat_client_posts_on_a_bounded_queue_by_default() -> None:
    client = ChatClient("127.0.0.1", 1, "ann")
    assert isinstance(client.events, EventQueue)
    client.close()
