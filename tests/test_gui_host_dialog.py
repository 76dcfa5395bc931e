"""Host dialog: the pure validation step, then the real dialog under Xvfb."""

from __future__ import annotations

import logging
import tkinter as tk
from tkinter import ttk

import pytest
from waiting import wait_until

from desktopchat.gui.host import HostDialog, HostValues, ask_host, size_field, validate_host
from desktopchat.gui.login import LoginError
from desktopchat.protocol import InvalidName, validate_name

IN_USE = "Port 1234 is already in use. Choose another port, or 0 for any free port."

# --- pure validation ---------------------------------------------------------------


def test_valid_host_values() -> None:
    assert validate_host(" ann ", " 1234 ", "") == HostValues("ann", 1234, "")
    assert validate_host("ann", "0", "pw ") == HostValues("ann", 0, "pw ")  # 0 = any free port
    assert validate_host("ann", "65535", "").port == 65535


def test_largest_file_and_who_may_send() -> None:
    values = validate_host("ann", "1234", "", max_file_size="500M", files_only_me=True)
    assert (values.max_file_size, values.files_only_me) == (500 * 1024**2, True)
    assert validate_host("ann", "1234", "", max_file_size=" 0 ").max_file_size == 0  # no files
    assert validate_host("ann", "1234", "").max_file_size == 2 * 1024**3
    with pytest.raises(LoginError) as caught:
        validate_host("ann", "1234", "", max_file_size="lots")
    assert caught.value.field == "files" and "500M" in str(caught.value)
    assert [size_field(n) for n in (0, 2 * 1024**3, 500 * 1024**2, 64 * 1024, 1000)] == [
        "0",
        "2G",
        "500M",
        "64K",
        "1000",
    ]


@pytest.mark.parametrize(
    ("port", "words"),
    [
        ("", "Type a port number"),
        ("  ", "Type a port number"),
        ("65536", "from 0 to 65535, got 65536"),
        ("-1", "must be a number"),
        ("12ab", "must be a number"),
        ("1 2", "must be a number"),
    ],
)
def test_bad_ports(port: str, words: str) -> None:
    with pytest.raises(LoginError) as info:
        validate_host("ann", port, "")
    assert info.value.field == "port"
    assert words in str(info.value)


@pytest.mark.parametrize("name", ["", "ann lee", "*host", "x" * 33])
def test_bad_names_carry_the_rule_sentence(name: str) -> None:
    with pytest.raises(InvalidName) as rule:
        validate_name(name)
    with pytest.raises(LoginError) as info:
        validate_host(name, "bad port too: the name is checked first", "")
    assert info.value.field == "name"
    assert str(info.value) == str(rule.value)


def test_bad_password() -> None:
    with pytest.raises(LoginError) as info:
        validate_host("ann", "1234", "two\nlines")
    assert info.value.field == "password"


# --- the dialog ----------------------------------------------------------------------


@pytest.fixture
def root(tk_root: tk.Tk) -> tk.Tk:
    """The shared Tk root (fails the test if a callback raised), as a visible master."""
    tk_root.geometry("600x400+50+50")
    tk_root.update()
    return tk_root


class FakeStart:
    """Stands in for starting the server: answers from a script, records calls."""

    def __init__(self, *answers: str | None) -> None:
        self.answers = list(answers)
        self.calls: list[HostValues] = []

    def __call__(self, values: HostValues) -> str | None:
        self.calls.append(values)
        return self.answers.pop(0)


def press(root: tk.Tk, widget: tk.Misc, sequence: str) -> None:
    widget.focus_force()
    root.update()
    widget.event_generate(sequence)
    root.update()


def set_text(entry: ttk.Entry, text: str) -> None:
    entry.delete(0, "end")
    entry.insert(0, text)


pytestmark = pytest.mark.gui


def test_initial_values_title_and_note(root: tk.Tk) -> None:
    start = FakeStart()
    dialog = HostDialog(root, HostValues("ann", 1234, "pw"), start)
    root.update()
    assert dialog.title() == "Host a room — desktopchat"
    assert dialog.name_entry.get() == "ann"
    assert dialog.port_entry.get() == "1234"
    assert dialog.password_entry.get() == "pw"
    assert dialog.password_entry.cget("show") == "•"
    texts = [str(w.cget("text")) for w in dialog.body.winfo_children() if isinstance(w, ttk.Label)]
    assert "After starting, the window shows an invitation to copy and send." in texts
    assert dialog.error_text == ""
    wait_until(lambda: dialog.grab_status() == "local", root=root)
    dialog.cancel()
    assert start.calls == []


