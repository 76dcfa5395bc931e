"""Desktop notifications (gui/notify.py) against a real session D-Bus and a listener."""

from __future__ import annotations

import logging

import pytest
from desktopkit import notification_service
from waiting import wait_until

from desktopchat.gui import notify
from desktopchat.gui.notify import Notifier, body_text, summary_text


def test_hostile_text_is_escaped_one_line_and_short() -> None:
    body = body_text('<a href="x">click</a> & <img src=/etc/passwd>\nsecond\u202eline')
    assert "<" not in body and ">" not in body
    assert body.startswith('&lt;a href="x"&gt;click&lt;/a&gt; &amp; &lt;img')
    assert "\n" not in body and "\u202e" not in body
    assert len(body_text("x" * 10_000)) == notify.BODY_CHARS
    summary = summary_text("bob\nsays " + "y" * 500)
    assert "\n" not in summary and len(summary) == notify.SUMMARY_CHARS
    assert summary_text("a & b <c>") == "a & b <c>"  # the summary is plain text by spec


def test_notifications_reach_the_service_and_replace_the_previous_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with notification_service() as (address, listener):
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        notifier = Notifier()
        try:
            assert notifier.notify("bob mentioned you", "ann, <b>look</b>")
            (first,) = listener.wait_for(1)
            assert (first.app_name, first.summary) == ("desktopchat", "bob mentioned you")
            assert first.body == "ann, &lt;b&gt;look&lt;/b&gt;"
            assert first.replaces_id == 0
            wait_until(lambda: notifier.sent == 1, what="the reply read")
            assert notifier.notify("cat (private message)", "psst")
            second = listener.wait_for(2)[1]
            assert second.replaces_id == 1  # the id the service gave the first
        finally:
            notifier.close()


def test_no_session_bus_is_logged_once_and_never_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    notifier = Notifier()
    with caplog.at_level(logging.INFO, logger="desktopchat.gui.notify"):
        assert notifier.notify("a", "b")
        wait_until(lambda: notifier._failed, what="the failure noticed")
        assert not notifier.notify("a", "b")  # off for this window: nothing queued
    notifier.close()
    assert [r.getMessage() for r in caplog.records if "notifications are off" in r.getMessage()]
    assert len([r for r in caplog.records if r.name == "desktopchat.gui.notify"]) == 1
