"""The one raw-socket chat client of the test suite.

:class:`Peer` is a blocking socket that speaks the wire format by hand: the
second (third...) participant that is not our ChatClient, and the client that
sends servers what no well-behaved client would. It reads (sender, text) pairs
through :class:`~desktopchat.protocol.PairDecoder` with a timeout, so a test
that waits for something that never comes fails instead of hanging.

``Peer(address, name, tutorial=True)`` reads exactly like the socket-chat
tutorial's console client instead: one ``recv(10)`` for a header, one
``recv(n)`` for its data, and it breaks on anything else (a short read, a bad
header), as that client would.

Reading, from strict to lenient:

* :meth:`Peer.pair`: the very next pair.
* :meth:`Peer.expect`: the next pair, which must come from a given sender.
* :meth:`Peer.answer`: the next pair past a ``*hello`` greeting (a server
  may send one right after the name frame): its answer to the name.
* :meth:`Peer.read_until`: skip pairs until one from a given sender arrives.
* :meth:`Peer.join` / :meth:`Peer.enter`: the whole handshake
  (:meth:`Peer.joined` connects and joins in one go).
"""

from __future__ import annotations

import contextlib
import socket
import time
from types import TracebackType

from waiting import TIMEOUT

from desktopchat import protocol
from desktopchat.protocol import events

#: The largest frame a Peer decodes (servers send at most 64 KiB; tests go further).
MAX_PAYLOAD = 1 << 20

#: The largest frame a Peer sends (tests send oversize frames on purpose).
MAX_SEND = 1 << 24

Pair = tuple[str, str]


