"""FocusKeeper: the message box gets the focus back after a window closes and on activation."""

from __future__ import annotations

import tkinter as tk

import pytest
from waiting import wait_until

from desktopchat.gui.refocus import FocusKeeper

pytestmark = pytest.mark.gui


def focused(root: tk.Tk) -> tk.Misc | None:
    root.update()
    return root.focus_get()


def last_focus(root: tk.Tk) -> str:
    """The widget of the main window that has, or gets, the focus when it has it."""
    root.update()
    return str(root.tk.call("focus", "-lastfor", root))


def in_window_on(root: tk.Tk, widget: tk.Widget) -> None:
    """The window has the focus, on ``widget`` (moved inside the window: no activation)."""
    widget.focus_force()  # activates the window: the keeper moves the focus to the box
    root.update()
    widget.focus_set()
    wait_until(lambda: focused(root) is widget, what=f"{widget} has the focus")


def test_closing_a_dialog_puts_the_focus_in_the_message_box(tk_root: tk.Tk) -> None:
    box, other = tk.Text(tk_root), tk.Entry(tk_root)
    box.pack()
    other.pack()
    keeper = FocusKeeper(tk_root, box)
    in_window_on(tk_root, other)  # what Tk would restore in the main window
    dialog = tk.Toplevel(tk_root)
    field = tk.Entry(dialog)
    field.pack()
    field.focus_force()
    wait_until(lambda: focused(tk_root) is field, what="the dialog has the focus")
    dialog.destroy()
    # Without a window manager nobody gives the window the X focus back: what
    # counts is the widget Tk gives it to when it comes back (a WM does that:
    # test_e2e_focus.py).
    wait_until(lambda: last_focus(tk_root) == str(box), what="focus back in the message box")
    keeper.close()


def test_activation_moves_the_focus_from_elsewhere_to_the_message_box(tk_root: tk.Tk) -> None:
    box, other = tk.Text(tk_root), tk.Entry(tk_root)
    box.pack()
    other.pack()
    keeper = FocusKeeper(tk_root, box)
    in_window_on(tk_root, other)
    tk_root.event_generate("<FocusIn>")  # the window manager activated the window
    wait_until(lambda: focused(tk_root) is box, what="focus in the message box")
    keeper.close()


def test_an_open_dialog_keeps_its_focus(tk_root: tk.Tk) -> None:
    box = tk.Text(tk_root)
    box.pack()
    keeper = FocusKeeper(tk_root, box)
    dialog = tk.Toplevel(tk_root)
    field = tk.Entry(dialog)
    field.pack()
    field.focus_force()
    wait_until(lambda: focused(tk_root) is field, what="the dialog has the focus")
    keeper.refocus()
    assert focused(tk_root) is field
    keeper.close()
    dialog.destroy()
    tk_root.update()