def test_start_error_keeps_dialog_open_then_success_closes(root: tk.Tk) -> None:
    start = FakeStart(IN_USE, None)
    dialog = HostDialog(root, HostValues("ann", 1234, "pw"), start)
    press(root, dialog.name_entry, "<Return>")
    # The server could not start: the reason is shown, nothing is lost.
    assert start.calls == [HostValues("ann", 1234, "pw")]
    assert (dialog.winfo_exists(), dialog.result) == (True, None)
    assert dialog.error_text == IN_USE
    assert dialog.error_label.winfo_ismapped()
    assert (dialog.name_entry.get(), dialog.password_entry.get()) == ("ann", "pw")
    assert dialog.focus_get() is dialog.port_entry  # the usual culprit, selected
    assert dialog.port_entry.selection_present()
    # The user picks another port and tries again: now it starts and closes.
    set_text(dialog.port_entry, "0")
    press(root, dialog.port_entry, "<Return>")
    assert start.calls[-1] == HostValues("ann", 0, "pw")
    assert dialog.result == HostValues("ann", 0, "pw")
    assert not dialog.winfo_exists()


def test_invalid_values_never_reach_start(root: tk.Tk) -> None:
    start = FakeStart(None)
    dialog = HostDialog(root, HostValues("", 1234, ""), start)
    press(root, dialog.port_entry, "<Return>")
    assert "empty" in dialog.error_text
    assert dialog.focus_get() is dialog.name_entry
    set_text(dialog.name_entry, "ann")
    set_text(dialog.port_entry, "70000")
    dialog.ok_button.invoke()
    root.update()
    assert "from 0 to 65535" in dialog.error_text
    assert dialog.focus_get() is dialog.port_entry
    assert start.calls == []
    assert dialog.winfo_exists() and dialog.result is None
    dialog.cancel()


@pytest.mark.allow_error_log
def test_start_that_raises_is_shown_not_swallowed(
    root: tk.Tk, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(values: HostValues) -> str | None:
        raise RuntimeError("selector exploded")

    dialog = HostDialog(root, HostValues("ann", 1234, ""), broken)
    with caplog.at_level(logging.ERROR, logger="desktopchat.gui.host"):
        press(root, dialog.name_entry, "<Return>")
    assert dialog.winfo_exists() and dialog.result is None
    assert dialog.error_text == "Could not start the room: selector exploded"
    assert "selector exploded" in caplog.text  # the traceback is logged
    dialog.cancel()


def test_escape_cancels_without_starting(root: tk.Tk) -> None:
    start = FakeStart()
    dialog = HostDialog(root, HostValues("ann", 1234, ""), start)
    press(root, dialog.port_entry, "<Escape>")
    assert dialog.result is None
    assert not dialog.winfo_exists()
    assert start.calls == []


def test_ask_host_waits_for_the_answer(root: tk.Tk) -> None:
    start = FakeStart(None)

    def answer() -> None:
        [dialog] = [w for w in root.winfo_children() if isinstance(w, HostDialog)]
        press(root, dialog.name_entry, "<Return>")

    root.after(50, answer)
    assert ask_host(root, HostValues("ann", 4321, ""), start) == HostValues("ann", 4321, "")
    assert start.calls == [HostValues("ann", 4321, "")]


def test_largest_file_and_only_me_reach_start(root: tk.Tk) -> None:
    start = FakeStart(None)
    dialog = HostDialog(root, HostValues("ann", 1234, "", max_file_size=1024**3), start)
    assert dialog.files_entry.get() == "1G"
    assert not dialog.files_only_me.get()
    set_text(dialog.files_entry, "nonsense")
    press(root, dialog.files_entry, "<Return>")
    assert start.calls == [] and "Largest file" in dialog.error_text
    assert dialog.focus_get() is dialog.files_entry
    set_text(dialog.files_entry, "20M")
    dialog.only_me_radio.invoke()
    press(root, dialog.files_entry, "<Return>")
    assert start.calls == [
        HostValues("ann", 1234, "", max_file_size=20 * 1024**2, files_only_me=True)
    ]
