"""Login dialog: the pure validation step, then the real dialog under Xvfb."""

from __future__ import annotations

import tkinter as tk

import pytest
from waiting import wait_until

from desktopchat import address as address_rules
from desktopchat.address import AddressError
from desktopchat.gui.login import (
    DEFAULT_PORT,
    LoginDialog,
    LoginError,
    LoginValues,
    ask_login,
    parse_address,
    parse_port,
    validate_login,
)
from desktopchat.net.invite import parse_join_target
from desktopchat.protocol import InvalidName, validate_name

# --- pure validation ---------------------------------------------------------------


def rule_message(name: str) -> str:
    """The sentence the shared name rules give for ``name``."""
    with pytest.raises(InvalidName) as info:
        validate_name(name)
    return str(info.value)


def test_valid_login_is_canonical() -> None:
    values = validate_login("  ann  ", " 192.168.1.23:1234 ", "")
    assert values == LoginValues("ann", "192.168.1.23", 1234, "")


def test_password_kept_exactly_as_typed() -> None:
    assert validate_login("ann", "h", " s3cret ").password == " s3cret "


# The address rules themselves are tested in test_address.py; here, that the
# dialog's validation uses them and maps their errors to its fields.


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("chat.example.org", ("chat.example.org", DEFAULT_PORT)),
        ("[::1]:4000", ("::1", 4000)),
        ("fe80::1", ("fe80::1", DEFAULT_PORT)),
        ("python -m desktopchat --join 192.168.1.23:1235", ("192.168.1.23", 1235)),
    ],
)
def test_addresses(address: str, expected: tuple[str, int]) -> None:
    assert parse_address(address) == expected
    values = validate_login("ann", address, "")
    assert (values.host, values.port) == expected


@pytest.mark.parametrize(
    "address",
    ["", "host:0", "host:abc", "host:", "http://host:1234", "ho$t", "[::1", "fe80::1:99999"],
)
def test_bad_addresses_are_address_field_errors(address: str) -> None:
    with pytest.raises(AddressError) as rule:
        address_rules.parse_address(address)
    with pytest.raises(AddressError) as link_rule:  # the join dialog also takes links
        parse_join_target(address)
    for call, expected in (
        (lambda: validate_login("ann", address, ""), link_rule),
        (lambda: parse_address(address), rule),
    ):
        with pytest.raises(LoginError) as info:
            call()
        assert info.value.field == "address"
        assert str(info.value) == str(expected.value)


def test_port_errors_name_the_callers_field() -> None:
    assert parse_port("0", allow_zero=True, field="port") == 0
    with pytest.raises(LoginError) as info:
        parse_port("0", field="port")
    assert info.value.field == "port"
    assert "from 1 to 65535, got 0" in str(info.value)
    with pytest.raises(LoginError) as info:
        parse_port("x")
    assert info.value.field == "address"


@pytest.mark.parametrize("name", ["", "   ", "ann lee", "*bot", "@ann", "/me", "x" * 33, "a\x07"])
def test_bad_names_carry_the_rule_sentence(name: str) -> None:
    with pytest.raises(LoginError) as info:
        validate_login(name, "not checked yet because the name comes first", "")
    assert info.value.field == "name"
    assert str(info.value) == rule_message(name)


def test_name_rule_sentences_are_for_people() -> None:
    assert "empty" in rule_message("")
    assert "spaces" in rule_message("ann lee")
    assert "too long" in rule_message("x" * 33)
    assert "must not start with" in rule_message("*bot")


@pytest.mark.parametrize("password", ["line\nbreak", "x" * 70_000])
def test_bad_passwords(password: str) -> None:
    with pytest.raises(LoginError) as info:
        validate_login("ann", "host", password)
    assert info.value.field == "password"


# --- the dialog ----------------------------------------------------------------------


@pytest.fixture
def root(tk_root: tk.Tk) -> tk.Tk:
    """The shared Tk root (fails the test if a callback raised), as a visible master."""
    tk_root.geometry("600x400+50+50")
    tk_root.update()
    return tk_root


def press(root: tk.Tk, widget: tk.Misc, sequence: str) -> None:
    widget.focus_force()
    root.update()
    widget.event_generate(sequence)
    root.update()


def focus_widget(dialog: LoginDialog) -> tk.Misc:
    """The widget that has the keyboard when the dialog has it (Tk's ``focus -lastfor``)."""
    widget: tk.Misc = dialog.nametowidget(dialog.tk.call("focus", "-lastfor", str(dialog)))
    return widget


