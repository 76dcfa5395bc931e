"""Helpers for the server tests: raw-socket clients and a polling wait.

:class:`Peer` is a blocking socket with a timeout that speaks the wire format
through :class:`~desktopchat.protocol.PairDecoder`; :class:`TutorialPeer`
reads pairs exactly like the socket-chat tutorial's console client, with
naive ``recv(10)`` / ``recv(n)`` calls, and fails on anything else.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

from desktopchat import events, protocol

#: Seconds any single wait in a test may take before it fails.
TIMEOUT = 5.0


def wait_until(condition: Callable[[], object], timeout: float = TIMEOUT) -> None:
    """Poll ``condition`` until it is true; fail the test after ``timeout`` s."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.005)


class Peer:
    """A raw client socket: send frames, read (sender, text) pairs."""

    def __init__(self, address: tuple[str, int], timeout: float = TIMEOUT) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.decoder = protocol.PairDecoder(max_payload=1 << 20)
        self.name = ""

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Peer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, payload: str | bytes) -> None:
        self.sock.sendall(protocol.encode_frame(payload, max_payload=1 << 24))

    def pair(self) -> tuple[str, str]:
        """Read the next pair; fail on EOF or timeout."""
        while (got := self.decoder.next_pair()) is None:
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("server closed the connection")
            self.decoder.receive_data(data)
        return got

    def expect(self, sender: str, text: str | None = None) -> str:
        """Read one pair; it must come from ``sender`` (and say ``text``). Return its text."""
        got = self.pair()
        assert got[0] == sender, f"expected a pair from {sender!r}, got {got!r}"
        if text is not None:
            assert got[1] == text, f"expected {(sender, text)!r}, got {got!r}"
        return got[1]

    def join(self, name: str, password: str | None = None) -> list[str]:
        """Send the name (and password); read welcome and users; return the user names."""
        self.send(name)
        if password is not None:
            self.expect(events.AUTH, "password required")
            self.send(password)
        self.expect(events.WELCOME)
        self.name = name
        return self.expect(events.USERS).split(" ")

    def until_closed(self) -> list[tuple[str, str]]:
        """Read pairs until the server closes; return them."""
        pairs: list[tuple[str, str]] = []
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


class TutorialPeer:
    """The tutorial's console client: ``recv(10)`` for a header, ``recv(n)`` for data."""

    def __init__(self, address: tuple[str, int], name: str) -> None:
        self.sock = socket.create_connection(address, timeout=TIMEOUT)
        name_bytes = name.encode("utf-8")
        self.sock.send(f"{len(name_bytes):<10}".encode() + name_bytes)

    def send(self, text: str) -> None:
        data = text.encode("utf-8")
        self.sock.send(f"{len(data):<10}".encode() + data)

    def pair(self) -> tuple[str, str]:
        # Exactly the tutorial's reads: any short read or bad header breaks it.
        username_header = self.sock.recv(10)
        if not len(username_header):
            raise AssertionError("Connection closed by the server")
        username_length = int(username_header.decode("utf-8").strip())
        username = self.sock.recv(username_length).decode("utf-8")
        message_header = self.sock.recv(10)
        message_length = int(message_header.decode("utf-8").strip())
        message = self.sock.recv(message_length).decode("utf-8")
        return username, message

    def close(self) -> None:
        self.sock.close()
