"""Files through the room (docs/PROTOCOL.md section 14): offers, streams, credit, grace.

The room keeps no file data. An offer is a room event (``file``) that belongs
to its sender's client token; a ``get`` opens a *stream* from the sender's
connection to the receiver's, and the room relays the sender's ``data`` pairs,
each body passed on as the bytes that arrived (by reference, not copied),
within the receiver's *credit*: a stream starts with WINDOW chunks and the
receiver grants more (``more``), at most MAX_CREDIT outstanding. So what the
room holds for a stream is bounded by its credit; a sender that sends without
credit, at the wrong offset, or for a stream that is not its own breaks the
protocol and only its own connection ends (:class:`RemoteProtocolError`).

Who hears what: members that asked for files get the file pairs; protocol-1
members get one readable ``*file`` line per room offer; other protocol-2
members get nothing (:func:`shows` keeps file events out of their replays).

A sender's connection that drops makes its offers *away*: fetches are refused,
running streams aborted (``abort FILE away``). If the same token comes back
within the grace, its offers are live again; after it they are withdrawn by
the room (``unoffer`` events). Budgets: server/limits.py.
"""

from __future__ import annotations

import itertools
import logging
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from desktopchat.protocol import RemoteProtocolError, name_key, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol.filewire import data_head, encode_file_event, file_name_problem
from desktopchat.server import limits
from desktopchat.server.history import Entry

if TYPE_CHECKING:
    from desktopchat.server.room import Member, Room

__all__ = ["FILE_REQUESTS", "FileRules", "Offer", "Stream", "Transfers", "shows"]

log = logging.getLogger(__name__)

#: The request events this module carries out (Room.handle hands them over).
FILE_REQUESTS = (
    fe.StreamData,
    fe.FetchCredit,
    fe.FileOffer,
    fe.FetchFile,
    fe.CancelFetch,
    fe.FileWithdrawn,
    fe.StreamStop,
)

#: Stream ids a sender's ended streams are remembered by (with the credit they
#: had): its data already on the way when the room ended the stream is dropped
#: silently instead of being a protocol error.
ENDED_KEPT = 64


@dataclass(frozen=True)
class FileRules:
    """The host's settings for files: largest size (0: no files), who may send, the grace."""

    max_size: int = limits.DEFAULT_MAX_FILE_SIZE
    #: Names that may offer files (compared by name_key); None: everyone.
    senders: frozenset[str] | None = None
    grace: float = limits.OFFER_GRACE


class Offer:
    """A file on offer: its ``file`` event and who is streaming it."""

    __slots__ = ("away_until", "entry", "event", "owner", "sender", "streams", "to")

    def __init__(self, event: fe.FileOffer, entry: Entry, owner: str, sender: Member) -> None:
        self.event = event
        self.entry = entry
        self.owner = owner  # the sender's client token
        #: The sender's connection; None while it is away.
        self.sender: Member | None = sender
        self.to = entry.to  # the recipient's token of a private offer, "" for the room
        self.streams: set[Stream] = set()
        self.away_until: float | None = None

    @property
    def file(self) -> int:
        return self.entry.id


class Stream:
    """One fetch of one offer by one receiver: where it is and what it may still send."""

    __slots__ = ("credit", "id", "next", "offer", "receiver")

    def __init__(self, id_: int, offer: Offer, receiver: Member, offset: int) -> None:
        self.id = id_
        self.offer = offer
        self.receiver = receiver
        self.next = offset  # the offset the sender's next chunk must have
        self.credit = fe.WINDOW  # chunks the sender may still send


def is_files_entry(entry: Entry) -> bool:
    """True for the history entry of a ``file`` or ``unoffer`` event."""
    v2 = entry.v2  # the pair as it went out: a 10-byte header, then the meta frame
    return v2.startswith(b"file ", 10) or v2.startswith(b"unoffer ", 10)


def shows(member: Member, entry: Entry) -> bool:
    """Whether a replay to ``member`` carries ``entry`` (file events: files members only)."""
    return member.session.files or not is_files_entry(entry)


