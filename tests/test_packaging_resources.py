"""The icon files and the one function that finds them (source, wheel, frozen).

Fast tests: the layouts of an installed wheel and of a PyInstaller bundle are
imitated in a temporary directory; ``test_packaging.py`` checks the real ones.
"""

from __future__ import annotations

import importlib
import shutil
import sys
from pathlib import Path

import pytest

from desktopchat import resources

REPO = Path(__file__).resolve().parent.parent
PNG_SIZES = (16, 32, 48, 64, 128, 256)


def _copy_assets(dest: Path) -> Path:
    shutil.copytree(REPO / "assets", dest)
    return dest


def test_source_checkout_finds_repo_assets() -> None:
    assert resources.assets_dir() == REPO / "assets"


def test_icon_paths_are_every_png_largest_first() -> None:
    paths = resources.icon_paths()
    assert [p.name for p in paths] == [f"icon-{n}.png" for n in sorted(PNG_SIZES, reverse=True)]
    assert all(p.is_file() for p in paths)


def test_icon_files_have_the_size_in_their_name() -> None:
    pil = pytest.importorskip("PIL.Image")
    for path in resources.icon_paths():
        size = int(path.stem.split("-")[1])
        with pil.open(path) as img:
            assert img.size == (size, size)
            assert img.mode == "RGBA"
            # Transparent corners: an icon, not a square tile.
            assert img.getpixel((0, 0))[3] == 0


def test_ico_holds_every_size() -> None:
    pil = pytest.importorskip("PIL.Image")
    with pil.open(resources.ico_path()) as ico:
        sizes = ico.info["sizes"]
    assert {(n, n) for n in (16, 32, 48, 256)} <= set(sizes)


def test_installed_wheel_layout_prefers_package_assets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # site-packages/desktopchat/assets, with a decoy site-packages/assets beside it.
    package = tmp_path / "site-packages" / "desktopchat"
    package.mkdir(parents=True)
    _copy_assets(package / "assets")
    _copy_assets(tmp_path / "site-packages" / "assets")
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    assert resources.assets_dir() == package / "assets"


def test_unrelated_assets_folder_is_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "desktopchat"
    package.mkdir(parents=True)
    (tmp_path / "site-packages" / "assets").mkdir()  # someone else's
    monkeypatch.setattr(resources, "_PACKAGE_DIR", package)
    with pytest.raises(FileNotFoundError, match="assets not found"):
        resources.assets_dir()


def test_frozen_bundle_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = tmp_path / "_MEI12345"
    _copy_assets(bundle / "assets")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    assert resources.assets_dir() == bundle / "assets"
    assert resources.icon_paths()[0] == bundle / "assets" / "icon-256.png"


def test_make_icons_regenerates_the_same_set(tmp_path: Path) -> None:
    pytest.importorskip("PIL")
    sys.path.insert(0, str(REPO / "tools"))
    try:
        make_icons = importlib.import_module("make_icons")  # tools/ is no package
    finally:
        sys.path.remove(str(REPO / "tools"))
    written = make_icons.write_assets(tmp_path)
    icons = [
        p.name for p in (REPO / "assets").iterdir() if p.name.startswith(("icon-", "desktopchat."))
    ]
    assert sorted(p.name for p in written) == sorted(icons)  # chime.wav: tools/make_chime.py


@pytest.mark.gui
def test_tk_loads_the_icon_from_source() -> None:
    import tkinter as tk

    root = tk.Tk()
    try:
        images = [tk.PhotoImage(master=root, file=str(p)) for p in resources.icon_paths()]
        sizes = [(i.width(), i.height()) for i in images]
        assert sizes == [(n, n) for n in sorted(PNG_SIZES, reverse=True)]
        root.iconphoto(True, *images)  # a bad image would raise TclError here
        root.update()
    finally:
        root.destroy()
