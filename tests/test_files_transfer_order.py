"""What our connection writes first: chat goes before file data, a chunk is never cut by it.

The client's Session is driven without a room: its ClientConnection is let
in by bytes (sessionkit), a stream of one of our offers has credit, and the
socket's ``send`` is a stand-in that takes a given number of bytes and then
says the kernel is full. What it took is read back as pairs.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sessionkit import drain_client, welcome_v2
from transferkit import random_file
from waiting import wait_until

from desktopchat import protocol
from desktopchat.client import ChatClient
from desktopchat.protocol import fileevents as fe
from desktopchat.session import Session
from desktopchat.transfer.outgoing import fingerprint_file
from desktopchat.transfer.sending import Offer


class Kernel:
    """A socket's send that takes ``room`` bytes, then raises BlockingIOError."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.taken = bytearray()

    def send(self, data: bytes | bytearray | memoryview) -> int:
        n = min(len(data), self.room)
        if n == 0:
            raise BlockingIOError
        self.room -= n
        self.taken += data[:n]
        return n

    def metas(self) -> list[str]:
        decoder = protocol.PairDecoder()
        decoder.receive_data(bytes(self.taken))
        got = []
        while (pair := decoder.next_raw_pair()) is not None:
            got.append(pair[0])
        return got


@pytest.fixture
def session(tmp_path: Path) -> Iterator[tuple[ChatClient, Session]]:
    client = ChatClient("127.0.0.1", 9, "ann")  # never started: the test is its thread
    a, b = socket.socketpair()
    session = Session(client, a, None)
    hello = protocol.encode_pair("*hello", "desktopchat 2 files=100000000")
    drain_client(session.conn, hello + welcome_v2())
    session.conn.data_to_send()
    session.control.clear()
    session.ready = True
    path = random_file(tmp_path, "a.bin", 20 * fe.CHUNK)
    offer = Offer(1, "a.bin", "-", None, path, fingerprint_file(path))
    sender = client.transfers.sender
    sender.by_cid[1] = offer
    sender.accepted(1, 5)
    sender.start(fe.StreamStart(1, 5, 0))
    stream = sender.streams[1]

    def read_ahead() -> bool:  # the reader thread's chunks, taken as the network thread does
        client.transfers.poll(0.0)
        return len(stream.ready) == fe.WINDOW

    wait_until(read_ahead, what="the initial window read")
    yield client, session
    client.transfers.close()
    client.close()
    a.close()
    b.close()


def test_chat_goes_before_the_chunks_still_waiting(session: tuple[ChatClient, Session]) -> None:
    client, s = session
    kernel = Kernel(fe.CHUNK + 100)  # one chunk and the start of the next fit
    s._send = kernel.send
    assert s._flush() is True  # data still waits
    client.send("hello")  # typed while the file goes out
    kernel.room = 10**9
    assert s._flush() is False
    metas = kernel.metas()
    offsets = [f"data 1 {i * fe.CHUNK}" for i in range(fe.WINDOW)]
    # the chunk begun is finished, then the line, then the rest of the credit
    assert metas == [offsets[0], offsets[1], "say 1", *offsets[2:]]


def test_no_chunk_goes_without_credit(session: tuple[ChatClient, Session]) -> None:
    client, s = session
    kernel = Kernel(10**9)
    s._send = kernel.send
    assert s._flush() is False
    assert len(kernel.metas()) == fe.WINDOW
    client.transfers.handle(fe.StreamCredit(1, 3), 0.0)

    def sent_more() -> bool:
        client.transfers.poll(0.0)  # as the network thread's loop does
        s._flush()
        return len(kernel.metas()) == fe.WINDOW + 3

    wait_until(sent_more, what="three more chunks")
    assert len(kernel.metas()) == fe.WINDOW + 3