class Transfers:
    """Every offer and stream of one room. Runs on the loop's thread, called by the Room."""

    def __init__(self, room: Room, rules: FileRules) -> None:
        # The room's own helpers are used for ids, history, answers and rates:
        # a file event is a room event like any other.
        self._room = room
        self.rules = rules
        self.offers: dict[int, Offer] = {}
        self._by_owner: dict[str, dict[int, Offer]] = {}
        self.streams: dict[int, Stream] = {}
        self._fetches: dict[Member, dict[int, Stream]] = {}  # receiver -> file -> stream
        self._feeds: dict[Member, int] = {}  # sender connection -> streams it feeds
        self._ended: dict[Member, OrderedDict[int, int]] = {}  # sender -> stream -> credit
        self._away: dict[str, float] = {}  # token -> monotonic time its offers go
        self._ids = itertools.count(1)
        #: Monotonic time of the next grace to end (None: none); the loop calls expire().
        self.due: float | None = None

    # --- requests -----------------------------------------------------------------------

    def handle(self, member: Member, event: ev.Event) -> None:
        """Carry out one request of the extension (only files members send them)."""
        match event:
            case fe.StreamData():
                self._data(member, event)
            case fe.FetchCredit(file=file, chunks=chunks):
                self._more(member, file, chunks)
            case fe.FileOffer():
                self._offer(member, event)
            case fe.FetchFile():
                self._get(member, event)
            case fe.CancelFetch(file=file):
                stream = self._fetches.get(member, {}).get(file)
                if stream is not None:
                    self._end(stream, stop="cancelled")
            case fe.FileWithdrawn(file=file, cid=cid):
                offer = self.offers.get(file)
                if offer is None or offer.owner != member.token:
                    self._room._reject(member, cid, "No such file of yours on offer.")
                    return
                entry = self._withdraw(offer, member.name, author=member.token, cid=cid)
                self._room._accepted(member, cid, entry.id, entry.time)
            case fe.StreamStop(stream=id_, reason=reason):
                stream = self.streams.get(id_)
                if stream is not None and stream.offer.sender is member:
                    self._end(stream, abort=reason)

    def _data(self, member: Member, data: fe.StreamData) -> None:
        """Relay one chunk of a sender's stream to its receiver, or end the sender."""
        stream = self.streams.get(data.stream)
        if stream is None or stream.offer.sender is not member:
            ended = self._ended.get(member)
            left = ended.get(data.stream, 0) if ended is not None else 0
            if ended is None or left <= 0:
                raise RemoteProtocolError(f"data for stream {data.stream}, which is not open")
            ended[data.stream] = left - 1  # on its way before the stream ended: dropped
            return
        size, body = len(data.data), data.data
        if data.offset != stream.next:
            raise RemoteProtocolError(
                f"data at offset {data.offset} of stream {stream.id}, which is at {stream.next}"
            )
        if stream.credit <= 0:
            raise RemoteProtocolError(f"data beyond the credit of stream {stream.id}")
        end = data.offset + size
        if end > stream.offer.event.size:
            raise RemoteProtocolError(f"data past the end of the file of stream {stream.id}")
        stream.credit -= 1
        stream.next = end
        fanout = self._room.fanout
        receiver = stream.receiver
        fanout.send(receiver, data_head(stream.offer.file, data.offset, size))
        fanout.send(receiver, body)  # the body as it came: a reference, no copy
        if end == stream.offer.event.size:
            self._forget(stream)  # complete: both sides know the size

    def _more(self, member: Member, file: int, chunks: int) -> None:
        stream = self._fetches.get(member, {}).get(file)
        if stream is None:
            return  # ended meanwhile: credit for nothing
        credit = min(stream.credit + chunks, fe.MAX_CREDIT)
        granted = credit - stream.credit
        if granted > 0 and stream.offer.sender is not None:
            stream.credit = credit
            self._tell(stream.offer.sender, fe.StreamCredit(stream.id, granted))

    def _refused(
        self, member: Member, request: ev.Event, cid: int | None, refusal: str | None
    ) -> bool:
        """Answer ``no`` with ``refusal``, or with the rate limit's if the request is over it."""
        room = self._room
        if refusal is None and room.rates is not None:
            refusal = room._over_limit(member, request)
        if refusal is None:
            return False
        room._reject(member, cid, refusal)
        return True

    def _offer(self, member: Member, request: fe.FileOffer) -> None:
        room = self._room
        cid = request.cid
        if self._refused(member, request, cid, self._offer_refusal(member, request)):
            return
        target: Member | None = None
        if request.to is not None:
            target = room.members.get(name_key(request.to))
            if target is None:
                room._reject(member, cid, f"No such user: {request.to}.")
                return
            if target is member:
                room._reject(member, cid, "You cannot offer a file to yourself.")
                return
            if not target.session.files:
                room._reject(member, cid, f"{target.name}'s program cannot receive files.")
                return
        event = fe.FileOffer(
            request.name,
            request.size,
            request.sha256,
            request.mime,
            None if target is None else target.name,
            member.name,
        )
        to = "" if target is None else target.token
        entry = room._record(event, author=member.token, cid=cid, to=to)
        event = replace(event, id=entry.id, time=entry.time)
        offer = Offer(event, entry, member.token, member)
        self.offers[offer.file] = offer
        self._by_owner.setdefault(member.token, {})[offer.file] = offer
        fanout = room.fanout
        if target is not None:
            fanout.send(target, entry.v2)
        else:
            for other in room.members.values():
                if other is member:
                    continue
                if other.session.files:
                    fanout.send(other, entry.v2)
                elif not other.v2:
                    fanout.send(other, entry.v1)
        room._accepted(member, cid, entry.id, entry.time)
        log.info("%s offers file %d (%d bytes)", member.name, offer.file, request.size)

    def _offer_refusal(self, member: Member, request: fe.FileOffer) -> str | None:
        rules = self.rules
        senders = rules.senders
        if senders is not None and name_key(member.name) not in {name_key(n) for n in senders}:
            return "The host does not let you send files in this room."
        if request.size > rules.max_size:
            return (
                f"{request.name[:60]} is {wire.readable_size(request.size)}: this room takes"
                f" files of up to {wire.readable_size(rules.max_size)}."
            )
        problem = file_name_problem(request.name)
        if problem is not None:
            return problem
        if len(self._by_owner.get(member.token, ())) >= limits.MAX_OFFERS:
            return f"You have {limits.MAX_OFFERS} files on offer: withdraw one first."
        if len(self.offers) >= limits.MAX_ROOM_OFFERS:
            return f"The room has {limits.MAX_ROOM_OFFERS} files on offer: try again later."
        return None

    def _get(self, member: Member, request: fe.FetchFile) -> None:
        room = self._room
        cid = request.cid
        if self._refused(member, request, cid, self._get_refusal(member, request)):
            return
        offer = self.offers[request.file]
        sender = offer.sender
        assert sender is not None  # _get_refusal checked it
        old = self._fetches.get(member, {}).get(offer.file)
        if old is not None:
            self._end(old, stop="cancelled")  # a second get replaces the first
        if cid is not None:
            # Never remembered as carried out: a get sent again starts the stream again.
            room.fanout.send(member, wire.ack_v2(cid, None, None))
        if request.offset == offer.event.size:
            return  # nothing left to send
        stream = Stream(next(self._ids), offer, member, request.offset)
        self.streams[stream.id] = stream
        offer.streams.add(stream)
        self._fetches.setdefault(member, {})[offer.file] = stream
        self._feeds[sender] = self._feeds.get(sender, 0) + 1
        self._tell(sender, fe.StreamStart(stream.id, offer.file, request.offset))

    def _get_refusal(self, member: Member, request: fe.FetchFile) -> str | None:
        offer = self.offers.get(request.file)
        if offer is None or offer.owner == member.token or offer.to not in ("", member.token):
            return "No such file on offer to you: it may have been withdrawn."
        if request.offset > offer.event.size:
            return (
                f"Offset {request.offset} is past the end of the file ({offer.event.size} bytes)."
            )
        sender = offer.sender
        if sender is None:
            return f"{offer.event.sender} is away: the file can be fetched when they are back."
        fetches = self._fetches.get(member, {})
        replacing = offer.file in fetches
        if not replacing:
            if len(fetches) >= limits.MAX_FETCHES:
                return f"You are fetching {limits.MAX_FETCHES} files already: wait for one."
            if self._feeds.get(sender, 0) >= limits.MAX_FEEDS:
                return f"{sender.name} is sending {limits.MAX_FEEDS} files already: try again soon."
            if len(self.streams) >= limits.MAX_ROOM_STREAMS:
                return f"The room is busy with {limits.MAX_ROOM_STREAMS} transfers: try again soon."
        return None

    # --- ending -------------------------------------------------------------------------

    def _forget(self, stream: Stream) -> None:
        """Take ``stream`` out of every table (no pair is sent)."""
        del self.streams[stream.id]
        stream.offer.streams.discard(stream)
        fetches = self._fetches.get(stream.receiver)
        if fetches is not None and fetches.get(stream.offer.file) is stream:
            del fetches[stream.offer.file]
            if not fetches:
                del self._fetches[stream.receiver]
        sender = stream.offer.sender
        if sender is not None:
            left = self._feeds.get(sender, 1) - 1
            if left > 0:
                self._feeds[sender] = left
            else:
                self._feeds.pop(sender, None)

    def _end(self, stream: Stream, *, stop: str | None = None, abort: str | None = None) -> None:
        """End ``stream`` early: the sender gets ``stop S STOP``, the receiver ``abort FILE ABORT``
        (either left out when None)."""
        self._forget(stream)
        sender = stream.offer.sender
        if sender is not None:
            if stream.credit > 0:  # chunks the sender may have sent already: not an error
                ended = self._ended.setdefault(sender, OrderedDict())
                ended[stream.id] = stream.credit
                if len(ended) > ENDED_KEPT:
                    ended.popitem(last=False)
            if stop is not None:
                self._tell(sender, fe.StreamStop(stream.id, stop))
        if abort is not None:
            self._tell(stream.receiver, fe.FileAbort(stream.offer.file, abort))

    def _withdraw(
        self, offer: Offer, sender: str, *, author: str = "", cid: int | None = None
    ) -> Entry:
        """The offer is gone: an ``unoffer`` room event to whoever saw it; streams aborted.

        ``author`` is the sender's token when it withdrew the offer itself (it gets
        the ``ok``), "" when the room did (the grace ended: a sender that resumes
        later finds the event of a room offer in its replay).
        """
        room = self._room
        for stream in list(offer.streams):
            self._end(stream, abort="withdrawn")
        del self.offers[offer.file]
        owned = self._by_owner.get(offer.owner)
        if owned is not None:
            owned.pop(offer.file, None)
            if not owned:
                del self._by_owner[offer.owner]
        event = fe.FileWithdrawn(offer.file, sender)
        entry = room._record(event, author=author, cid=cid, to=offer.to)
        for member in room.members.values():
            token = member.token
            if member.session.files and token != offer.owner and offer.to in ("", token):
                room.fanout.send(member, entry.v2)
        return entry

    # --- members coming and going ---------------------------------------------------------

    def joined(self, member: Member) -> None:
        """``member`` is in: offers of its token are live again (a resume within the grace)."""
        owned = self._by_owner.get(member.token)
        if not owned or not member.session.files:
            return
        for offer in owned.values():
            offer.sender, offer.away_until = member, None
        if self._away.pop(member.token, None) is not None:
            self._reschedule()

    def left(self, member: Member) -> None:
        """``member``'s connection ended: its fetches end, its offers are away."""
        for stream in list(self._fetches.get(member, {}).values()):
            self._end(stream, stop="gone")
        owned = self._by_owner.get(member.token, {})
        until = self._room._monotonic() + self.rules.grace
        for offer in owned.values():
            if offer.sender is not member:
                continue
            for stream in list(offer.streams):
                self._end(stream, abort="away")
            offer.sender, offer.away_until = None, until
            self._away[member.token] = until
        self._feeds.pop(member, None)
        self._ended.pop(member, None)
        self._reschedule()

    def sooner(self, due: float | None) -> float | None:
        """The earlier of ``due`` and :attr:`due` (the loop's next wake-up)."""
        mine = self.due
        return due if mine is None else mine if due is None else min(due, mine)

    def expire(self, now: float) -> None:
        """Withdraw the offers whose sender stayed away past the grace (if one ended by ``now``)."""
        if self.due is None or self.due > now:
            return
        for token, until in list(self._away.items()):
            if until > now:
                continue
            del self._away[token]
            for offer in list(self._by_owner.get(token, {}).values()):
                if offer.sender is None:
                    self._withdraw(offer, offer.event.sender)
        self._reschedule()

    def _reschedule(self) -> None:
        self.due = min(self._away.values(), default=None)

    # --- what members are shown -------------------------------------------------------------

    def history(self, member: Member, chat: list[Entry]) -> list[Entry]:
        """A files newcomer's history: the chat plus every live offer it may fetch, by id."""
        token = member.token
        offers = [
            offer.entry
            for offer in self.offers.values()
            if offer.owner != token and offer.to in ("", token)
        ]
        if not offers:
            return chat
        return sorted([*chat, *offers], key=lambda entry: entry.id)

    def _tell(self, member: Member, event: ev.Event) -> None:
        self._room.fanout.send(member, encode_file_event(event))