def fill(dialog: LoginDialog, name: str, address: str, password: str = "") -> None:
    for entry, text in (
        (dialog.name_entry, name),
        (dialog.address_entry, address),
        (dialog.password_entry, password),
    ):
        entry.delete(0, "end")
        entry.insert(0, text)


pytestmark = pytest.mark.gui


@pytest.mark.gui
def test_return_gives_the_result(root: tk.Tk) -> None:
    dialog = LoginDialog(root)
    assert dialog.title() == "Join a room — desktopchat"
    fill(dialog, "ann", "[::1]:4000", "pw")
    press(root, dialog.password_entry, "<Return>")
    assert dialog.result == LoginValues("ann", "::1", 4000, "pw")
    assert not dialog.winfo_exists()


@pytest.mark.gui
def test_typed_keys_and_keypad_enter(root: tk.Tk) -> None:
    dialog = LoginDialog(root, LoginValues("", "10.0.0.5", 1234, ""))
    entry = dialog.name_entry
    entry.focus_force()
    root.update()
    for key in "bob":
        entry.event_generate("<KeyPress>", keysym=key)
    root.update()
    assert entry.get() == "bob"
    entry.event_generate("<KP_Enter>")
    root.update()
    assert dialog.result == LoginValues("bob", "10.0.0.5", 1234, "")


@pytest.mark.gui
def test_invalid_name_shows_the_rule_and_stays_open(root: tk.Tk) -> None:
    dialog = LoginDialog(root)
    fill(dialog, "ann lee", "host:1234", "secret")
    press(root, dialog.address_entry, "<Return>")
    assert dialog.winfo_exists()
    assert dialog.result is None
    assert dialog.error_text == rule_message("ann lee")
    assert dialog.error_label.winfo_ismapped()
    # Fields kept; focus moved to the field at fault with its text selected.
    assert (dialog.name_entry.get(), dialog.address_entry.get()) == ("ann lee", "host:1234")
    assert dialog.password_entry.get() == "secret"
    assert dialog.focus_get() is dialog.name_entry
    assert dialog.name_entry.selection_present()
    # Fixing it and pressing Return again connects.
    fill(dialog, "ann_lee", "host:1234", "secret")
    press(root, dialog.name_entry, "<Return>")
    assert dialog.result == LoginValues("ann_lee", "host", 1234, "secret")


@pytest.mark.gui
def test_bad_port_focuses_address(root: tk.Tk) -> None:
    dialog = LoginDialog(root)
    fill(dialog, "ann", "host:99999")
    dialog.ok_button.invoke()
    root.update()
    assert dialog.winfo_exists() and dialog.result is None
    assert "from 1 to 65535" in dialog.error_text
    # The dialog's focus widget, whether or not the X server has given the
    # dialog the keyboard yet (that is up to the X server's timing, not the dialog).
    assert focus_widget(dialog) is dialog.address_entry


@pytest.mark.gui
def test_escape_cancels(root: tk.Tk) -> None:
    dialog = LoginDialog(root, LoginValues("ann", "h", 1, ""))
    press(root, dialog.name_entry, "<Escape>")
    assert dialog.result is None
    assert not dialog.winfo_exists()


@pytest.mark.gui
def test_window_close_cancels(root: tk.Tk) -> None:
    dialog = LoginDialog(root, LoginValues("ann", "h", 1, ""))
    root.update()
    dialog.tk.call(dialog.protocol("WM_DELETE_WINDOW"))
    root.update()
    assert dialog.result is None
    assert not dialog.winfo_exists()


@pytest.mark.gui
def test_return_on_cancel_button_cancels(root: tk.Tk) -> None:
    dialog = LoginDialog(root, LoginValues("ann", "h", 1, ""))
    press(root, dialog.cancel_button, "<Return>")
    assert dialog.result is None
    assert not dialog.winfo_exists()


@pytest.mark.gui
def test_initial_values_and_error_shown(root: tk.Tk) -> None:
    error = "Could not connect: connection refused"
    dialog = LoginDialog(root, LoginValues("ann", "fe80::1", 4000, "pw"), error)
    root.update()
    assert dialog.name_entry.get() == "ann"
    assert dialog.address_entry.get() == "[fe80::1]:4000"
    assert dialog.password_entry.get() == "pw"
    assert dialog.password_entry.cget("show") == "•"  # bullets, not the password
    assert dialog.error_text == error
    assert dialog.error_label.winfo_ismapped()
    # Unchanged values go straight back on Return.
    press(root, dialog.name_entry, "<Return>")
    assert dialog.result == LoginValues("ann", "fe80::1", 4000, "pw")


