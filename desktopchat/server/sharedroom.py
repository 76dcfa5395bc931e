"""One room across several servers: the room's rules with Redis deciding what happens.

:class:`SharedRoom` is a :class:`~desktopchat.server.room.Room` whose changes
(a line, a private message, a join, a rename, a leave) are not carried out
here but published (``redislink.py``: a script checks, numbers and appends
it to the room's stream); every server, this one included, carries out the
entries it reads from the stream, in stream order (:meth:`SharedRoom.apply`):
its own members hear them, the author gets its ``ok`` from there. So every
server gives the same id to the same event, and the order is the same
everywhere. Refusals (a taken name, no such user) and resends come back as
the script's answer (:meth:`SharedRoom.pump`).

What stays per server: typing hints, rate limits, the password gate, the
member list's order. No files in a Redis room (the server offers none) and
no coalesced joins (every join is one entry). docs/ARCHITECTURE.md, "One
room on several servers", lists the failure cases.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any

from desktopchat.protocol import events as ev
from desktopchat.protocol import name_key, name_skeleton
from desktopchat.server.crowd import full_list
from desktopchat.server.gate import PENDING, Verdict
from desktopchat.server.history import RoomLog
from desktopchat.server.redisentries import Decoded, decode, entry_of
from desktopchat.server.redislink import RedisLink
from desktopchat.server.room import Member, Room

__all__ = ["SharedRoom"]

log = logging.getLogger(__name__)

#: What a member hears when Redis has too much waiting to take its request.
BUSY = "The room cannot reach its other servers right now: try again in a moment."


class _Remote:
    """A member of another server, for the member list."""

    __slots__ = ("encrypted", "name")

    def __init__(self, name: str, encrypted: bool) -> None:
        self.name, self.encrypted = name, encrypted


class SharedRoom(Room):
    """A Room whose events go through Redis; see the module docstring."""

    def __init__(self, history: int = 100, **kwargs: Any) -> None:
        kwargs["quiet_above"] = 0  # every join is a stream entry: nothing to coalesce
        super().__init__(history, **kwargs)
        self._history = history
        self.link: RedisLink | None = None
        self._by_tag: dict[str, Member] = {}  # tag -> local member
        self._claiming: dict[Member, tuple[ev.JoinRequest, str]] = {}  # joins asked of Redis
        self._abandoned: dict[Member, str] = {}  # claims of members gone meanwhile: names
        self._remote: dict[str, _Remote] = {}  # name key -> member of another server
        self._decided: list[Member] = []  # joins finished or refused since the last pump
        #: Called with a reason when every member must go (Redis lost the room).
        self.drop_all: Callable[[str], None] = lambda reason: None
        #: Called with a member and a reason when it must go (its name was lost).
        self.drop: Callable[[Member, str], None] = lambda member, reason: None

    def attach(self, link: RedisLink, names: dict[str, list[str]]) -> None:
        """Use ``link``; ``names`` (key -> names value) are who is on other servers now."""
        self.link = link
        for key, value in names.items():
            if len(value) >= 5:
                self._remote[key] = _Remote(value[2], value[4] == "1")

    # --- the loop hands over what the link brought ------------------------------------

    def pump(self) -> list[Member]:
        """Carry out what Redis answered and the stream brought; the joins now decided."""
        assert self.link is not None
        for item in self.link.take():
            if item[0] == "entry":
                decoded = decode(item[1], item[2], self.marks)
                if decoded is not None:
                    self.apply(decoded)
            elif item[0] == "answer":
                item[1](item[2])
            elif item[0] == "epoch":
                self._new_epoch(item[1], item[2])
        decided, self._decided = self._decided, []
        return decided

    def apply(self, d: Decoded) -> None:
        """Carry out one stream entry (in stream order) for this server's members."""
        event = d.event
        assert event.id is not None and event.time is not None
        if event.id <= self._last_id:
            return  # read at start already, or from before a new epoch
        if event.id > self._last_id + 1:  # a slow server: trimmed before we read them
            log.warning("stream entries %d-%d lost here", self._last_id + 1, event.id - 1)
            base = self.log.base
            self.log = RoomLog(self._history)
            self.log.base, self.log.gone = base, (event.id - 1, event.time)
        self._last_id = event.id
        entry = entry_of(d)
        self.log.add(entry)
        author = self._by_tag.get(d.author) if d.author else None
        if d.kind == "p":
            target = self._by_tag.get(d.to)
            if target is not None:
                self.fanout.send(target, entry.v2 if target.v2 else entry.v1)
        elif d.kind == "j":
            if author is None and isinstance(event, ev.Joined) and d.origin != self._sid():
                self._remote[name_key(event.name)] = _Remote(event.name, bool(event.encrypted))
            self.fanout.broadcast(entry.v1, entry.v2, exclude=author)
        elif d.kind == "l":
            if isinstance(event, ev.Left):
                remote = self._remote.get(key := name_key(event.name))
                if remote is not None and remote.name == event.name:
                    del self._remote[key]
            self.fanout.broadcast(entry.v1, entry.v2, exclude=author)
            if author is not None and d.origin == "sweep":  # buried alive (Redis was away)
                self._reclaim(author)
        elif d.kind == "n" and isinstance(event, ev.NickChange):
            if author is not None:
                self._renamed(author, event.new)
            elif (old := self._remote.pop(name_key(event.old), None)) is not None:
                self._remote[name_key(event.new)] = _Remote(event.new, old.encrypted)
            self.fanout.broadcast(entry.v1, entry.v2)
        else:
            self.fanout.broadcast(entry.v1, entry.v2, exclude=author)
        if author is not None and d.cid is not None:
            self._accepted(author, d.cid, event.id, event.time)

    def _sid(self) -> str:
        return self.link.sid if self.link is not None else ""

    def _new_epoch(self, epoch: str, base: int) -> None:
        """Redis lost the room: a new epoch; our members come back and rejoin."""
        self.epoch = epoch
        self.log = RoomLog(self._history)
        self.log.base = base
        self._last_id = base
        self._remote.clear()
        self._done.clear()
        self._done_count = 0
        self.drop_all("The room's shared state was lost (Redis restarted): reconnect.")

    # --- requests go to Redis ----------------------------------------------------------

    def _publish(self, member: Member, cid: int | None, args: list[str], answer: Any) -> None:
        assert self.link is not None
        if not self.link.publish(args, answer):
            self._reject(member, cid, BUSY)

    def _fields(self, kind: str, member: Member, cid: int | None, **more: str) -> list[str]:
        fields = {"k": kind, "t": repr(self._clock()), "a": member.token, "o": self._sid()}
        if cid is not None:
            fields["c"] = str(cid)
        fields.update(more)
        return [item for pair in fields.items() for item in pair]

    def _answered(
        self, member: Member, cid: int | None, refuse: Callable[[list[str]], str]
    ) -> Callable[[list[str]], None]:
        """The answer handler of a request: resends acknowledged, refusals worded."""

        def answer(result: list[str]) -> None:
            if self.members.get(member.key) is not member:
                return  # gone meanwhile: a resend after its reconnect is answered then
            if result[0] == "DUP" and cid is not None:
                id_, when = result[1].split(" ", 1)
                self._accepted(member, cid, int(id_), float(when) if when else None)
            elif result[0] not in ("OK", "EPOCH", "DUP"):
                self._reject(member, cid, refuse(result))

        return answer

    def _say(
        self, member: Member, kind: type[ev.Message] | type[ev.Action], text: str, cid: int | None
    ) -> None:
        k = "m" if kind is ev.Message else "a"
        fields = self._fields(k, member, cid, s=member.name, x=text)
        args = [k, member.token, "" if cid is None else str(cid), "", "", "", "", "", ""]
        self._publish(member, cid, args + fields, self._answered(member, cid, str))

    def _private(self, member: Member, request: ev.Private, cid: int | None) -> None:
        to = request.to
        fields = self._fields("p", member, cid, s=member.name, x=request.text)
        args = ["p", member.token, "" if cid is None else str(cid), name_key(to), "", "", ""]
        answer = self._answered(member, cid, lambda r: f"No such user: {to}.")
        self._publish(member, cid, [*args, "", self._sid(), *fields], answer)

    def _nick(self, member: Member, raw: str, cid: int | None) -> None:
        if (new := self._new_name(member, raw, cid)) is None:
            return
        skeleton = name_skeleton(new)
        value = self._value(member, new, skeleton)
        old_skeleton = name_skeleton(member.name)
        fields = self._fields("n", member, cid, s=new, old=member.name)
        c = "" if cid is None else str(cid)
        args = ["n", member.token, c, name_key(new), skeleton, member.key, old_skeleton, value]
        answer = self._answered(member, cid, lambda r: _refusal(new, r))
        self._publish(member, cid, [*args, self._sid(), *fields], answer)

    def _renamed(self, member: Member, new: str) -> None:
        """Our member's rename came back from the stream: carry it out here."""
        old_key = member.key
        self._set_name(member, new)
        entries = [(member.key if k == old_key else k, m) for k, m in self.members.items()]
        self.members.clear()
        self.members.update(entries)
        self._looks.hold(member, name_skeleton(new), self.members)

    def _value(self, member: Member, name: str, skeleton: str) -> str:
        encrypted = "1" if member.encrypted else "0"
        return "\t".join((self._sid(), member.token, name, skeleton, encrypted))

    # --- membership --------------------------------------------------------------------

    def handle(self, member: Member, event: ev.Event) -> None:
        """As Room.handle; the member list holds every server's members."""
        if isinstance(event, ev.Who) and not (member.token and self._resent(member, event)):
            self._send(member, *self._list())
            self._accepted(member, event.cid, None, None)
            return
        super().handle(member, event)

    def _resent(self, member: Member, event: ev.Who) -> bool:
        done = self._done.get(member.token)
        return done is not None and event.cid in done

    def _list(self) -> list[ev.Event]:
        everyone: list[Any] = [*self.members.values(), *self._remote.values()]
        return full_list(everyone, self.marks)

    def join(self, member: Member, request: ev.JoinRequest, *, verdict: Verdict = PENDING) -> None:
        """Let ``member`` in once Redis says its name is free room-wide."""
        if verdict is PENDING:
            verdict = self.gate.submit(member, member.address, request.password, request.token)
            if verdict is PENDING:
                self._gated[member] = request
                return
        skeleton = name_skeleton(request.name)
        reason = verdict or self._looks.refusal(request.name, skeleton, self.members)
        if reason is not None:
            self._send(member, ev.Refused(reason))
            self._decided.append(member)
            return
        assert self._tag is not None  # a RedisStore's
        tag = member.token = self._tag(request.token or "v1-" + secrets.token_hex(8))
        self._claiming[member] = (request, skeleton)
        value = "\t".join((self._sid(), tag, request.name, skeleton, _enc(member)))
        fields = ["k", "j", "t", repr(self._clock()), "s", request.name, "a", tag]
        fields += ["o", self._sid(), "e", _enc(member)]
        args = ["j", tag, "", name_key(request.name), skeleton, "", "", value, self._sid()]
        if not self.link or not self.link.publish(
            args + fields, lambda r: self._claimed(member, r)
        ):
            self._claiming.pop(member, None)
            self._send(member, ev.Refused(BUSY))
            self._decided.append(member)

    def _claimed(self, member: Member, result: list[str]) -> None:
        claim = self._claiming.pop(member, None)
        if claim is None:  # it went away meanwhile: give the name back
            name = self._abandoned.pop(member, "")
            if result[0] in ("OK", "SAME"):
                self._leave_name(member, name, member.token)
            return
        request, skeleton = claim
        if result[0] not in ("OK", "SAME"):
            self._send(member, ev.Refused(_refusal(request.name, result)))
            self._decided.append(member)
            return
        member.session.accept()
        member.v2 = request.version == 2
        self._set_name(member, request.name)
        self.members[member.key] = member
        self._remote.pop(member.key, None)  # moved here from another server
        self._by_tag[member.token] = member
        self.count = len(self.members)
        self._looks.hold(member, skeleton, self.members)
        greeting = f"Welcome to the room, {request.name}! Type /help for commands."
        welcome = ev.Welcome(request.name, greeting, request.version, self.epoch, self._last_id)
        self._send(member, welcome, *self._list())
        self.fanout.send(member, self._replay(member, request.resume))
        self._decided.append(member)
        log.info("%s joined (%d here)", request.name, self.count)

    def _reclaim(self, member: Member) -> None:
        """Claim a member's name again after another server buried it by mistake."""
        name, skeleton = member.name, name_skeleton(member.name)
        value = self._value(member, name, skeleton)
        fields = ["k", "j", "t", repr(self._clock()), "s", name, "a", member.token]
        fields += ["o", self._sid(), "e", _enc(member)]
        args = ["j", member.token, "", member.key, skeleton, "", "", value, self._sid()]

        def answer(result: list[str]) -> None:
            if result[0] not in ("OK", "SAME", "EPOCH") and self.members.get(member.key) is member:
                self.drop(member, _refusal(name, result))

        assert self.link is not None
        self.link.publish(args + fields, answer)

    def leave(self, member: Member) -> None:
        """Remove ``member`` here and give its name back room-wide."""
        if (claim := self._claiming.pop(member, None)) is not None:
            self._abandoned[member] = claim[0].name  # its name is given back if it got it
        if self._gated.pop(member, None) is not None:
            self.gate.cancel(member)
        self._buckets.pop(member, None)
        self.typing.forget(member)
        if self.members.get(member.key) is not member:
            return
        del self.members[member.key]
        self._by_tag.pop(member.token, None)
        self.count = len(self.members)
        self.fanout.touched.discard(member)
        self._leave_name(member, member.name, member.token)
        log.info("%s left (%d here)", member.name, self.count)

    def _leave_name(self, member: Member, name: str, tag: str) -> None:
        if self.link is None or not name:
            return
        skeleton = name_skeleton(name)
        fields = ["k", "l", "t", repr(self._clock()), "s", name, "a", tag, "o", self._sid()]
        args = ["l", tag, "", name_key(name), skeleton, "", "", "", self._sid()]
        self.link.publish(args + fields, None)

    def announce(self) -> None:
        """Nothing is held back in a Redis room."""

    def clear(self) -> None:
        """Forget every member (the server is closing: the survivors bury our names)."""
        self._by_tag.clear()
        self._claiming.clear()
        self._abandoned.clear()
        super().clear()


def _enc(member: Member) -> str:
    return "1" if member.encrypted else "0"


def _refusal(name: str, result: list[str]) -> str:
    if result[0] == "TAKEN":
        return f"Name {name} is already taken in this room: choose another."
    if result[0] == "LOOKS":
        other = result[1] if len(result) > 1 else "someone"
        return f"Name {name} looks the same as {other}, who is already in the room: choose another."
    return BUSY
