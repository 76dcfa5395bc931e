"""The X CLIPBOARD owned by another program (xclip), and drops, for paste and drop tests.

:func:`clipboard_owner` starts ``xclip -quiet`` (it stays in the foreground,
so the test can end it) offering bytes of one type, and returns once the X
server says xclip owns the clipboard with that type.

:func:`drop_uris` drops files the way tkdnd receives them on X11: its C code
hands XdndEnter, XdndPosition and XdndDrop to ``tkdnd::xdnd::HandleXdnd*``,
and at the drop tkdnd asks for the data through the ``XdndSelection``. The
helper calls those same handlers and owns ``XdndSelection`` with the
``text/uri-list`` a file manager offers, so everything from the XDND layer
up (type matching, the selection transfer, URI decoding, the bindings) is
the package's real path.
"""

from __future__ import annotations

import contextlib
import subprocess
import tkinter as tk
from collections.abc import Iterator

from waiting import wait_until


def _targets(widget: tk.Misc) -> str:
    try:
        return str(widget.clipboard_get(type="TARGETS"))
    except tk.TclError:
        return ""


@contextlib.contextmanager
def clipboard_owner(data: bytes, target: str) -> Iterator[None]:
    """xclip owns the CLIPBOARD with ``data`` as ``target`` while in the block."""
    owner = subprocess.Popen(
        ["xclip", "-quiet", "-selection", "clipboard", "-t", target, "-i"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert owner.stdin is not None
        owner.stdin.write(data)
        owner.stdin.close()
        probe = tk.Tk()  # its own interpreter: asks the X server like any program
        try:
            wait_until(
                lambda: target in _targets(probe), what="xclip owns the clipboard", root=probe
            )
        finally:
            probe.destroy()
        yield
    finally:
        owner.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            owner.wait(timeout=5)


def drop_uris(root: tk.Tk, over: tk.Misc, uris: str, *, update: bool = True) -> str:
    """Drop ``uris`` (a text/uri-list) at the middle of ``over``; tkdnd's answer (the action)."""
    root.update()
    served = root.register(lambda offset, most: uris[int(offset) : int(offset) + int(most)])
    root.tk.call("selection", "handle", "-selection", "XdndSelection", "-type", "text/uri-list",
                 ".", served)  # fmt: skip
    root.tk.call("selection", "own", "-selection", "XdndSelection", ".")
    source = root.winfo_id()  # "the drag source is in this application": Tk's own selection get
    x = over.winfo_rootx() + over.winfo_width() // 2
    y = over.winfo_rooty() + over.winfo_height() // 2
    root.tk.call("tkdnd::xdnd::HandleXdndEnter", str(root), source, ("text/uri-list",), 0)
    root.tk.call("tkdnd::xdnd::HandleXdndPosition", str(root), x, y, 0, source)
    action = str(root.tk.call("tkdnd::xdnd::HandleXdndDrop", 0))
    if update:
        root.update()
    return action