@pytest.mark.gui
def test_no_error_line_without_error(root: tk.Tk) -> None:
    dialog = LoginDialog(root)
    root.update()
    assert dialog.error_text == ""
    assert not dialog.error_label.winfo_ismapped()
    dialog.cancel()


@pytest.mark.gui
@pytest.mark.parametrize(
    ("initial", "focused"),
    [
        (None, "name_entry"),
        (LoginValues("", "h", 1, ""), "name_entry"),
        (LoginValues("ann", "h", 1, ""), "password_entry"),
        (LoginValues("ann", "h", 1, "pw"), "name_entry"),
    ],
)
def test_focus_starts_in_first_empty_field(
    root: tk.Tk, initial: LoginValues | None, focused: str
) -> None:
    dialog = LoginDialog(root, initial)
    root.update()
    assert focus_widget(dialog) is getattr(dialog, focused)
    dialog.cancel()


@pytest.mark.gui
def test_modal_and_centred_over_a_visible_master(root: tk.Tk) -> None:
    dialog = LoginDialog(root)
    wait_until(lambda: dialog.grab_status() == "local", root=root)
    assert str(dialog.transient()) == str(root)
    assert dialog.winfo_viewable()
    centre_x = dialog.winfo_rootx() + dialog.winfo_width() // 2
    centre_y = dialog.winfo_rooty() + dialog.winfo_height() // 2
    assert abs(centre_x - (root.winfo_rootx() + root.winfo_width() // 2)) <= 2
    assert abs(centre_y - (root.winfo_rooty() + root.winfo_height() // 2)) <= 2
    dialog.cancel()
    assert root.grab_current() is None  # type: ignore[no-untyped-call]  # untyped in typeshed


@pytest.mark.gui
def test_shows_over_a_withdrawn_root(root: tk.Tk) -> None:
    root.withdraw()
    root.update()
    dialog = LoginDialog(root)
    wait_until(lambda: bool(dialog.winfo_viewable()), root=root)
    assert str(dialog.transient()) == ""  # transient to a withdrawn root would hide it
    wait_until(lambda: dialog.grab_status() == "local", root=root)
    # On screen, roughly centred horizontally.
    centre_x = dialog.winfo_rootx() + dialog.winfo_width() // 2
    assert abs(centre_x - dialog.winfo_screenwidth() // 2) <= 2
    # Keys still work (the root is withdrawn, the dialog is not).
    fill(dialog, "ann", "h:5")
    press(root, dialog.name_entry, "<Return>")
    assert dialog.result == LoginValues("ann", "h", 5, "")


@pytest.mark.gui
def test_ask_login_waits_for_the_answer(root: tk.Tk) -> None:
    def answer() -> None:
        [dialog] = [w for w in root.winfo_children() if isinstance(w, LoginDialog)]
        fill(dialog, "ann", "host")
        press(root, dialog.name_entry, "<Return>")

    root.after(50, answer)
    assert ask_login(root) == LoginValues("ann", "host", 1234, "")


def refuse_first_grabs(monkeypatch: pytest.MonkeyPatch, count: int) -> list[int]:
    """Make grab_set fail ``count`` times, as it does until a window manager maps the dialog."""
    real = tk.Toplevel.grab_set
    calls: list[int] = []

    def grab_set(self: tk.Toplevel) -> None:
        calls.append(1)
        if len(calls) <= count:
            raise tk.TclError(f'grab failed: window "{self}" not viewable')
        real(self)

    monkeypatch.setattr(LoginDialog, "grab_set", grab_set)
    return calls


@pytest.mark.gui
def test_grab_is_retried_until_the_window_is_viewable(
    root: tk.Tk, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = refuse_first_grabs(monkeypatch, 3)
    dialog = LoginDialog(root)
    wait_until(lambda: dialog.grab_status() == "local", root=root)
    assert len(calls) == 4
    dialog.cancel()


@pytest.mark.gui
def test_destroyed_before_the_grab_leaves_no_pending_callbacks(
    root: tk.Tk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A retry left pending would fire on a dead widget, and Tk reports that to
    # stderr, past report_callback_exception.
    refuse_first_grabs(monkeypatch, 1000)
    LoginDialog(root).destroy()
    assert root.tk.splitlist(root.tk.call("after", "info")) == ()
