"""The chat room's rules, without sockets: who is in, what each request does, who hears it.

The loop (``loop.py``) feeds :meth:`Room.handle` the events each member's
:class:`~desktopchat.protocol.server.ServerConnection` reports; the room
answers through the sessions (bytes for one member) and through
:class:`LocalFanout` (bytes for many), and the loop flushes ``fanout.touched``
once per pass. docs/PROTOCOL.md is the behaviour; the invariants kept here:

* Every room event gets the next id of this run (:attr:`Room.epoch`) and the
  server's time, and is encoded once per protocol version, whatever the
  number of recipients.
* A protocol-2 request is answered with Accepted or Rejected by its cid; a
  cid the room already accepted from the same client token is answered again
  and not carried out twice (a resend after a reconnect).
* A request over the member's rate limits (:mod:`.rates`) is refused with a
  "Slow down: ..." sentence and not carried out; resends are free.
* Names are unique under :func:`~desktopchat.protocol.name_key`, and no two
  look alike (:func:`~desktopchat.protocol.name_skeleton`, ``lookalikes.py``).
* Chat text is never logged above DEBUG.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from logging import DEBUG, INFO

from desktopchat.protocol import events as ev
from desktopchat.protocol import name_key, name_skeleton, validate_name, wire
from desktopchat.protocol.commands import HELP_TEXT
from desktopchat.protocol.framing import DEFAULT_MAX_PAYLOAD, LocalProtocolError
from desktopchat.protocol.names import InvalidName
from desktopchat.protocol.server import ServerConnection
from desktopchat.server.crowd import QUIET_ABOVE, Crowd
from desktopchat.server.gate import PENDING, PasswordGate, Verdict
from desktopchat.server.history import Entry, RoomLog
from desktopchat.server.lookalikes import LookAlikes
from desktopchat.server.outqueue import BUFFER_COST, OutQueue
from desktopchat.server.rates import MemberRates, RateLimits
from desktopchat.server.store import HistoryStore
from desktopchat.server.transfers import FILE_REQUESTS, FileRules, Transfers, shows
from desktopchat.server.typingrelay import TypingRelay

__all__ = ["MAX_SERVER_TEXT", "LocalFanout", "Member", "Room"]

log = logging.getLogger(__name__)

#: Largest text the server itself generates (``*users``): the default frame
#: limit, which every client's decoder accepts.
MAX_SERVER_TEXT = DEFAULT_MAX_PAYLOAD

#: Client tokens whose accepted cids are remembered, and cids per token: enough
#: for every member of a big room and for everything one client can have in
#: flight across a reconnect.
TOKENS_KEPT = 10_000
CIDS_KEPT = 512
#: Remembered cids in all (~170 bytes each, about 34 MB): a member who keeps
#: coming back under fresh tokens pushes out the least recent tokens, not memory.
DONE_KEPT = 200_000


class Member:
    """One connection as the room sees it; the loop's ``Connection`` extends it."""

    __slots__ = ("address", "encrypted", "key", "name", "out", "session", "token", "v2")

    def __init__(self, session: ServerConnection, address: str = "") -> None:
        self.session = session
        self.address = address
        self.name = ""
        self.key = ""
        self.token = ""
        self.v2 = False
        #: The connection is TLS (the loop sets it once the handshake is done).
        self.encrypted = False
        #: What waits to be sent: shared buffers by reference (outqueue.py).
        self.out = OutQueue()


