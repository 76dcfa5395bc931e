"""The user list: long names end in "…" with the whole name in a tooltip, the
sash widens the list, and its width is remembered."""

from __future__ import annotations

import contextlib
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path

import pytest
from guitools import install_error_recorder

from desktopchat.gui.app import ChatApp
from desktopchat.gui.userlist import ELLIPSIS, ellipsize
from desktopchat.settings import Settings

LONG = "a-very-long-name-that-does-not-fit-in-the-list"


def test_ellipsize_keeps_what_fits() -> None:
    def measure(text: str) -> int:
        return len(text) * 10

    assert ellipsize("bob", 30, measure) == "bob"
    assert ellipsize("alexandra", 50, measure) == "alex" + ELLIPSIS
    assert ellipsize("alexandra", 5, measure) == ELLIPSIS


def rows(app: ChatApp) -> list[str]:
    lb = app.userlist.listbox
    return [str(lb.get(i)) for i in range(lb.size())]


def test_long_names_are_shortened_with_a_tooltip_and_widening_shows_them_whole(
    app: ChatApp,
) -> None:
    app.users_reset(["bob", LONG], "zoë")
    app.root.update()
    shown = rows(app)
    assert shown[0] == "zoë (you)" and shown[2] == "bob"
    assert shown[1].endswith(ELLIPSIS) and LONG.startswith(shown[1][:-1])
    lb = app.userlist.listbox
    assert app.list_font.measure(shown[1]) <= lb.winfo_width()

    # Resting the pointer on the shortened name shows it whole; on a whole one, nothing.
    y_long, y_bob = (lb.bbox(i)[1] + 2 for i in (1, 2))  # type: ignore[index]
    assert app.userlist.full_text_at(5, y_long) == LONG
    assert app.userlist.full_text_at(5, y_bob) is None
    tip = app.userlist.tooltip
    tip._where = (5, y_long, lb.winfo_rootx() + 5, lb.winfo_rooty() + 5)
    tip.show_now()
    app.root.update()
    assert tip.window is not None and tip.window.winfo_viewable()
    assert tip.label is not None and tip.label.cget("text") == LONG
    tip.hide()
    app.root.update()
    assert not tip.window.winfo_viewable()

    # The sash widens the list: the name is shown whole.
    panes = app.window.panes
    panes.sashpos(0, panes.winfo_width() // 3)  # type: ignore[no-untyped-call]
    app.root.update()
    assert rows(app)[1] == LONG


@pytest.fixture
def root() -> Iterator[tk.Tk]:
    root = tk.Tk(className="desktopchat")
    install_error_recorder(root)
    yield root
    with contextlib.suppress(tk.TclError):
        root.destroy()


def test_the_list_width_is_saved_and_restored(
    root: tk.Tk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESKTOPCHAT_HOME", str(tmp_path))
    saved: list[Settings] = []
    app = ChatApp(root, Settings(geometry="800x500+0+0", userlist_width=260), save=saved.append)
    root.update()
    assert abs(app.userlist.winfo_width() - 260) <= 2
    panes = app.window.panes
    panes.sashpos(0, panes.winfo_width() - 180)  # type: ignore[no-untyped-call]
    root.update()
    dragged = app.userlist.winfo_width()
    assert abs(dragged - 180) <= 8  # less the sash's thickness
    app.quit()
    assert saved[-1].userlist_width == dragged
