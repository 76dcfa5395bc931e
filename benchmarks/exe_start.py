"""How long from launch until the first desktopchat window is on screen.

Run by hand (Linux, needs Xvfb and PyInstaller from the ``dev`` extra)::

    python benchmarks/exe_start.py              # builds both executables first
    python benchmarks/exe_start.py --no-build --dist /tmp/desktopchat-bench
    python benchmarks/exe_start.py --runs 9

It builds the one-file and the one-folder executable with ``build.spec`` (into
``--dist``, default a fixed directory under the system temp dir), starts a
private Xvfb, then launches each variant -- the one-file executable, the
one-folder executable and ``python -m desktopchat`` -- ``--runs`` times,
interleaved, after one unmeasured warm-up run each, and prints the median,
min and max time to the first mapped window whose title starts with
"desktopchat" (the main window; the login dialog follows it within a frame).

Timing is taken from X events, not ``xdotool search --sync``: that polls only
every half second, which is coarser than what is being measured. A small
libX11 client (ctypes) watches the root window for MapNotify and reads each
new window's WM_NAME. Every run uses a fresh empty HOME and
``DESKTOPCHAT_HOME``, so saved settings never change what opens.

Targets (issue 4): one-file <= 0.7 s, one-folder <= 0.3 s.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MAP_NOTIFY = 19
SUBSTRUCTURE_NOTIFY_MASK = 1 << 19


class _XMapEvent(ctypes.Structure):
    # The head of XEvent for a MapNotify; XEvent itself is 24 longs.
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("event", ctypes.c_ulong),
        ("window", ctypes.c_ulong),
        ("override_redirect", ctypes.c_int),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("type", ctypes.c_int), ("xmap", _XMapEvent), ("pad", ctypes.c_long * 24)]


class MapWatcher:
    """Report when a top-level window with a matching WM_NAME gets mapped."""

    def __init__(self, display: str) -> None:
        lib = ctypes.util.find_library("X11")
        if not lib:
            raise SystemExit("libX11 not found")
        x = ctypes.CDLL(lib)
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        x.XConnectionNumber.argtypes = [ctypes.c_void_p]
        x.XPending.argtypes = [ctypes.c_void_p]
        x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.POINTER(_XEvent)]
        x.XFetchName.argtypes = [
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.POINTER(ctypes.c_char_p),
        ]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XSetErrorHandler.restype = ctypes.c_void_p
        self._x = x
        # A window may be gone before we read its name; ignore X errors.
        self._on_error = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(
            lambda d, e: 0
        )
        x.XSetErrorHandler(self._on_error)
        self._d = x.XOpenDisplay(display.encode())
        if not self._d:
            raise SystemExit(f"cannot open display {display}")
        x.XSelectInput(self._d, x.XDefaultRootWindow(self._d), SUBSTRUCTURE_NOTIFY_MASK)
        x.XSync(self._d, 0)
        self._fd = x.XConnectionNumber(self._d)

    def _name(self, window: int) -> str:
        raw = ctypes.c_char_p()
        if not self._x.XFetchName(self._d, window, ctypes.byref(raw)) or not raw.value:
            return ""
        name = raw.value.decode("latin-1")
        self._x.XFree(raw)
        return name

    def drain(self) -> None:
        self._x.XSync(self._d, 0)
        event = _XEvent()
        while self._x.XPending(self._d):
            self._x.XNextEvent(self._d, ctypes.byref(event))

    def wait_mapped(self, pattern: re.Pattern[str], timeout: float) -> float:
        """Return ``time.perf_counter()`` when a matching window was mapped."""
        deadline = time.perf_counter() + timeout
        event = _XEvent()
        while True:
            while self._x.XPending(self._d):
                self._x.XNextEvent(self._d, ctypes.byref(event))
                if event.type == MAP_NOTIFY:
                    seen = time.perf_counter()
                    if pattern.search(self._name(event.xmap.window)):
                        return seen
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError("no desktopchat window appeared")
            select.select([self._fd], [], [], left)


def build(dist: Path) -> dict[str, Path]:
    """Build both executables with build.spec; return variant -> program path."""
    for variant, extra in (("one-file", []), ("one-folder", ["--", "--onedir"])):
        target = dist / variant
        print(f"building {variant} into {target} ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "PyInstaller", str(REPO / "build.spec"), "--noconfirm",
             "--log-level", "WARN", "--distpath", str(target),
             "--workpath", str(dist / f"work-{variant}"), *extra],
            check=True,
        )  # fmt: skip
    return programs(dist)


def programs(dist: Path) -> dict[str, Path]:
    return {
        "one-file": dist / "one-file" / "desktopchat",
        "one-folder": dist / "one-folder" / "desktopchat" / "desktopchat",
    }


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    for number in range(140, 200):
        if Path(f"/tmp/.X{number}-lock").exists():
            continue
        display = f":{number}"
        proc = subprocess.Popen(
            ["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return proc, display
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
    raise SystemExit("could not start Xvfb")


def measure_once(command: list[str], display: str, watcher: MapWatcher) -> float:
    pattern = re.compile(r"^desktopchat")
    with tempfile.TemporaryDirectory(prefix="dc-bench-") as home:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "DISPLAY": display,
            "DESKTOPCHAT_HOME": home,
            # The first start's join dialog browses for rooms: not on this
            # machine's real network (benchmarks send no multicast).
            "DESKTOPCHAT_NO_DISCOVERY": "1",
        }
        watcher.drain()
        start = time.perf_counter()
        proc = subprocess.Popen(
            command,
            cwd=home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            mapped = watcher.wait_mapped(pattern, timeout=60)
        finally:
            # SIGTERM, not SIGKILL: the one-file bootloader forwards it to the app
            # and then removes its unpacked temporary directory.
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return mapped - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dist", type=Path, default=Path(tempfile.gettempdir()) / "desktopchat-bench"
    )
    parser.add_argument("--no-build", action="store_true", help="reuse executables in --dist")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    if shutil.which("Xvfb") is None:
        raise SystemExit("needs Xvfb")
    exes = programs(args.dist) if args.no_build else build(args.dist)
    variants: dict[str, list[str]] = {name: [str(path)] for name, path in exes.items()}
    variants["python -m desktopchat"] = [sys.executable, "-m", "desktopchat"]

    xvfb, display = start_xvfb()
    try:
        watcher = MapWatcher(display)
        times: dict[str, list[float]] = {name: [] for name in variants}
        for command in variants.values():  # warm-up: page cache, .pyc files
            measure_once(command, display, watcher)
        for _ in range(args.runs):
            for name, command in variants.items():
                times[name].append(measure_once(command, display, watcher))
    finally:
        xvfb.terminate()
        xvfb.wait()

    print(f"\nstart to first window mapped, {args.runs} runs each (seconds)\n")
    print(f"{'variant':<24} {'median':>7} {'min':>7} {'max':>7}  size")
    for name, values in times.items():
        size = ""
        if name in exes:
            target = exes[name] if name == "one-file" else exes[name].parent
            size = f"{size_of(target) / 1e6:.1f} MB"
        print(
            f"{name:<24} {statistics.median(values):7.3f} {min(values):7.3f}"
            f" {max(values):7.3f}  {size}"
        )


if __name__ == "__main__":
    main()
