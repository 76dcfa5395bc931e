"""Files and pictures without Tk: safe names, kinds of files, image conversions.

Role: what both the window (``desktopchat.gui``) and the client library may
need about a file someone offers: :mod:`.names` (a received name made safe to
save, a path that never overwrites), :mod:`.kinds` (its MIME type, whether it
is a picture we show or a program we never open) and :mod:`.images`
(thumbnails and PNG conversion with Pillow, imported lazily, bounded against
decompression bombs). Standard library only at import time; no Tk, no I/O but
what a function's docstring says.
"""
