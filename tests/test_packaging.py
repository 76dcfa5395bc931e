"""The shipped artefacts: the wheel and the executable built from ``build.spec``.

These build things, so they are ``slow``; they still run in CI. The executable
is built once per module (about 15-20 s) into a temporary dist/work path and
then started the way a user starts it: from a fresh empty directory, with a
minimal environment (PATH, HOME pointing at a temporary directory, the display).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import importlib.util
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from guitools import find_windows
from peer import Peer
from test_e2e import hosted_port

from desktopchat import __version__
from desktopchat.client import ChatClient
from desktopchat.net.tls import client_context, fingerprint_of
from desktopchat.protocol import events
from desktopchat.protocol import events as ev

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
ICON_PNGS = [f"icon-{n}.png" for n in (16, 32, 48, 64, 128, 256)]
BUILD_TIMEOUT = 600
#: Generous: a one-file start unpacks ~10 MB, slower on a loaded CI machine.
START_TIMEOUT = 60


# --- the wheel ------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # Reuse an installed hatchling (no network needed); else pip fetches it.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", *isolation,
         "-w", str(out), "-q"],
        check=True,
        timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    (built,) = out.glob("desktopchat-*.whl")
    return built


def test_wheel_ships_the_assets_inside_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for name in [*ICON_PNGS, "desktopchat.ico"]:
        assert f"desktopchat/assets/{name}" in names
    assert not any(n.startswith("assets/") for n in names), "assets must not be top-level"


def test_installed_wheel_finds_its_own_icon(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), "-q",
         str(wheel)],
        check=True,
        timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    # -S: no site-packages, so the editable checkout cannot answer instead.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from desktopchat import resources;"
        "print(resources.assets_dir()); print(resources.icon_paths()[0])"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", code, str(target)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assets, largest = proc.stdout.split("\n")[:2]
    assert Path(assets) == target / "desktopchat" / "assets"
    assert Path(largest) == target / "desktopchat" / "assets" / "icon-256.png"


# --- the executable -------------------------------------------------------------


@pytest.fixture(scope="module")
def exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one-file executable, built with the repository's build.spec."""
    base = tmp_path_factory.mktemp("pyinstaller")
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", str(REPO / "build.spec"), "--noconfirm",
         "--distpath", str(base / "dist"), "--workpath", str(base / "build")],
        cwd=base,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-4000:]
    built = base / "dist" / ("desktopchat.exe" if sys.platform == "win32" else "desktopchat")
    assert built.is_file()
    return built


