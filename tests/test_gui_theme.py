"""Light and dark (View ▸ Theme, the saved setting, --theme), the help windows,
and WM_CLASS on every window, in real windows under Xvfb."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path
from tkinter import ttk
from typing import Any

import pytest
from guitools import install_error_recorder

from desktopchat import __main__ as cli
from desktopchat.gui import theme
from desktopchat.gui.app import ChatApp
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.menus import radio_variable
from desktopchat.gui.palette import DARK, LIGHT
from desktopchat.gui.render import colour_tag
from desktopchat.settings import Settings


def ttk_theme(app: ChatApp) -> str:
    return str(ttk.Style(app.root).theme_use())


def menu_index(menu: tk.Menu, label: str) -> int:
    last = menu.index("end")
    assert last is not None
    for i in range(last + 1):
        if menu.type(i) not in ("separator", "tearoff") and menu.entrycget(i, "label") == label:
            return i
    raise AssertionError(f"no {label!r} in the menu")


def theme_menu(app: ChatApp) -> tk.Menu:
    view = app.menus["View"]
    menu: tk.Menu = app.root.nametowidget(view.entrycget(menu_index(view, "Theme"), "menu"))
    return menu


def test_view_theme_menu_switches_live_and_remembers(app: ChatApp) -> None:
    app.show(Line(Kind.MESSAGE, "hi", 0.0, sender="bob"))
    app.show(Line(Kind.EVENT, "carol joined", 0.0))
    app.root.update()
    menu = theme_menu(app)
    assert [menu.entrycget(i, "label") for i in range(3)] == ["System", "Light", "Dark"]
    assert all(menu.type(i) == "radiobutton" for i in range(3))

    menu.invoke(menu_index(menu, "Dark"))
    app.root.update()
    assert ttk_theme(app) == "sun-valley-dark"
    assert app.settings.theme == "dark"
    assert app.root.getvar(radio_variable("theme")) == "dark"
    t = app.transcript.text
    assert t.cget("background") == DARK.background
    # The lines already shown are drawn in the new colours (tags are recoloured).
    at = t.search("carol joined", "1.0")
    assert "event" in t.tag_names(at) and t.tag_cget("event", "foreground") == DARK.event
    assert t.tag_cget(colour_tag("bob"), "foreground") in DARK.names
    assert app.input.cget("background") == DARK.background
    assert app.userlist.listbox.cget("background") == DARK.list_background

    menu.invoke(menu_index(menu, "Light"))
    app.root.update()
    assert ttk_theme(app) == "sun-valley-light"
    assert t.cget("background") == LIGHT.background
    assert t.tag_cget("event", "foreground") == LIGHT.event
    assert app.settings.theme == "light"


def test_system_follows_the_desktop(app: ChatApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(theme, "system_is_dark", lambda: True)
    app.set_theme("system")
    assert ttk_theme(app) == "sun-valley-dark" and theme.palette(app.root) is DARK
    monkeypatch.setattr(theme, "system_is_dark", lambda: False)
    app.set_theme("system")
    assert ttk_theme(app) == "sun-valley-light" and theme.palette(app.root) is LIGHT
    assert app.settings.theme == "system"
    with pytest.raises(ValueError, match="theme must be one of"):
        theme.resolve("purple")


@pytest.fixture
def root() -> Iterator[tk.Tk]:
    root = tk.Tk(className="desktopchat")
    install_error_recorder(root)
    yield root
    with contextlib.suppress(tk.TclError):  # Quit destroyed it already
        root.destroy()


def test_the_saved_setting_and_the_command_line_choose_the_theme(
    root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    saved: list[Settings] = []
    app = ChatApp(root, Settings(theme="dark"), save=saved.append)
    assert ttk_theme(app) == "sun-valley-dark"
    assert app.transcript.text.cget("background") == DARK.background
    assert root.getvar(radio_variable("theme")) == "dark"
    app.quit()
    assert saved[-1].theme == "dark"


def test_theme_on_the_command_line_is_for_this_run_only(
    root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    saved: list[Settings] = []
    app = ChatApp(root, Settings(theme="light"), save=saved.append, theme="dark")
    assert ttk_theme(app) == "sun-valley-dark"
    app.quit()
    assert saved[-1].theme == "light"  # --theme is not written into the settings


def test_command_line_theme_reaches_the_window_and_is_checked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], applog_home: Path
) -> None:
    import desktopchat.gui

    calls: list[dict[str, Any]] = []

    def run(**kw: Any) -> int:
        calls.append(kw)
        return 0

    monkeypatch.setattr(desktopchat.gui, "run", run)
    assert cli.main(["--theme", "dark"]) == 0
    assert calls[-1]["theme"] == "dark"
    assert cli.main([]) == 0
    assert calls[-1]["theme"] is None  # the saved choice
    for argv in (["--theme", "blue"], ["--serve", "--theme", "dark"]):
        with pytest.raises(SystemExit) as exited:
            cli.main(argv)
        assert exited.value.code == 2
    assert "--theme is for the window" in capsys.readouterr().err


def new_toplevels(app: ChatApp, before: set[Any]) -> list[tk.Toplevel]:
    return [w for w in app.root.winfo_children() if w not in before and isinstance(w, tk.Toplevel)]


@pytest.mark.parametrize(
    ("action", "title", "words"),
    [
        ("show_getting_started", "Help: Getting started — desktopchat", "The lock"),
        ("show_commands", "Help: Commands and shortcuts — desktopchat", "/msg NAME TEXT"),
        ("show_protocol", "Help: For developers (protocol) — desktopchat", "Framing"),
        ("show_about", "About — desktopchat", "A chat room for a small group"),
    ],
)
def test_help_windows_open_with_their_titles_and_follow_the_theme(
    app: ChatApp, action: str, title: str, words: str
) -> None:
    before = set(app.root.winfo_children())
    getattr(app, action)()
    app.root.update()
    (win,) = new_toplevels(app, before)
    assert win.title() == title
    (body,) = [w for w in win.winfo_children()[0].winfo_children() if isinstance(w, tk.Text)]
    assert words in body.get("1.0", "end")
    app.set_theme("dark")
    assert body.cget("background") == DARK.background
    app.set_theme("light")
    assert body.cget("background") == LIGHT.background
    win.event_generate("<Escape>")
    app.root.update()
    assert not win.winfo_exists()


def test_commands_and_shortcuts_list_every_command_and_menu_shortcut(app: ChatApp) -> None:
    from desktopchat.gui.menus import MenuItem, Submenu
    from desktopchat.protocol.commands import COMMANDS

    before = set(app.root.winfo_children())
    app.show_commands()
    app.root.update()
    (win,) = new_toplevels(app, before)
    (body,) = [w for w in win.winfo_children()[0].winfo_children() if isinstance(w, tk.Text)]
    text = body.get("1.0", "end")
    for usage, _ in COMMANDS:
        assert usage in text
    accelerators = [
        item.accelerator
        for _, items in app.menu_table()
        for item in items
        if isinstance(item, MenuItem) and item.accelerator
    ]
    accelerators += [
        sub.accelerator
        for _, items in app.menu_table()
        for item in items
        if isinstance(item, Submenu)
        for sub in item.items
        if sub is not None and sub.accelerator
    ]
    assert "Ctrl+Q" in accelerators
    for accelerator in accelerators:
        assert f"{accelerator}\t" in text
    win.destroy()


def wm_class(window: tk.Misc) -> str:
    """WM_CLASS as xprop reads it from the window manager's side (Tk's wrapper window)."""
    tree = subprocess.run(
        ["xwininfo", "-tree", "-id", hex(window.winfo_id())],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Parent window id: (0x[0-9a-f]+)", tree)
    assert match, tree
    return subprocess.run(
        ["xprop", "-id", match.group(1), "WM_CLASS"], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.skipif(not shutil.which("xprop") or not shutil.which("xwininfo"), reason="x11-utils")
def test_every_window_has_the_desktopchat_window_class(
    root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    app = ChatApp(root, Settings(), save=lambda _s: None)
    root.update()
    before = set(root.winfo_children())
    app.show_login()
    app.show_getting_started()
    root.update()
    # A second program's root: Tk would call it "desktopchat #2".
    second = tk.Tk(className="desktopchat")
    other = ChatApp(second, Settings(), save=lambda _s: None)
    for _ in range(3):
        root.update()
        second.update()
    windows: list[tk.Tk | tk.Toplevel] = [root, *new_toplevels(app, before), second]
    assert len(windows) == 4
    assert str(second.tk.call("tk", "appname")) == "desktopchat #2"
    for window in windows:
        assert wm_class(window) == 'WM_CLASS(STRING) = "desktopchat", "Desktopchat"', window.title()
    other.quit()
    app.quit()


def test_an_open_dialog_follows_a_switch(app: ChatApp) -> None:
    app.set_theme("light")
    app.show_login("a reason")
    app.root.update()
    dialog = app.dialog
    assert dialog is not None
    app.set_theme("dark")
    app.root.update()
    background = str(ttk.Style(app.root).lookup("TFrame", "background"))
    assert str(dialog.cget("background")) == background == "#1c1c1c"
    assert str(app.root.cget("background")) == background
    error = [w for w in dialog.winfo_children()[0].winfo_children() if isinstance(w, ttk.Label)]
    assert any(str(w.cget("foreground")) == DARK.form_error for w in error)


def test_the_first_system_answer_can_be_asked_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([True, False])
    monkeypatch.setattr(theme, "system_is_dark", lambda: next(answers))
    theme.prefetch_system()  # run() does this before loading the window's modules
    assert theme.resolve("system") == "dark"  # the answer asked ahead
    assert theme.resolve("system") == "light"  # a later switch asks again
    assert theme.resolve("light") == "light"
