"""The alert chime (gui/sound.py, assets/chime.wav): a real player child, or the bell."""

from __future__ import annotations

import os
import stat
import wave
from pathlib import Path

import pytest
from waiting import wait_until

from desktopchat.gui import sound
from desktopchat.gui.sound import Chime
from desktopchat.resources import assets_dir


def test_the_shipped_chime_is_a_short_quiet_wav() -> None:
    with wave.open(str(assets_dir() / sound.CHIME), "rb") as chime:
        seconds = chime.getnframes() / chime.getframerate()
        assert (chime.getnchannels(), chime.getsampwidth()) == (1, 2)
        assert 0.1 <= seconds <= 0.2
        frames = chime.readframes(chime.getnframes())
    peak = max(
        abs(int.from_bytes(frames[i : i + 2], "little", signed=True))
        for i in range(0, len(frames), 2)
    )
    assert peak < 0.5 * 32767  # not startling


def test_no_player_rings_the_bell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    rung: list[int] = []
    assert Chime(lambda: rung.append(1)).play() == "bell"
    assert rung == [1]


def test_a_player_is_started_without_waiting_and_reaped_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    played = tmp_path / "played"
    player = tmp_path / "paplay"
    player.write_text(f'#!/bin/sh\necho "$1" >> {played}\n', encoding="utf-8")
    player.chmod(player.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(tmp_path))
    rung: list[int] = []
    chime = Chime(lambda: rung.append(1))
    assert chime.play() == str(player)
    wait_until(lambda: played.exists(), what="the player ran")
    assert played.read_text(encoding="utf-8").strip().endswith(os.sep + sound.CHIME)
    wait_until(lambda: chime._children[0].poll() is not None, what="the player finished")
    chime.play()
    assert len(chime._children) == 1  # the finished one was reaped
    assert rung == []
