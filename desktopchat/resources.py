"""Find the files shipped with desktopchat (the app icon) however it was started.

The icon lives in the repository's top-level ``assets/`` directory, and the
builds copy it next to the code (see ``tools/make_icons.py`` for how it is
drawn). :func:`assets_dir` looks in this order and returns the first directory
that really holds the icon (so an unrelated ``assets`` folder never matches):

1. **frozen** (PyInstaller): ``sys._MEIPASS / "assets"`` -- ``build.spec``
   bundles ``assets/`` there, for one-file and one-folder builds alike;
2. **installed wheel**: ``desktopchat/assets`` inside the package -- hatchling's
   ``force-include`` in ``pyproject.toml`` puts it there;
3. **source checkout**, including an editable install (``pip install -e .``,
   whose package directory *is* the checkout's ``desktopchat/``):
   ``<repo>/assets``.

The package directory is tried before the repository root because, for a wheel
in ``site-packages``, "the package's parent" is ``site-packages`` itself, where
another project's ``assets`` folder may sit.

Paths are real files on disk in all three cases (Tk's ``PhotoImage(file=...)``
needs one), so no ``importlib.resources`` extraction is involved. This module
must not import tkinter: the GUI turns these paths into images.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

log = logging.getLogger(__name__)

#: A file every real assets directory holds; a candidate without it is skipped.
MARKER = "icon-32.png"

#: Icon PNG names: ``icon-<pixels>.png``.
_ICON_RE = re.compile(r"icon-(\d+)\.png")

_PACKAGE_DIR = Path(__file__).resolve().parent


def _candidates() -> list[Path]:
    found: list[Path] = []
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        found.append(Path(bundle) / "assets")
    found.append(_PACKAGE_DIR / "assets")
    found.append(_PACKAGE_DIR.parent / "assets")
    # Frozen, the package's parent *is* the bundle root: name each place once.
    return list(dict.fromkeys(found))


def assets_dir() -> Path:
    """Return the directory holding the icon files.

    Raises :class:`FileNotFoundError` (naming every place looked at) when the
    installation is broken and none of them has the icon.
    """
    candidates = _candidates()
    for candidate in candidates:
        if (candidate / MARKER).is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise FileNotFoundError(f"desktopchat assets not found (looked in: {tried})")


def icon_paths() -> list[Path]:
    """Return the icon PNGs, largest first (the order ``iconphoto`` prefers)."""
    sized: list[tuple[int, Path]] = []
    for path in assets_dir().iterdir():
        match = _ICON_RE.fullmatch(path.name)
        if match:
            sized.append((int(match.group(1)), path))
    sized.sort(reverse=True)
    return [path for _, path in sized]


def ico_path() -> Path:
    """Return the multi-size Windows ``.ico`` (for builds and Windows tooling)."""
    return assets_dir() / "desktopchat.ico"
