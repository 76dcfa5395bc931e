"""Entry script of the PyInstaller build (``build.spec``): the frozen app's ``__main__``.

It exists so the executable imports ``desktopchat`` as a package, exactly as
``python -m desktopchat`` does. Handing PyInstaller ``desktopchat/__main__.py``
itself would also put the package's own directory on the module search path,
so ``protocol``, ``server``, ``gui`` ... become importable as top-level modules
too -- a second copy of each, waiting for a stray import to pick the wrong one.
"""

from __future__ import annotations

import sys

from desktopchat.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
