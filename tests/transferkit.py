"""Helpers of the file transfer tests: a member with its event log, offers, fetches.

:class:`Member` is a started ChatClient and the :class:`~relay.EventLog` of
its queue. Every wait is for an event the client posts (never a sleep);
:func:`stall` keeps a receiver from granting credit, so a transfer stops
after the room's initial window until :func:`unstall`: the moment a test
cancels, withdraws or cuts is then certain, whatever the machine's speed.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from relay import EventLog, MakeClient
from waiting import wait_until

from desktopchat.client import ChatClient
from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import transferevents as te
from desktopchat.transfer.receiving import Fetch, State


class Member:
    """A ChatClient in the room and what it saw."""

    def __init__(self, make: MakeClient, address: tuple[str, int], name: str, **kw: Any) -> None:
        self.client: ChatClient = make(address, name, **kw)
        self.log = EventLog(self.client.events)
        self.client.start()
        self.log.wait_for(ev.Connected)
        self.allowed = self.log.wait_for(te.FilesAllowed).max_size

    def offer(self, path: Path, to: str | None = None) -> int:
        """Offer ``path``; return its file id once the room took it."""
        cid = self.client.offer_file(path, to)
        made = self.log.wait_for(te.OfferMade, lambda e: e.cid == cid, timeout=20.0)
        return made.file

    def seen_offer(self, file: int) -> fe.FileOffer:
        """The offer ``file`` as it came: live, or in the replay of our join."""

        def offers(event: ev.Event) -> list[fe.FileOffer]:
            events = event.events if isinstance(event, ev.Replay) else (event,)
            return [e for e in events if isinstance(e, fe.FileOffer) and e.file == file]

        for event in self.log.seen:
            if found := offers(event):
                return found[0]
        return offers(self.log.wait_for(ev.Event, lambda e: bool(offers(e))))[0]

    def done(self, file: int, timeout: float = 20.0) -> te.TransferDone:
        return self.log.wait_for(
            te.TransferDone, lambda e: e.file == file and e.incoming, timeout=timeout
        )

    def failed(self, file: int, *, incoming: bool = True) -> te.TransferFailed:
        return self.log.wait_for(
            te.TransferFailed, lambda e: e.file == file and e.incoming == incoming, timeout=10.0
        )

    def fetch(self, file: int) -> Fetch:
        """The running fetch of ``file``, once the network thread made it."""
        fetches = self.client.transfers.receiver.fetches
        wait_until(lambda: file in fetches, what=f"the fetch of {file}")
        return fetches[file]


def random_file(folder: Path, name: str, size: int) -> Path:
    path = folder / name
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, 1 << 20))
            f.write(block)
            left -= len(block)
    return path


def digest(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def stall(member: Member) -> None:
    """``member`` grants no more credit: its fetches stop after the room's initial window."""
    member.client.transfers.receiver._grant = lambda fetch, chunks: None  # type: ignore[method-assign]


def unstall(member: Member) -> None:
    """Undo :func:`stall`: running fetches get the credit held back, on the network thread."""
    receiver = member.client.transfers.receiver
    del receiver._grant

    def grant(now: float) -> None:
        for fetch in receiver.fetches.values():
            if fetch.state is State.STREAMING:
                receiver._grant(fetch, fetch.unthanked)

    member.client.transfers.call(grant)
