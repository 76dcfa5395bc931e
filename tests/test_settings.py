"""Settings: JSON round trip, the path redirect, and recovery from damaged files."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from desktopchat import paths
from desktopchat.settings import Settings, load_settings, save_settings, settings_path


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(paths.HOME_ENV, str(tmp_path / "home"))
    return tmp_path / "home"


def custom() -> Settings:
    return Settings(
        name="Zoë👩‍💻",
        host="fe80::1",
        port=4000,
        geometry="800x600+-10+20",
        font_size=14,
        host_port=0,
    )


def aside_files(path: Path) -> list[Path]:
    return sorted(path.parent.glob(path.name + ".corrupt-*"))


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope" / "settings.json") == Settings()


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "settings.json"  # save creates the directories
    save_settings(custom(), path)
    assert load_settings(path) == custom()
    # Written as readable UTF-8 JSON with a format version.
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["name"] == "Zoë👩‍💻"


def test_save_overwrites_and_leaves_no_temp_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(name="first"), path)
    save_settings(Settings(name="second"), path)
    assert load_settings(path).name == "second"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_path_follows_desktopchat_home(home: Path) -> None:
    assert settings_path() == home / "config" / "settings.json"
    save_settings(custom())
    assert (home / "config" / "settings.json").is_file()
    assert load_settings() == custom()


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2, 3]", b'"just a string"', b"\xff\xfe\x00garbage", b""],
    ids=["broken-json", "list", "string", "not-utf8", "empty"],
)
def test_corrupt_file_is_set_aside(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="desktopchat.settings"):
        assert load_settings(path) == Settings()
    assert not path.exists()
    [aside] = aside_files(path)
    assert aside.read_bytes() == content  # kept for the user to inspect
    assert "moved to" in caplog.text
    # The next save writes a fresh file; the set-aside copy stays.
    save_settings(custom(), path)
    assert load_settings(path) == custom()
    assert aside_files(path) == [aside]


def test_unreadable_file_gives_defaults(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "settings.json"
    path.mkdir()  # reading a directory fails with an OSError on every platform
    with caplog.at_level(logging.WARNING, logger="desktopchat.settings"):
        assert load_settings(path) == Settings()
    assert "unusable" in caplog.text


def test_unknown_keys_ignored_and_bad_fields_fall_back_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "version": 7,
                "colour_scheme": "dark",  # unknown: ignored
                "name": "ann",  # good: kept
                "host": 12,  # wrong type
                "port": True,  # bool is not a port
                "geometry": "huge",  # not a Tk geometry
                "font_size": 500,  # out of range
                "host_port": 70000,  # out of range
            }
        ),
        encoding="utf-8",
    )
    with caplog.at_level(logging.WARNING, logger="desktopchat.settings"):
        loaded = load_settings(path)
    assert loaded == Settings(name="ann")
    assert path.exists()  # a file with some bad fields is not set aside
    for field in ("host", "port", "geometry", "font_size", "host_port"):
        assert f"bad {field}=" in caplog.text


@pytest.mark.parametrize("geometry", ["", "640x480", "640x480+0+0", "640x480-5+-20"])
def test_valid_geometries_load(tmp_path: Path, geometry: str) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(geometry=geometry), path)
    assert load_settings(path).geometry == geometry


def test_save_failure_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "config"
    blocker.write_text("a file where the directory should be", encoding="utf-8")
    path = blocker / "settings.json"
    with caplog.at_level(logging.WARNING, logger="desktopchat.settings"):
        save_settings(custom(), path)  # must not raise: quitting must never fail on this
    assert "could not save settings" in caplog.text
    assert blocker.read_text(encoding="utf-8") == "a file where the directory should be"


def test_password_is_not_a_setting() -> None:
    assert "password" not in Settings.__dataclass_fields__


def test_two_corrupt_files_in_one_second_are_both_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    for content in (b"{first", b"{second"):
        path.write_bytes(content)
        assert load_settings(path) == Settings()
    assert sorted(p.read_bytes() for p in aside_files(path)) == [b"{first", b"{second"]


def test_control_characters_in_text_fields_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"name": "ann\x00", "host": "a\nb", "port": 99}), "utf-8")
    assert load_settings(path) == Settings(port=99)


def test_theme_and_userlist_width_round_trip_and_bad_values_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    save_settings(Settings(theme="dark", userlist_width=240), path)
    assert load_settings(path) == Settings(theme="dark", userlist_width=240)
    for bad in ({"theme": "Dark"}, {"theme": 1}, {"userlist_width": -1}, {"userlist_width": 1e9}):
        path.write_text(json.dumps({"version": 1, **bad}), encoding="utf-8")
        assert load_settings(path) == Settings()  # the default: "system", natural width


def test_notification_choices_round_trip_and_non_booleans_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    assert Settings().notify_mentions and Settings().notify_private and Settings().play_sounds
    assert not Settings().notify_all  # every message: off by default
    chosen = Settings(
        notify_mentions=False, notify_private=False, notify_all=True, play_sounds=False
    )
    save_settings(chosen, path)
    assert load_settings(path) == chosen
    for bad in ({"notify_all": 1}, {"play_sounds": "no"}, {"notify_private": None}):
        path.write_text(json.dumps(bad), encoding="utf-8")
        assert load_settings(path) == Settings()


def test_host_room_choices_round_trip_and_bad_values_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    assert Settings().host_announce and not Settings().host_encrypted_only
    chosen = Settings(host_room_name="Lab 4", host_encrypted_only=True, host_announce=False)
    save_settings(chosen, path)
    assert load_settings(path) == chosen
    for bad in (
        {"host_room_name": "x" * 61},
        {"host_room_name": "a\nb"},
        {"host_room_name": 4},
        {"host_encrypted_only": "yes"},
        {"host_announce": 0},
    ):
        path.write_text(json.dumps(bad), encoding="utf-8")
        assert load_settings(path) == Settings()


def test_file_choices_round_trip_and_bad_values_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    assert Settings().download_dir == "" and Settings().host_max_file_size == 2 * 1024**3
    chosen = Settings(download_dir="/srv/incoming", host_max_file_size=0, host_files_only_me=True)
    save_settings(chosen, path)
    assert load_settings(path) == chosen
    for bad in (
        {"download_dir": 7},
        {"download_dir": "a\nb"},
        {"host_max_file_size": -1},
        {"host_max_file_size": 2 * 1024**4},
        {"host_max_file_size": True},
        {"host_files_only_me": "no"},
    ):
        path.write_text(json.dumps(bad), encoding="utf-8")
        assert load_settings(path) == Settings()
