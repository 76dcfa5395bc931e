"""The import rules of docs/ARCHITECTURE.md, checked on the source (no module is imported).

protocol/ and address -> standard library only (protocol/ may import itself);
server/ and client -> protocol, never gui; only desktopchat/gui imports tkinter;
only __main__ (with serve, historyopts, redisopts), gui and server/ itself import
server; files/ (names, kinds, images) is Tk-free and imports neither gui nor
server nor the client, so the window and the client library may both use it; the slow libraries
(zeroconf, cryptography, Pillow, tkinterdnd2; redis, an optional extra) are imported inside
functions only, never when a module loads (start to window stays fast).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "desktopchat"

#: Modules that import nothing but the standard library (and their own package).
STDLIB_ONLY = ("desktopchat/protocol/", "desktopchat/address.py")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def imported(path: Path) -> set[str]:
    """Absolute names of every module the file imports (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join(base)
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def rel(path: Path) -> str:
    return path.relative_to(PACKAGE.parent).as_posix()


def test_there_are_modules_to_check() -> None:
    names = {rel(p) for p in modules()}
    assert {"desktopchat/address.py", "desktopchat/__main__.py"} <= names
    assert "desktopchat/protocol/server.py" in names


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_import_direction(path: Path) -> None:
    name = rel(path)
    names = imported(path)
    tops = {n.split(".")[0] for n in names}
    # historyopts.py, redisopts.py and serve.py are the command line's too (the options
    # that open saved history or a Redis room; --serve, the headless room).
    command_line = (
        "desktopchat/__main__.py",
        "desktopchat/historyopts.py",
        "desktopchat/redisopts.py",
        "desktopchat/serve.py",
    )
    wiring = name in command_line or name.startswith("desktopchat/gui/")

    if name.startswith(STDLIB_ONLY):
        own = {n for n in names if n.startswith("desktopchat.protocol")}
        others = {n.split(".")[0] for n in names - own}
        assert others <= set(sys.stdlib_module_names) | {"__future__"}, names
    if not name.startswith("desktopchat/gui/"):
        assert not tops & {"tkinter", "_tkinter"}, f"{name} imports tkinter"
    if name.startswith("desktopchat/files/"):
        outside = {
            n
            for n in names
            if n.startswith("desktopchat") and not n.startswith("desktopchat.files")
        }
        assert not outside, f"{name} imports {sorted(outside)}: files/ stands alone"
    if not wiring:
        assert not any(n.startswith("desktopchat.gui") for n in names), f"{name} imports the GUI"
        if not name.startswith("desktopchat/server/"):
            assert not any(n.startswith("desktopchat.server") for n in names), (
                f"{name} imports the server"
            )


#: Libraries slow to import: only inside a function (or under TYPE_CHECKING).
LAZY_ONLY = frozenset({"zeroconf", "cryptography", "PIL", "tkinterdnd2", "redis"})


def module_level_imports(tree: ast.Module) -> set[str]:
    """Top-level names of what a module imports when it loads (TYPE_CHECKING blocks aside)."""
    found: set[str] = set()
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                pending.extend(node.body)
            pending.extend(node.orelse)
        elif isinstance(node, ast.Try):
            pending.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                pending.extend(handler.body)
        elif isinstance(node, ast.With):
            pending.extend(node.body)
    return found


@pytest.mark.parametrize("path", modules(), ids=rel)
def test_slow_libraries_are_imported_lazily(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    eager = module_level_imports(tree) & LAZY_ONLY
    assert not eager, f"{rel(path)} imports {sorted(eager)} when it loads: import inside a function"
