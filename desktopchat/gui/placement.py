"""Where a dialog opens: centred over its owner, or on the screen when the owner is not shown.

One rule for every dialog of ours (the login and host forms, the trust and
identity-changed questions, Room info): measured after layout, centred across,
``1/down`` of the way down (a third looks centred to the eye), never off the
top-left of the screen; then shown and raised.
"""

from __future__ import annotations

import tkinter as tk

__all__ = ["show_centred"]


def show_centred(window: tk.Toplevel, owner: tk.Misc, *, over_owner: bool, down: int = 3) -> None:
    """Show ``window`` centred over ``owner`` (if ``over_owner`` and it is shown) or the screen."""
    window.update_idletasks()  # sizes are known only after layout
    width, height = window.winfo_reqwidth(), window.winfo_reqheight()
    if over_owner and owner.winfo_ismapped():
        x = owner.winfo_rootx() + (owner.winfo_width() - width) // 2
        y = owner.winfo_rooty() + (owner.winfo_height() - height) // down
    else:
        x = (window.winfo_screenwidth() - width) // 2
        y = (window.winfo_screenheight() - height) // 3
    window.geometry(f"+{max(x, 0)}+{max(y, 0)}")
    window.deiconify()
    window.lift()
