"""Logging to the rotating file, print safety, and the unexpected-error handler."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from guitools import find_windows

from desktopchat import applog


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if getattr(h, applog._OURS, False)]


def _flush() -> None:
    for handler in _ours():
        handler.flush()


def test_log_file_lives_in_the_log_dir(applog_home: Path) -> None:
    path = applog.setup_logging(0, console=False)
    assert path == applog_home / "log" / "desktopchat.log"
    logging.getLogger("desktopchat.test").info("hello from the test")
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "desktopchat 0" in text and "starting" in text
    assert "hello from the test" in text
    assert applog.current_log_file() == path


def test_debug_reaches_the_file_only_with_vv(applog_home: Path) -> None:
    path = applog.setup_logging(1, console=False)
    logging.getLogger("desktopchat.test").debug("quiet detail")
    _flush()
    assert "quiet detail" not in path.read_text(encoding="utf-8")
    applog.setup_logging(2, console=False)
    logging.getLogger("desktopchat.test").debug("loud detail")
    _flush()
    assert "loud detail" in path.read_text(encoding="utf-8")


def test_setting_up_twice_does_not_double_handlers(applog_home: Path) -> None:
    applog.setup_logging(0, console=True)
    first = len(_ours())
    applog.setup_logging(0, console=True)
    assert len(_ours()) == first == 2  # the file and stderr


@pytest.mark.parametrize(
    ("verbosity", "console", "info_shown"),
    [(0, False, False), (0, True, True), (1, False, True)],
)
def test_stderr_levels(
    applog_home: Path,
    monkeypatch: pytest.MonkeyPatch,
    verbosity: int,
    console: bool,
    info_shown: bool,
) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    applog.setup_logging(verbosity, console=console)
    logging.getLogger("desktopchat.test").info("an info line")
    logging.getLogger("desktopchat.test").warning("a warning line")
    assert ("an info line" in err.getvalue()) is info_shown
    assert "a warning line" in err.getvalue()


def test_no_std_streams_means_file_only_and_print_is_safe(
    applog_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    path = applog.setup_logging(0, console=True)
    assert sys.stdout is not None and sys.stderr is not None
    print("stray print", file=sys.stdout)
    print("stray print", file=sys.stderr)
    assert [type(h) for h in _ours()] == [logging.handlers.RotatingFileHandler]
    logging.getLogger("desktopchat.test").info("still logged")
    _flush()
    assert "still logged" in path.read_text(encoding="utf-8")


def test_unwritable_log_dir_falls_back_to_temp(applog_home: Path) -> None:
    (applog_home / "log").write_text("a file where the directory should be")
    path = applog.setup_logging(0, console=False)
    assert path.parent != applog_home / "log"
    _flush()
    assert "logging to" in path.read_text(encoding="utf-8")
    path.unlink()


@pytest.mark.allow_error_log
def test_excepthook_logs_and_shows_the_log_path(applog_home: Path) -> None:
    path = applog.setup_logging(0, console=False)
    shown: list[str] = []
    applog.install_excepthook(shown.append)
    try:
        raise ValueError("something broke")
    except ValueError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert len(shown) == 1
    assert "ValueError: something broke" in shown[0]
    assert str(path) in shown[0]
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "Traceback" in text and "something broke" in text


def test_ctrl_c_gets_no_dialog(applog_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    applog.setup_logging(0, console=False)
    shown: list[str] = []
    applog.install_excepthook(shown.append)
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert shown == []


@pytest.mark.allow_error_log
def test_failing_dialog_is_logged_not_raised(applog_home: Path) -> None:
    path = applog.setup_logging(0, console=False)

    def broken(message: str) -> None:
        raise RuntimeError("no display")

    applog.install_excepthook(broken)
    sys.excepthook(ValueError, ValueError("x"), None)
    _flush()
    assert "could not show the error dialog" in path.read_text(encoding="utf-8")


@pytest.mark.allow_error_log
def test_thread_exception_is_logged(applog_home: Path) -> None:
    path = applog.setup_logging(0, console=False)
    shown: list[str] = []
    applog.install_excepthook(shown.append)

    def work() -> None:
        raise OSError("network thread died")

    thread = threading.Thread(target=work, name="net-test")
    thread.start()
    thread.join()
    _flush()
    text = path.read_text(encoding="utf-8")
    assert "unexpected error in thread net-test" in text and "network thread died" in text
    assert shown == []  # never Tk from a worker thread


def test_uncaught_exception_in_a_real_process(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        from desktopchat import applog
        applog.setup_logging(0, console=False)
        applog.install_excepthook(lambda message: print("DIALOG:" + message))
        raise RuntimeError("boom at start-up")
        """
    )
    env = {**os.environ, "DESKTOPCHAT_HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1
    log_file = tmp_path / "log" / "desktopchat.log"
    assert "DIALOG:" in proc.stdout and str(log_file) in proc.stdout
    assert "RuntimeError: boom at start-up" in log_file.read_text(encoding="utf-8")


@pytest.mark.gui
@pytest.mark.allow_error_log
def test_tk_callback_errors_reach_the_dialog(
    applog_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tkinter as tk

    from desktopchat.gui import crash

    path = applog.setup_logging(0, console=False)
    shown: list[str] = []
    monkeypatch.setattr(
        crash, "show_error_dialog", lambda message, parent=None: shown.append(message)
    )
    root = tk.Tk()
    try:
        crash.route_tk_errors(root)

        def bad_callback() -> None:
            raise KeyError("in a callback")

        root.after(0, bad_callback)
        for _ in range(50):
            root.update()
            if shown:
                break
        assert len(shown) == 1 and "keeps running" in shown[0]
    finally:
        root.destroy()
    _flush()
    assert "in a callback" in path.read_text(encoding="utf-8")


@pytest.mark.gui
def test_error_dialog_appears_and_closes(tmp_path: Path) -> None:
    script = (
        "from desktopchat.gui.crash import show_error_dialog\n"
        "show_error_dialog('the log is in /somewhere')\n"
        "print('closed')\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        # Not the literal title: xdotool matches WM_NAME, where Tk stores the
        # em dash as mangled Latin-1, so a pattern with "—" never matches.
        wid = find_windows("^desktopchat.*error$")[0]
        subprocess.run(["xdotool", "windowfocus", "--sync", wid, "key", "Return"], timeout=30)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "closed" in out
