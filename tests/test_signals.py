"""Signals stop the room and the window even when they interrupt a write.

A signal handler runs between two bytecodes of whatever the main thread was
doing. If that was writing a log line and the handler logs too, the stream
raises "reentrant call" inside the handler and the stop never happens (seen
as SIGTERM ignored in 5 to 11 of 20 runs). The handlers must only request the
stop; these tests make the interruption happen every time.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import time
import tkinter as tk

import pytest
from waiting import wait_until

from desktopchat import protocol
from desktopchat.gui.app import ChatApp

# Runs `desktopchat --serve` with a stderr that behaves like a BufferedWriter
# (a write re-entered from a signal handler raises) and that sends SIGTERM to
# its own process in the middle of writing the first "joined" log line, which
# the serving (main) thread writes.
_SERVE_SCRIPT = textwrap.dedent(
    """
    import os, signal, sys

    class Reentrant:
        def __init__(self, stream):
            self.stream, self.busy, self.fired = stream, False, False
        def write(self, text):
            if self.busy:
                raise RuntimeError("reentrant call inside BufferedWriter")
            self.busy = True
            try:
                self.stream.write(text)
                self.stream.flush()
                if not self.fired and " joined " in text:
                    self.fired = True
                    os.kill(os.getpid(), signal.SIGTERM)
                    for _ in range(10000):  # the handler runs here, mid-write
                        pass
            finally:
                self.busy = False
        def flush(self):
            self.stream.flush()

    sys.stderr = Reentrant(sys.stderr)
    from desktopchat.__main__ import main
    sys.exit(main(["--serve", "--bind", "127.0.0.1", "--port", sys.argv[1]]))
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_serve_stops_on_a_sigterm_that_interrupts_a_log_write() -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE_SCRIPT, str(port)],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        with sock:
            sock.sendall(protocol.encode_frame("ann"))  # joins after the upgrade wait
            _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "reentrant" not in err
    assert "SIGTERM received: closing the room" in err


@pytest.mark.gui
def test_window_signal_handler_only_sets_a_flag_and_the_window_closes(
    app: ChatApp, tk_root: tk.Tk
) -> None:
    from desktopchat.gui import SignalFlag, _quit_on_signals

    flag = SignalFlag()
    flag.attach(app)
    previous = _quit_on_signals(flag)
    try:
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        handler(signal.SIGTERM, None)  # as if it interrupted anything at all
        assert app.signal_received == signal.SIGTERM
        assert not app.closed  # nothing else happened inside the handler
        wait_until(lambda: app.closed, what="window closed by its own check", root=tk_root)
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@pytest.mark.gui
def test_a_signal_before_the_window_exists_closes_it_once_built(
    app: ChatApp, tk_root: tk.Tk
) -> None:
    # gui.run installs the handlers before Tk starts: a SIGTERM that arrives
    # while the window is being built is kept and handed to it.
    from desktopchat.gui import SignalFlag, _quit_on_signals

    flag = SignalFlag()
    previous = _quit_on_signals(flag)
    try:
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        handler(signal.SIGTERM, None)  # no window yet
        told_before = app.signal_received
        flag.attach(app)
        assert flag.signum == signal.SIGTERM and told_before is None
        assert app.signal_received == signal.SIGTERM
        wait_until(lambda: app.closed, what="window closed by its own check", root=tk_root)
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