@pytest.fixture
def user_env(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh empty working directory and a minimal environment with HOME in it."""
    cwd = tmp_path / "cwd"
    home = tmp_path / "home"
    cwd.mkdir()
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DESKTOPCHAT_NO_DISCOVERY": "1",
    }
    for name in ("DISPLAY", "XAUTHORITY"):
        if name in os.environ:
            env[name] = os.environ[name]
    yield cwd, env


def _stop(proc: subprocess.Popen[Any]) -> None:
    """Kill what a test left running: the one-file bootloader *and* its child.

    Every executable here starts in its own session, so killing the process
    group reaches the unpacked child, which holds the pipes open otherwise.
    """
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=10)


def _log_file(env: dict[str, str]) -> Path:
    # Where paths.log_dir() puts it with only HOME set (no XDG_*, no DESKTOPCHAT_HOME).
    return Path(env["HOME"]) / ".local" / "state" / "desktopchat" / "log" / "desktopchat.log"


def _line_reader(stream: object) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _wait_for_line(lines: queue.Queue[str], pattern: str, timeout: float) -> re.Match[str]:
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        seen.append(line)
        if match := re.search(pattern, line):
            return match
    raise AssertionError(f"no line matching {pattern!r}; got: {''.join(seen)!r}")


def test_exe_prints_its_version(exe: Path, user_env: tuple[Path, dict[str, str]]) -> None:
    cwd, env = user_env
    proc = subprocess.run(
        [str(exe), "--version"], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=START_TIMEOUT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"desktopchat {__version__}"
    assert list(cwd.iterdir()) == [], "the executable must not litter the current directory"


def test_exe_serves_a_room_and_stops_on_sigterm(
    exe: Path, user_env: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = user_env
    # A password room: the check uses hmac, which must work without the OpenSSL
    # modules build.spec leaves out.
    proc = subprocess.Popen(
        [str(exe), "--serve", "--bind", "127.0.0.1", "--port", "0"],
        cwd=cwd,
        env={**env, "DESKTOPCHAT_PASSWORD": "open sesame"},
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _line_reader(proc.stderr)
        port = int(_wait_for_line(lines, r"listening on 127\.0\.0\.1:(\d+)", START_TIMEOUT)[1])
        alice = Peer(("127.0.0.1", port), timeout=10)
        alice.join("alice", "open sesame")
        bob = Peer(("127.0.0.1", port), timeout=10)
        bob.join("bob", "open sesame")
        alice.read_until(events.JOIN, "bob")
        bob.send("hello from a raw socket")
        assert alice.read_until("bob") == "hello from a raw socket"
        alice.close()
        bob.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        _stop(proc)
    log_text = _log_file(env).read_text(encoding="utf-8")
    assert "frozen=True" in log_text and f"127.0.0.1:{port}" in log_text


@pytest.mark.skipif(sys.platform == "win32", reason="closes POSIX descriptors 1 and 2")
def test_exe_without_console_logs_to_the_file(
    exe: Path, user_env: tuple[Path, dict[str, str]]
) -> None:
    """Like a double-clicked windowed app: no stdout/stderr at all. Nothing may crash."""
    cwd, env = user_env
    # The shell closes descriptors 1 and 2, then becomes the program: Python
    # starts with sys.stdout and sys.stderr set to None.
    proc = subprocess.Popen(
        ["/bin/sh", "-c", 'exec "$@" >&- 2>&-', "sh",
         str(exe), "--serve", "--bind", "127.0.0.1", "--port", "0"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    log_file = _log_file(env)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        match = None
        while match is None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            if log_file.exists():
                match = re.search(r"listening on 127\.0\.0\.1:(\d+)", log_file.read_text())
        assert match, f"no listening line in the log (exit {proc.poll()})"
        carol = Peer(("127.0.0.1", int(match[1])), timeout=10)
        carol.join("carol")
        carol.close()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        _stop(proc)
    assert "room closed" in log_file.read_text(encoding="utf-8")


def test_exe_bundles_pillow_and_tkdnd_but_not_numpy(exe: Path) -> None:
    """Pictures (Pillow's core) and drops (tkdnd) are in; Pillow's unused extras are not."""
    from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped]

    names = list(CArchiveReader(str(exe)).toc)
    assert any(re.match(r"PIL/_imaging\.", n) for n in names), names
    assert any(
        re.match(r"tkinterdnd2/tkdnd/[^/]+/(lib)?tkdnd[\d.]*\.(so|dll|dylib)$", n) for n in names
    )
    assert not [n for n in names if n.startswith(("numpy", "PIL/_avif", "PIL/_webp"))]


# --- the executable's window (Xvfb) ---------------------------------------------


def _net_wm_icon_sizes(window_id: int) -> list[tuple[int, int]]:
    """Read _NET_WM_ICON of an X window (via libX11; xprop is not always installed)."""
    lib = ctypes.util.find_library("X11")
    assert lib, "libX11 not found"
    x11 = ctypes.CDLL(lib)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XGetWindowProperty.argtypes = [
        ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long,
        ctypes.c_int, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
    ]  # fmt: skip
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = x11.XOpenDisplay(None)
    assert display, "cannot open the X display"
    try:
        atom = x11.XInternAtom(display, b"_NET_WM_ICON", 0)
        actual_type, actual_format = ctypes.c_ulong(), ctypes.c_int()
        nitems, after = ctypes.c_ulong(), ctypes.c_ulong()
        data = ctypes.POINTER(ctypes.c_ulong)()
        status = x11.XGetWindowProperty(
            display, window_id, atom, 0, 1 << 24, 0, 0,  # AnyPropertyType
            ctypes.byref(actual_type), ctypes.byref(actual_format), ctypes.byref(nitems),
            ctypes.byref(after), ctypes.byref(data),
        )  # fmt: skip
        assert status == 0
        # Format-32 data comes back as C longs: width, height, width*height pixels, ...
        values = [data[i] for i in range(nitems.value)] if data else []
        if data:
            x11.XFree(data)
    finally:
        x11.XCloseDisplay(display)
    sizes = []
    i = 0
    while i + 1 < len(values):
        width, height = values[i], values[i + 1]
        sizes.append((width, height))
        i += 2 + width * height
    return sizes


def _find_window(pattern: str, proc: subprocess.Popen[Any]) -> str:
    """Wait for a visible window whose title matches ``pattern``; return its id."""
    try:
        return find_windows(pattern, START_TIMEOUT)[0]
    except AssertionError as exc:
        raise AssertionError(f"{exc} (the program's exit: {proc.poll()})") from None


@pytest.mark.gui
def test_exe_opens_the_login_window_with_the_icon_and_closes_cleanly(
    exe: Path, user_env: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = user_env
    proc = subprocess.Popen(
        [str(exe), "-vv"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # No em dash in the pattern: xdotool matches WM_NAME, where Tk stores it
        # as mangled Latin-1 (the real title is "Join a room — desktopchat").
        window = _find_window("^Join a room.*desktopchat$", proc)
        sizes = _net_wm_icon_sizes(int(window))
        assert (256, 256) in sizes and (16, 16) in sizes, sizes
        # Escape is Cancel: the main window stays (so a new user can Host room...);
        # Ctrl+Q there quits.
        # Focus and key as two commands: chained, the key release can go to the
        # dialog the key press just destroyed (BadWindow).
        subprocess.run(["xdotool", "windowfocus", "--sync", window], check=True, timeout=30)
        subprocess.run(["xdotool", "key", "Escape"], check=True, timeout=30)
        main = _find_window("^desktopchat$", proc)
        assert proc.poll() is None, "Escape on the first login closed the app"
        # tkdnd (tkinterdnd2's Tk extension) loads in the frozen app too.
        deadline = time.monotonic() + START_TIMEOUT
        while "files can be dropped on the window" not in _log_file(env).read_text("utf-8"):
            assert time.monotonic() < deadline, "drag and drop did not load"
            time.sleep(0.05)
        subprocess.run(["xdotool", "windowfocus", "--sync", main], check=True, timeout=30)
        subprocess.run(["xdotool", "key", "ctrl+q"], check=True, timeout=30)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
    finally:
        _stop(proc)
    log_text = _log_file(env).read_text(encoding="utf-8")
    assert "frozen=True" in log_text
    assert "CRITICAL" not in log_text and "Traceback" not in log_text, log_text


@pytest.mark.gui
def test_exe_takes_the_icon_from_its_bundle_and_exits_0_on_sigterm(
    exe: Path, user_env: tuple[Path, dict[str, str]]
) -> None:
    cwd, env = user_env
    proc = subprocess.Popen(
        [str(exe), "-vv"],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _find_window("^desktopchat", proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        _stop(proc)
    match = re.search(r"icon loaded from (\S+)", _log_file(env).read_text(encoding="utf-8"))
    assert match, "no 'icon loaded from' line at -vv"
    icon_dir = Path(match[1])
    # The one-file bundle unpacks into a _MEIxxxx directory; never the source checkout.
    assert icon_dir.name == "assets" and icon_dir.parent.name.startswith("_MEI"), icon_dir
    assert REPO not in icon_dir.parents


def _certificate_fingerprint(address: tuple[str, int]) -> str:
    """The SHA-256 fingerprint of the certificate a TLS handshake at ``address`` shows."""
    with (
        socket.create_connection(address, timeout=10) as raw,
        client_context().wrap_socket(raw) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return fingerprint_of(der)


def _events_until(client: ChatClient, kind: type[ev.Event], timeout: float) -> list[ev.Event]:
    """The client's events up to and including the first ``kind``."""
    seen: list[ev.Event] = []
    deadline = time.monotonic() + timeout
    while not seen or not isinstance(seen[-1], kind):
        seen.append(client.events.get(timeout=max(0.01, deadline - time.monotonic())))
    return seen


@pytest.mark.gui
def test_exe_hosts_and_joins_a_room(exe: Path, tmp_path: Path) -> None:
    """Two copies of the executable: one ``--host``, one ``--join``; a raw socket watches."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> None:
        home = tmp_path / f"home{len(procs)}"
        home.mkdir()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "DESKTOPCHAT_NO_DISCOVERY": "1",
        }
        env.update({k: os.environ[k] for k in ("DISPLAY", "XAUTHORITY") if k in os.environ})
        procs.append(
            subprocess.Popen(
                [str(exe), *args],
                cwd=home,
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    try:
        # Any free port (one probed free here could be taken before the program binds
        # it); the program's log says which (HOME is home0, no XDG_STATE_HOME).
        start("--host", "0", "--name", "hostess")
        log = tmp_path / "home0" / ".local" / "state" / "desktopchat" / "log" / "desktopchat.log"
        port = hosted_port(log)
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # the hosting window binds its port once it is up
            try:
                watcher = Peer(("127.0.0.1", port), "watcher", timeout=10)
                break
            except OSError:
                assert procs[0].poll() is None, "the hosting executable exited"
                assert time.monotonic() < deadline, "the hosting executable never listened"
                time.sleep(0.1)
        # The port opens before the window's own client has joined its room.
        if "hostess" not in watcher.read_until(events.USERS).split():
            watcher.read_until(events.JOIN, "hostess", timeout=START_TIMEOUT)
        # The hosted room is encrypted: the joiner comes in by the invitation's
        # link, pinned to the certificate this TLS handshake shows.
        fingerprint = _certificate_fingerprint(("127.0.0.1", port))
        start("--join", f"desktopchat://127.0.0.1:{port}?fp={fingerprint}", "--name", "joiner")
        watcher.read_until(events.JOIN, "joiner", timeout=START_TIMEOUT)
        watcher.close()
        # A member over TLS (pinned too) sees the joiner, unmarked: encrypted.
        client = ChatClient("127.0.0.1", port, "checker", pin=fingerprint, reconnect=False)
        client.start()
        try:
            seen = _events_until(client, ev.UserList, START_TIMEOUT)
            connected = next(e for e in seen if isinstance(e, ev.Connected))
            users = seen[-1]
            assert isinstance(users, ev.UserList)
            assert connected.encrypted and connected.fingerprint == fingerprint
            assert {"hostess", "joiner"} <= set(users.names)
            assert not {"hostess", "joiner"} & users.unencrypted
            assert "watcher" not in users.names  # left; it was the plaintext one
        finally:
            client.close()
        for proc in reversed(procs):
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
    finally:
        for proc in procs:
            _stop(proc)