class LocalFanout:
    """The seam between the room and delivery: who gets which bytes.

    This implementation queues references to the same bytes on in-process
    members' :class:`~.outqueue.OutQueue` and records them in ``touched`` for
    the loop to flush. A relay across several server processes would replace
    this class and leave the connection code alone.
    """

    __slots__ = ("members", "position", "private", "refs", "touched")

    def __init__(self) -> None:
        #: name_key -> member, in join order.
        self.members: dict[str, Member] = {}
        #: Members with new output since the loop last flushed.
        self.touched: set[Member] = set()
        #: Bytes of every broadcast buffer made so far, each counted once (with
        #: outqueue.BUFFER_COST): a chunk's position is this total when it was made.
        self.position = 0
        #: Bytes of the private chunks (one member's alone) queued and not yet
        #: sent, over all members (the loop subtracts what it sends or discards).
        self.private = 0
        #: References queued and not yet sent, over all members (the loop
        #: subtracts what it sends or discards).
        self.refs = 0

    def broadcast(self, v1: bytes, v2: bytes, exclude: Member | None = None) -> None:
        """Queue each member's version of the bytes, by reference (not for ``exclude``)."""
        position = self.position
        chunk1, chunk2 = (v1, position), (v2, position)
        size1, size2 = len(v1), len(v2)
        self.position = position + size1 + size2 + 2 * BUFFER_COST
        members = self.members
        for member in members.values():
            if member is not exclude:
                out = member.out
                if member.v2:
                    out.append(chunk2)
                    out.queued += size2
                else:
                    out.append(chunk1)
                    out.queued += size1
        refs = len(members)
        if exclude is not None and members.get(exclude.key) is exclude:
            refs -= 1
        self.refs += refs
        self.touched.update(members.values())

    def send(self, member: Member, data: bytes) -> None:
        """Queue ``data`` for one member."""
        if data:
            self.private += member.out.put(data, self.position)
            self.refs += 1
            self.touched.add(member)


