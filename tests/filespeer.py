"""A raw files peer for the tests of the files extension (docs/PROTOCOL.md section 14).

:class:`FilesPeer` is a blocking socket around the sans-IO
:class:`~desktopchat.protocol.client.ClientConnection` made with ``files=True``:
it joins as a protocol-2 member that asked for files, reads the room's pairs
as events (with a timeout: a test waiting for something that never comes
fails instead of hanging), and sends requests as :mod:`fileevents` events, or
any bytes at all (:meth:`send_raw`) for a sender that breaks the rules.
"""

from __future__ import annotations

import hashlib
import itertools
import socket
import time
from typing import TypeVar

from waiting import TIMEOUT

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import filewire
from desktopchat.protocol.client import ClientConnection

E = TypeVar("E", bound=ev.Event)

_tokens = itertools.count(1)


class FilesPeer:
    """A member that asked for files. See the module docstring."""

    def __init__(
        self,
        address: tuple[str, int],
        name: str,
        *,
        token: str | None = None,
        resume: tuple[str, int] | None = None,
        files: bool = True,
        timeout: float = TIMEOUT,
    ) -> None:
        self.sock = socket.create_connection(address, timeout=timeout)
        self.timeout = timeout
        self.token = token or f"filespeer{next(_tokens)}"
        self.conn = ClientConnection(name, token=self.token, resume=resume, files=files)
        self.sock.sendall(self.conn.data_to_send())
        self.cids = itertools.count(1)
        #: Every event read, in order (what the tests look back at).
        self.seen: list[ev.Event] = []
        self.welcome = self.expect(ev.Welcome)
        self.users = self.expect(ev.UserList)
        self.replay = self.expect(ev.Replay)

    @property
    def name(self) -> str:
        return self.conn.name

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> FilesPeer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- reading ----------------------------------------------------------------------

    def event(self, timeout: float | None = None) -> ev.Event:
        """The next event; AssertionError on close or after ``timeout`` s."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            event = self.conn.next_event()
            if event is not None:
                self.seen.append(event)
                return event
            out = self.conn.data_to_send()
            if out:
                self.sock.sendall(out)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{self.name}: no event in time; seen {self.seen[-5:]!r}")
            self.sock.settimeout(remaining)
            try:
                data = self.sock.recv(1 << 20)
            except TimeoutError:
                continue
            if not data:
                raise AssertionError(f"{self.name}: the room closed the connection")
            self.conn.receive_data(data)

    def expect(self, kind: type[E], timeout: float | None = None) -> E:
        """The next event, which must be a ``kind``."""
        event = self.event(timeout)
        assert isinstance(event, kind), f"{self.name}: expected {kind.__name__}, got {event!r}"
        return event

    def until(self, kind: type[E], timeout: float | None = None) -> E:
        """Skip events until a ``kind`` arrives."""
        while not isinstance(event := self.event(timeout), kind):
            pass
        return event

    def closed_with_error(self) -> str:
        """The room must send ``error`` and close; its reason."""
        while True:
            try:
                event = self.event()
            except AssertionError as exc:
                raise AssertionError(f"closed without an error: {exc}") from None
            if isinstance(event, ev.Refused):
                return event.reason

    # --- sending ----------------------------------------------------------------------

    def send(self, request: ev.Event) -> None:
        """One request of the extension (its cid as given)."""
        self.sock.sendall(self.conn.send_file(request))

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def say(self, text: str) -> None:
        self.sock.sendall(self.conn.send(ev.Message(text, cid=next(self.cids))))

    def offer(
        self, data: bytes, name: str = "notes.txt", to: str | None = None, mime: str = "text/plain"
    ) -> int:
        """Offer ``data``; the file id (the ``ok``'s id). Fails on a ``no``."""
        answer = self.offer_answer(data, name, to, mime)
        assert isinstance(answer, ev.Accepted), f"offer refused: {answer!r}"
        assert answer.id is not None
        return answer.id

    def offer_answer(
        self, data: bytes, name: str = "notes.txt", to: str | None = None, mime: str = "text/plain"
    ) -> ev.Accepted | ev.Rejected:
        """Offer ``data``; the room's answer, whichever it is."""
        cid = next(self.cids)
        sha = hashlib.sha256(data).hexdigest()
        self.send(fe.FileOffer(name, len(data), sha, mime, to, cid=cid))
        return self.answer(cid)

    def answer(self, cid: int) -> ev.Accepted | ev.Rejected:
        """Skip to the answer of request ``cid``."""
        while True:
            event = self.event()
            if isinstance(event, ev.Accepted | ev.Rejected) and event.cid == cid:
                return event

    def get(self, file: int, offset: int = 0) -> ev.Accepted | ev.Rejected:
        cid = next(self.cids)
        self.send(fe.FetchFile(file, offset, cid=cid))
        return self.answer(cid)

    # --- a whole transfer -----------------------------------------------------------------

    def serve(self, data: bytes, start: fe.StreamStart | None = None) -> int:
        """As the sender: answer one ``send`` (read unless given) until the stream ends.

        Sends within the credit the room gives; returns the bytes sent. Stops at
        a ``stop`` for the stream.
        """
        if start is None:
            start = self.until(fe.StreamStart)
        credit, offset = fe.WINDOW, start.offset
        while offset < len(data):
            while credit and offset < len(data):
                chunk = data[offset : offset + fe.CHUNK]
                self.send_raw(filewire.data_pair(start.stream, offset, chunk))
                offset += len(chunk)
                credit -= 1
            if offset >= len(data):
                break
            event = self.event()
            if isinstance(event, fe.StreamCredit) and event.stream == start.stream:
                credit += event.chunks
            elif isinstance(event, fe.StreamStop) and event.stream == start.stream:
                break
        return offset - start.offset

    def receive(self, file: int, size: int, offset: int = 0, *, grant: int = 1) -> bytes:
        """As the receiver of a started fetch: read data to the end, granting credit."""
        got = bytearray()
        while offset + len(got) < size:
            event = self.event()
            if isinstance(event, fe.FileAbort) and event.file == file:
                raise AssertionError(f"aborted: {event.reason}")
            if isinstance(event, fe.FileData) and event.file == file:
                assert event.offset == offset + len(got)
                got += event.data
                self.send(fe.FetchCredit(file, grant))
        return bytes(got)
