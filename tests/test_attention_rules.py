"""Mentions and the attention rules (gui/mentions.py, gui/attention_rules.py), without Tk."""

from __future__ import annotations

import pytest

from desktopchat.gui import render as rd
from desktopchat.gui.attention_rules import NOTIFY_GAP, Alert, Attention, Prefs, Reason
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.mentions import MENTION_TAG, mentions, tag_mentions


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ann", True),
        ("hi ann!", True),
        ("@Ann, look", True),
        ("ANN?", True),
        ("ann's turn", True),
        ("annual report", False),
        ("joann", False),
        ("ann_2 is someone else", False),
        ("an n", False),
    ],
)
def test_a_mention_is_the_whole_name_in_any_case(text: str, found: bool) -> None:
    assert mentions(text, "ann") is found


def test_names_with_punctuation_are_matched_literally() -> None:
    assert mentions("ping a.b now", "a.b")
    assert not mentions("ping axb now", "a.b")
    assert not mentions("anything", "") and not mentions("anything", None)


def test_only_the_text_is_tagged_never_the_name_or_time() -> None:
    line = Line(Kind.MESSAGE, "ann: hi Ann and ANN", 0.0, "ann")
    args = tag_mentions(rd.render(line).args, "ann")
    tagged = [args[i] for i in range(0, len(args), 2) if MENTION_TAG in args[i + 1]]
    assert tagged == ["ann", "Ann", "ANN"]  # three in the text; the sender's name is not one
    assert "".join(a for a in args if isinstance(a, str)) == "".join(
        a for a in rd.render(line).args if isinstance(a, str)
    )


class AttentionRecorder:
    def __init__(self) -> None:
        self.focused = False
        self.alerts: list[Alert] = []
        self.cleared = 0
        self.dividers = 0

    def has_focus(self) -> bool:
        return self.focused

    def alert(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def clear_alert(self) -> None:
        self.cleared += 1

    def new_messages_divider(self) -> None:
        self.dividers += 1


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def msg(text: str, sender: str = "bob", kind: Kind = Kind.MESSAGE) -> Line:
    return Line(kind, text, 0.0, sender, "ann" if kind is Kind.PRIVATE else "")


@pytest.fixture
def rules() -> tuple[Attention, AttentionRecorder, Clock]:
    view, clock = AttentionRecorder(), Clock()
    return Attention(view, Prefs(), clock), view, clock


def test_a_mention_is_marked_focused_or_not_replayed_or_live(
    rules: tuple[Attention, AttentionRecorder, Clock],
) -> None:
    attention, view, _ = rules
    view.focused = True
    assert attention.arrived(msg("hi ann"), "ann", live=True).mention == "ann"
    assert attention.arrived(msg("hi ann"), "ann", live=False).mention == "ann"
    assert attention.arrived(msg("annual"), "ann", live=True).mention == ""
    own = Line(Kind.MESSAGE, "I am ann", 0.0, "ann", own=True)
    assert attention.arrived(own, "ann", live=True).mention == ""
    assert view.alerts == [] and view.dividers == 0  # focused: no alert


def test_unfocused_mention_and_private_alert_other_messages_do_not(
    rules: tuple[Attention, AttentionRecorder, Clock],
) -> None:
    attention, view, clock = rules
    attention.arrived(msg("just chatting"), "ann", live=True)
    assert view.alerts == []
    assert view.dividers == 1  # but the divider goes above it
    attention.arrived(msg("ann, look"), "ann", live=True)
    (first,) = view.alerts
    assert first == Alert(Reason.MENTION, "bob", "ann, look", True, True, True)
    clock.now += NOTIFY_GAP
    attention.arrived(msg("psst", "cat", Kind.PRIVATE), "ann", live=True)
    second = view.alerts[-1]
    assert second.reason is Reason.PRIVATE and second.notify and not second.urgent
    attention.arrived(msg("ann ann", "cat"), "ann", live=False)  # replayed: no alert
    assert len(view.alerts) == 2 and view.dividers == 1  # one divider per absence


def test_a_flood_raises_one_notification_and_one_sound_per_gap(
    rules: tuple[Attention, AttentionRecorder, Clock],
) -> None:
    attention, view, clock = rules
    for _ in range(50):
        attention.arrived(msg("ann!"), "ann", live=True)
    assert [(a.urgent, a.notify, a.sound) for a in view.alerts] == [(True, True, True)]
    clock.now += NOTIFY_GAP
    attention.arrived(msg("ann!"), "ann", live=True)
    assert view.alerts[-1].notify and not view.alerts[-1].urgent


def test_focus_clears_the_hint_and_the_next_absence_moves_the_divider(
    rules: tuple[Attention, AttentionRecorder, Clock],
) -> None:
    attention, view, _ = rules
    attention.arrived(msg("ann?"), "ann", live=True)
    attention.focus_gained()
    assert view.cleared == 1
    attention.focus_gained()
    assert view.cleared == 1  # nothing set: nothing to clear
    attention.arrived(msg("again ann"), "ann", live=True)
    assert view.dividers == 2 and view.alerts[-1].urgent


def test_the_preferences_choose_what_alerts(
    rules: tuple[Attention, AttentionRecorder, Clock],
) -> None:
    attention, view, _ = rules
    attention.prefs = Prefs(mentions=False, private=False, every_message=False, sounds=False)
    attention.arrived(msg("ann"), "ann", live=True)
    attention.arrived(msg("psst", "cat", Kind.PRIVATE), "ann", live=True)
    assert view.alerts == []
    attention.prefs.every_message = True
    attention.arrived(msg("anything"), "ann", live=True)
    (alert,) = view.alerts
    assert alert.reason is Reason.MESSAGE and not alert.sound  # sounds off