class Room:
    """Names, requests, history and fan-out for one room. Runs on the loop's thread."""

    def __init__(
        self,
        history: int = 100,
        *,
        password: str | None = None,
        fanout: LocalFanout | None = None,
        clock: Callable[[], float] = time.time,
        rates: RateLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        marks: bool = False,
        store: HistoryStore | None = None,
        quiet_above: int = QUIET_ABOVE,
        files: FileRules | None = None,
    ) -> None:
        if history < 0:
            raise ValueError("history must not be negative")
        #: The room speaks TLS: protocol-2 members are told who is unencrypted.
        self.marks = marks
        self.fanout = fanout if fanout is not None else LocalFanout()
        self.gate: PasswordGate[Member] = PasswordGate(password, clock=monotonic)
        # Joins the gate keeps waiting for their turn (admit_waiting finishes them).
        self._gated: dict[Member, ev.JoinRequest] = {}
        #: Names this run of the room; ids from another epoch mean nothing here.
        self.epoch = secrets.token_hex(6) if store is None else store.epoch
        # With a store (--data): its saved events, ids, answers; tokens become its tags.
        self.log = RoomLog(history, store)
        self._tag = None if store is None else store.tag
        self._clock = clock
        #: Per-member request limits (None: none); ``monotonic`` is their clock.
        self.rates = rates
        self._monotonic = monotonic
        self._buckets: dict[Member, MemberRates] = {}
        self.typing = TypingRelay()  # "NAME is typing": protocol 2, never stored
        self.transfers = Transfers(self, files or FileRules())  # offers and streams of files
        self._last_id = 0 if store is None else store.saved.last_id
        #: Who holds which name skeleton (look-alike names are refused).
        self._looks: LookAlikes[Member] = LookAlikes()
        # token -> cid -> (id, time) of requests already carried out.
        self._done: OrderedDict[str, OrderedDict[int, tuple[int | None, float | None]]]
        self._done, self._done_count = (  # and how many cids over all tokens
            (OrderedDict(), 0) if store is None else store.saved.answers(CIDS_KEPT, TOKENS_KEPT)
        )
        #: Members in the room, for other threads (one int: never seen mid-rename).
        self.count = 0
        #: Big rooms: coalesced joins and leaves, pages of names (crowd.py).
        self.crowd = Crowd(self.fanout.members, quiet_above, marks=marks)

    @property
    def members(self) -> dict[str, Member]:
        """name_key -> member, in join order (read-only by convention)."""
        return self.fanout.members

    # --- events from sessions -------------------------------------------------------

    def handle(self, member: Member, event: ev.Event) -> None:
        """Act on one event from ``member``'s session."""
        if isinstance(event, ev.JoinRequest):
            self.join(member, event)
            return
        if isinstance(event, ev.Typing):  # no cid, no answer: over a limit it just drops
            if member.v2 and (self.rates is None or self._over_limit(member, event) is None):
                self.typing.relay(self.fanout, member, self._monotonic())
            return
        cid = getattr(event, "cid", None)
        if cid is not None and member.token:
            done = self._done.get(member.token)
            if done is not None and cid in done:  # a resend: answer again, do nothing
                self._send(member, ev.Accepted(cid, *done[cid]))
                return
        if isinstance(event, FILE_REQUESTS):  # only from members that asked for files
            self.transfers.handle(member, event)
            return
        if self.rates is not None and (refusal := self._over_limit(member, event)) is not None:
            self._reject(member, cid, refusal)
            return
        match event:
            case ev.Message(text=text):
                self._say(member, ev.Message, text, cid)
            case ev.Action(text=text):
                if not text.strip():
                    self._reject(member, cid, "Usage: /me TEXT")
                else:
                    self._say(member, ev.Action, text, cid)
            case ev.Private():
                self._private(member, event, cid)
            case ev.NickChange(new=new):
                self._nick(member, new, cid)
            case ev.Who(start=start):
                self._send(member, *self.crowd.who(start))
                self._accepted(member, cid, None, None)
            case ev.Help():
                self._send(member, ev.Info(HELP_TEXT))
                self._accepted(member, cid, None, None)
            case ev.CommandError(reason=reason):
                self._reject(member, cid, reason)
            case _:
                raise LocalProtocolError(f"the room cannot handle {event!r}")

    # --- membership -------------------------------------------------------------------

    def join(self, member: Member, request: ev.JoinRequest, *, verdict: Verdict = PENDING) -> None:
        """Let ``member`` in, or refuse it (the loop closes a refused session).

        The password gate may keep the join waiting (``member`` stays joining);
        :meth:`admit_waiting` then finishes it with the gate's ``verdict``.
        """
        if verdict is PENDING:
            verdict = self.gate.submit(member, member.address, request.password, request.token)
            if verdict is PENDING:
                self._gated[member] = request
                return
        reason = verdict
        skeleton = name_skeleton(request.name)
        if reason is None:
            reason = self._looks.refusal(request.name, skeleton, self.members)
        if reason is not None:
            if reason.startswith(("Wrong", "Too many")):
                log.warning("%s: wrong password for %r", member.address, request.name)
            self._send(member, ev.Refused(reason))
            return
        session = member.session
        session.accept()
        member.v2 = request.version == 2
        member.token = request.token or "v1-" + secrets.token_hex(8)
        if self._tag is not None:  # saved history: the room never holds the token itself
            member.token = self._tag(member.token)
        self._set_name(member, request.name)
        encrypted = member.encrypted if self.marks else None
        quiet = self.crowd.coalesce(len(self.members) + 1)
        if quiet:  # a big room: announced (and logged) in a while
            self.crowd.touch(member.key)
        else:
            joined = self._record(ev.Joined(request.name, encrypted), author=member.token)
            self.fanout.broadcast(joined.v1, joined.v2)
        self.fanout.members[member.key] = member
        self.count = len(self.members)
        self._looks.hold(member, skeleton, self.members)
        greeting = f"Welcome to the room, {request.name}! Type /help for commands."
        welcome = ev.Welcome(request.name, greeting, request.version, self.epoch, self._last_id)
        self._send(member, welcome)
        self._send(member, *self.crowd.welcome_list(member))
        self.fanout.send(member, self._replay(member, request.resume))
        self.transfers.joined(member)
        log.log(DEBUG if quiet else INFO, "%s joined (%d in the room)", request.name, self.count)

    def admit_waiting(self) -> list[Member]:
        """Finish the joins the password gate has decided by now; those members."""
        decided = []
        for member, verdict in self.gate.ready():
            request = self._gated.pop(member, None)
            if request is not None:
                self.join(member, request, verdict=verdict)
                decided.append(member)
        return decided

    def leave(self, member: Member) -> None:
        """Remove ``member`` (if it joined) and tell everyone else."""
        if self._gated.pop(member, None) is not None:
            self.gate.cancel(member)
        self._buckets.pop(member, None)
        self.typing.forget(member)
        if self.members.get(member.key) is not member:
            return
        quiet = self.crowd.coalesce(len(self.members))
        if quiet:  # a big room: announced in a while
            self.crowd.touch(member.key, member)
        del self.members[member.key]
        self.count = len(self.members)
        self.fanout.touched.discard(member)
        self.transfers.left(member)
        if not quiet:
            left = self._record(ev.Left(member.name), author=member.token)
            self.fanout.broadcast(left.v1, left.v2)
        log.log(DEBUG if quiet else INFO, "%s left (%d in the room)", member.name, self.count)

    def announce(self) -> None:
        """Tell everyone the joins and leaves held back (the loop calls it at crowd.due)."""
        self.crowd.flush(
            self.fanout,
            lambda event, by: self._record(event, author=by).v2,
            lambda: self._last_id,
            self._clock(),
        )

    def clear(self) -> None:
        """Forget every member without telling anyone (the room is closing)."""
        for member in self._gated:
            self.gate.cancel(member)
        self._gated.clear()
        self.members.clear()
        self.count = 0
        self.fanout.touched.clear()
        self._buckets.clear()
        self.crowd.clear()

    # --- requests ---------------------------------------------------------------------

    def _say(
        self,
        member: Member,
        kind: type[ev.Message] | type[ev.Action],
        text: str,
        cid: int | None,
    ) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("<%s> %r", member.name, text)
        self._last_id += 1
        event = kind(text, sender=member.name, id=self._last_id, time=self._clock())
        entry = self._record(event, author=member.token, cid=cid, chat=True)
        self.fanout.broadcast(entry.v1, entry.v2, exclude=member)
        self._accepted(member, cid, entry.id, entry.time)

    def _private(self, member: Member, request: ev.Private, cid: int | None) -> None:
        target = self.members.get(name_key(request.to))
        if target is None:
            self._reject(member, cid, f"No such user: {request.to}.")
            return
        if log.isEnabledFor(logging.DEBUG):
            log.debug("<%s -> %s> %r", member.name, target.name, request.text)
        event = ev.Private(request.text, to=target.name, sender=member.name)
        entry = self._record(event, author=member.token, cid=cid, to=target.token)
        self.fanout.send(target, entry.v2 if target.v2 else entry.v1)
        self._accepted(member, cid, entry.id, entry.time)

    def _new_name(self, member: Member, raw: str, cid: int | None) -> str | None:
        """A rename's valid, free new name; None once answered (bad, taken, the same)."""
        try:
            new = validate_name(raw)
        except InvalidName as exc:
            self._reject(member, cid, str(exc))
            return None
        if new == member.name:
            self._send(member, ev.Info(f"You are already called {new}."))
            self._accepted(member, cid, None, None)
            return None
        taken = self._looks.refusal(new, name_skeleton(new), self.members, asker=member)
        if taken is not None:
            self._reject(member, cid, taken)
            return None
        return new

    def _nick(self, member: Member, raw: str, cid: int | None) -> None:
        if (new := self._new_name(member, raw, cid)) is None:
            return
        skeleton = name_skeleton(new)
        if self.crowd.due is not None:
            self.announce()  # who joined, under the names they joined with, first
        old, old_key = member.name, member.key
        self._set_name(member, new)
        # Rebuild in place (others hold this dict) so the member keeps its place
        # in the join order that *users shows.
        entries = [(member.key if k == old_key else k, m) for k, m in self.members.items()]
        self.members.clear()
        self.members.update(entries)
        self._looks.hold(member, skeleton, self.members)
        entry = self._record(ev.NickChange(new, old=old), author=member.token, cid=cid)
        self.fanout.broadcast(entry.v1, entry.v2)
        self._accepted(member, cid, entry.id, entry.time)
        log.info("%s is now %s", old, new)

    def _over_limit(self, member: Member, event: ev.Event) -> str | None:
        """Charge ``event`` to ``member``'s rate limits; the refusal if it is over one."""
        assert self.rates is not None
        now = self._monotonic()
        buckets = self._buckets.get(member)
        if buckets is None:
            buckets = self._buckets[member] = MemberRates(self.rates, now)
        text: str = getattr(event, "text", "")
        size = len(text) if text.isascii() else len(text.encode("utf-8", "replace"))
        return buckets.refusal(size, now, nick=isinstance(event, ev.NickChange))

    # --- helpers ----------------------------------------------------------------------

    def _record(
        self,
        event: ev.RoomEvent,
        *,
        author: str = "",
        cid: int | None = None,
        to: str = "",
        chat: bool = False,
    ) -> Entry:
        """Number and stamp ``event`` (unless the caller did), encode it once per
        version, remember it."""
        if event.id is None:
            self._last_id += 1
            event = replace(event, id=self._last_id, time=self._clock())
        assert event.id is not None and event.time is not None
        entry = Entry(
            event.id,
            event.time,
            wire.encode_v1(event),
            wire.encode_v2(event),
            author=author,
            cid=cid,
            to=to,
            chat=chat,
        )
        self.log.add(entry)
        return entry

    def _send(self, member: Member, *events: ev.Event) -> None:
        session = member.session
        self.fanout.send(member, b"".join(session.send(event) for event in events))

    def _accepted(
        self, member: Member, cid: int | None, id_: int | None, when: float | None
    ) -> None:
        if cid is None or not member.v2:
            return
        done = self._done.get(member.token)
        if done is None:
            done = self._done[member.token] = OrderedDict()
        else:
            self._done.move_to_end(member.token)
        done[cid] = (id_, when)
        self._done_count += 1
        if len(done) > CIDS_KEPT:
            done.popitem(last=False)
            self._done_count -= 1
        # Least recent tokens go first; the current one always stays.
        while len(self._done) > TOKENS_KEPT or self._done_count > DONE_KEPT:
            _, forgotten = self._done.popitem(last=False)
            self._done_count -= len(forgotten)
        self.fanout.send(member, wire.ack_v2(cid, id_, when))

    def _reject(self, member: Member, cid: int | None, reason: str) -> None:
        self._send(member, ev.Rejected(cid if cid is not None else 0, reason))

    def _set_name(self, member: Member, name: str) -> None:
        member.name = name
        member.key = name_key(name)

    def _replay(self, member: Member, resume: tuple[str, int] | None) -> bytes:
        """What a newcomer is shown: recent chat, or everything it missed (resume)."""
        session = member.session
        if resume is None or not member.v2:
            chat = self.log.chat()
            if member.session.files:  # and the offers it may fetch
                chat = self.transfers.history(member, chat)
            body = b"".join(e.v2 if member.v2 else e.v1 for e in chat)
            return session.replay_head(len(chat), False) + body
        epoch, last = resume
        if epoch != self.epoch:
            last = self.log.base  # another epoch: all of this one is new to the client
        parts: list[bytes] = []
        missing = self.log.missing_after(last)
        if missing is not None:
            parts.append(session.send(ev.Gap(*missing)))
        token = member.token
        for entry in self.log.after(last):
            if entry.author == token and entry.cid is not None and entry.to != token:
                # Our own request, accepted before the drop: the ack says it all.
                parts.append(session.send(ev.Accepted(entry.cid, entry.id, entry.time)))
            elif entry.author == token and entry.cid is None:
                continue  # our own join or leave
            elif (not entry.to or entry.to == token) and shows(member, entry):
                parts.append(entry.v2)
        return session.replay_head(len(parts), True) + b"".join(parts)