class Peer:
    """A raw client socket: send frames or bytes, read (sender, text) pairs.

    ``name``, if given, is sent as the first frame at once (nothing is read);
    :meth:`join` sends the name itself and reads the handshake. ``timeout`` is
    the default for every read, and the socket's timeout for writes.
    """

    def __init__(
        self,
        address: tuple[str, int],
        name: str | None = None,
        *,
        timeout: float = TIMEOUT,
        tutorial: bool = False,
        source: str | None = None,
    ) -> None:
        # source: the local address to connect from, e.g. 127.0.0.7 (Linux routes 127/8 here).
        self.sock = socket.create_connection(
            address, timeout=timeout, source_address=(source, 0) if source else None
        )
        self.timeout = timeout
        self.tutorial = tutorial
        self.decoder = protocol.PairDecoder(max_payload=MAX_PAYLOAD)
        self.name = ""
        if name is not None:
            self.send(name)
            self.name = name

    @classmethod
    def joined(
        cls,
        address: tuple[str, int],
        name: str,
        password: str | None = None,
        *,
        timeout: float = TIMEOUT,
    ) -> Peer:
        """A Peer already in the room as ``name``: :meth:`join` is done (``*welcome`` read).

        Use it when the test needs the peer in the room before what comes next
        (a server may welcome a newcomer a moment after its name arrives).
        """
        peer = cls(address, timeout=timeout)
        try:
            peer.join(name, password)
        except BaseException:
            peer.close()
            raise
        return peer

    # --- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Peer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- sending -------------------------------------------------------------------------

    def send(self, payload: str | bytes) -> None:
        """Send one frame (a str is UTF-8 encoded; bytes go as they are)."""
        if self.tutorial:
            # The tutorial's client: one send() of a left-aligned header and the data.
            data = payload.encode("utf-8") if isinstance(payload, str) else payload
            self.sock.send(f"{len(data):<10}".encode() + data)
            return
        self.sock.sendall(protocol.encode_frame(payload, max_payload=MAX_SEND))

    def send_raw(self, data: bytes) -> None:
        """Send bytes exactly as given (partial headers, bad frames, floods)."""
        self.sock.sendall(data)

    # --- reading -------------------------------------------------------------------------

    def pair(self, timeout: float | None = None) -> Pair:
        """Read the very next pair; AssertionError on close or after ``timeout`` s."""
        wait = self.timeout if timeout is None else timeout
        try:
            return self._tutorial_pair(wait) if self.tutorial else self._decoded_pair(wait)
        finally:
            # Reads shorten the socket's timeout; writes get the whole one back.
            with contextlib.suppress(OSError):  # closed meanwhile
                self.sock.settimeout(self.timeout)

    def _decoded_pair(self, wait: float) -> Pair:
        deadline = time.monotonic() + wait
        while (got := self.decoder.next_pair()) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no pair within {wait:g} s")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise AssertionError("server closed the connection")
            self.decoder.receive_data(data)
        return got

    def _tutorial_pair(self, timeout: float) -> Pair:
        # Exactly the tutorial's reads: any short read or bad header breaks it.
        self.sock.settimeout(max(timeout, 0.01))
        username_header = self.sock.recv(10)
        if not len(username_header):
            raise AssertionError("Connection closed by the server")
        username_length = int(username_header.decode("utf-8").strip())
        username = self.sock.recv(username_length).decode("utf-8")
        message_header = self.sock.recv(10)
        message_length = int(message_header.decode("utf-8").strip())
        message = self.sock.recv(message_length).decode("utf-8")
        return username, message

    def expect(self, sender: str, text: str | None = None, *, timeout: float | None = None) -> str:
        """Read one pair; it must come from ``sender`` (and say ``text``). Return its text."""
        got = self.pair(timeout)
        assert got[0] == sender, f"expected a pair from {sender!r}, got {got!r}"
        if text is not None:
            assert got[1] == text, f"expected {(sender, text)!r}, got {got!r}"
        return got[1]

    def answer(self, timeout: float | None = None) -> Pair:
        """The next pair past a ``*hello`` greeting: the server's answer to the name frame."""
        got = self.pair(timeout)
        if got[0] == events.HELLO:
            got = self.pair(timeout)
        return got

    def read_until(
        self, sender: str, text: str | None = None, *, timeout: float | None = None
    ) -> str:
        """Skip pairs until one from ``sender`` arrives; return its text.

        With ``text``, that first pair from ``sender`` must say ``text``. The
        whole wait is bounded by ``timeout``; its AssertionError lists the
        pairs skipped.
        """
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        skipped: list[Pair] = []
        while True:
            try:
                got = self.pair(max(0.0, deadline - time.monotonic()))
            except AssertionError as exc:
                raise AssertionError(
                    f"{exc} while waiting for a pair from {sender!r}; skipped: {skipped!r}"
                ) from None
            if got[0] == sender:
                if text is not None:
                    assert got[1] == text, f"expected {(sender, text)!r}, got {got!r}"
                return got[1]
            skipped.append(got)

    def join(self, name: str, password: str | None = None) -> list[Pair]:
        """Send ``name`` and read the handshake up to and including ``*welcome``.

        A ``*hello`` greeting is skipped. ``*auth`` ("password required") is
        answered with ``password``; it is a failure when no password is given,
        and so is a password room that did not ask. Any other pair before the
        welcome (an ``*error``, say) fails the test. Returns the pairs read
        after that preamble: the ``*welcome`` pair (the ``*users`` pair and the
        rest are left for :meth:`users`, :meth:`expect`...).
        """
        self.send(name)
        asked = False
        while True:
            sender, text = got = self.pair()
            if sender == events.HELLO:
                continue
            if sender == events.AUTH and not asked:
                assert password is not None, f"{name}: the room asks for a password: {got!r}"
                assert text == "password required", got
                asked = True
                self.send(password)
                continue
            assert sender == events.WELCOME, f"{name}: expected {events.WELCOME}, got {got!r}"
            assert password is None or asked, f"{name}: welcomed without *auth"
            self.name = name
            return [got]

    def users(self) -> list[str]:
        """Read the ``*users`` pair (it follows the welcome); return the names."""
        return self.expect(events.USERS).split(" ")

    def enter(self, name: str, password: str | None = None) -> list[str]:
        """:meth:`join`, then :meth:`users`: the names in the room, ``name`` included."""
        self.join(name, password)
        return self.users()

    def until_closed(self) -> list[Pair]:
        """Read pairs until the server closes the connection; return them."""
        assert not self.tutorial, "until_closed() reads through the decoder"
        self.sock.settimeout(self.timeout)
        pairs: list[Pair] = []
        while True:
            pairs.extend(self.decoder)
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError:
                data = b""
            if not data:
                assert not self.decoder.in_frame, "connection closed mid-pair"
                return pairs
            self.decoder.receive_data(data)

    def closed_with_error(self) -> str:
        """The server must answer with ``*error`` and close; return the reason."""
        pairs = self.until_closed()
        assert pairs, "closed without an *error pair"
        assert pairs[-1][0] == events.ERROR, f"last pair before close: {pairs[-1]!r}"
        return pairs[-1][1]
