"""The user list marks members the room says are not encrypted: "name (unencrypted)"."""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont

import pytest

from desktopchat.gui.userlist import UserPanel

pytestmark = pytest.mark.gui


def _rows(panel: UserPanel) -> list[str]:
    return list(panel.listbox.get(0, "end"))


def test_unencrypted_members_are_marked_and_follow_renames_and_leaves(tk_root: tk.Tk) -> None:
    panel = UserPanel(tk_root, on_pick=lambda name: None, list_font=tkfont.Font(size=10))
    panel.set_own("ann")
    panel.set_names(["ann", "bob", "carl"], {"bob"})
    assert _rows(panel) == ["ann (you)", "bob (unencrypted)", "carl"]
    assert panel.names() == ["ann", "bob", "carl"]
    panel.add("dora", unencrypted=True)
    panel.rename("bob", "bobby")
    assert _rows(panel) == ["ann (you)", "bobby (unencrypted)", "carl", "dora (unencrypted)"]
    panel.remove("dora")
    panel.add("dora")  # back with an encrypted connection
    assert _rows(panel)[-1] == "dora"
    panel.set_names(["ann", "carl"])
    assert _rows(panel) == ["ann (you)", "carl"]


def test_in_a_narrow_list_the_name_comes_first_and_the_tooltip_has_it_all(tk_root: tk.Tk) -> None:
    panel = UserPanel(tk_root, on_pick=lambda name: None, list_font=tkfont.Font(size=10))
    panel.pack(fill="both", expand=True)
    tk_root.geometry("110x200")
    panel.set_names(["bob", "carl"], {"bob"})
    tk_root.update()
    shown = _rows(panel)[0]
    assert shown.startswith("bob (") and shown.endswith("…")
    box = panel.listbox.bbox(0)
    assert box is not None
    y = box[1] + 2
    assert panel.full_text_at(0, y) == "bob (unencrypted)"
