"""The X CLIPBOARD owned by another program (xclip), for paste tests.

:func:`clipboard_owner` starts ``xclip -quiet`` (it stays in the foreground,
so the test can end it) offering bytes of one type, and returns once the X
server says xclip owns the clipboard with that type.
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
