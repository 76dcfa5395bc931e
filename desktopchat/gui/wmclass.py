"""What the window system calls our windows: the program name and the window class.

Role: one place for the X11 ``WM_CLASS`` / taskbar grouping names. The root
is created as ``tk.Tk(className=APP_NAME)`` (Tk capitalises it into the class
:data:`WINDOW_CLASS`); every Toplevel (dialogs, help windows) passes
``class_=WINDOW_CLASS``, so a window manager, a taskbar or a ``.desktop``
file's ``StartupWMClass`` sees one program, not "Toplevel" windows.
Window titles end with " — desktopchat" (:data:`APP_NAME`).
"""

from __future__ import annotations

__all__ = ["APP_NAME", "WINDOW_CLASS"]

#: The program's name: the root's className, the end of every window title.
APP_NAME = "desktopchat"

#: The window class of every window (WM_CLASS res_class), as Tk derives it from APP_NAME.
WINDOW_CLASS = "Desktopchat"
