"""Events <-> pairs of frames, for protocol 1 and protocol 2 (docs/PROTOCOL.md 3, 9).

Room events are encoded here once per protocol version and the bytes are
shared by every recipient (:func:`encode_v1`, :func:`encode_v2`). A protocol-2
pair is (meta, body): meta is ASCII words separated by single spaces, the
first one the kind; body is the UTF-8 text, never escaped. Names never hold
whitespace (the name rules), so they are safe as words.
"""

from __future__ import annotations

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol.crowd import CROWD_WORD, summary
from desktopchat.protocol.framing import RemoteProtocolError, encode_pair

__all__ = [
    "UPGRADE_WORD",
    "ack_v2",
    "encode_v1",
    "encode_v2",
    "format_upgrade",
    "meta_pair",
    "offer_line",
    "parse_request_v2",
    "parse_room_v2",
    "parse_upgrade",
    "parse_upgrade_files",
    "readable_size",
    "upgrade_wants_crowd",
    "users_meta",
]

#: The frame a client sends to take up the ``*hello`` offer: "/protocol 2 TOKEN [EPOCH ID]".
UPGRADE_WORD = "/protocol"

# Stands for "none" where a number is expected (a request that made no room event).
_NO = "-"

# The last word of a ``join`` in a room with TLS: is the newcomer's connection encrypted.
_MARKS = {"tls": True, "plain": False}


def _ms(time: float | None) -> str:
    return _NO if time is None else str(round(time * 1000))


def _time(word: str) -> float | None:
    return None if word == _NO else _int(word) / 1000


def meta_pair(meta: str, body: str = "") -> bytes:
    """One protocol-2 pair; the body is limited by the frame limit of the peer only."""
    return _pair(meta.encode("utf-8"), body.encode("utf-8"))


def _pair(first: bytes, second: bytes) -> bytes:
    # Both frames of a pair in one formatting step: this runs once per room
    # event and per acknowledgement, so it is on the fan-out's hot path.
    return b"%-10d%s%-10d%s" % (len(first), first, len(second), second)


def ack_v2(cid: int, id_: int | None, time: float | None) -> bytes:
    """The protocol-2 acknowledgement pair (the same bytes as ``encode_v2(Accepted(...))``)."""
    return _pair(f"ok {cid} {_NO if id_ is None else id_} {_ms(time)}".encode("ascii"), b"")


def _head(kind: str, event: ev.RoomEvent) -> str:
    return f"{kind} {event.id if event.id is not None else _NO} {_ms(event.time)}"


def encode_v2(event: ev.Event) -> bytes:
    """The protocol-2 pair for a room event or an answer."""
    match event:
        case ev.Message(text=text, sender=sender):
            return _pair(f"{_head('say', event)} {sender}".encode(), text.encode())
        case ev.Action(text=text, sender=sender):
            return meta_pair(f"{_head('me', event)} {sender}", text)
        case ev.Private(text=text, sender=sender, to=to):
            return meta_pair(f"{_head('msg', event)} {sender} {to}", text)
        case ev.NickChange(new=new, old=old):
            return meta_pair(f"{_head('nick', event)} {old} {new}")
        case ev.Joined(name=name, encrypted=encrypted):
            mark = "" if encrypted is None else " tls" if encrypted else " plain"
            return meta_pair(f"{_head('join', event)} {name}{mark}")
        case ev.Left(name=name):
            return meta_pair(f"{_head('leave', event)} {name}")
        case ev.Joins(count=count, total=total, names=names):
            return meta_pair(f"{_head('joins', event)} {count} {total}", " ".join(names))
        case ev.Leaves(names=names, total=total):
            return meta_pair(f"{_head('leaves', event)} {len(names)} {total}", " ".join(names))
        case ev.Notice(text=text):
            return meta_pair(_head("notice", event), text)
        case ev.Accepted(cid=cid, id=id_, time=time):
            return ack_v2(cid, id_, time)
        case ev.Rejected(cid=cid, reason=reason):
            return meta_pair(f"no {cid}", reason)
        case ev.Welcome(name=name, text=text, epoch=epoch, last_id=last):
            return meta_pair(f"welcome {epoch or _NO} {_NO if last is None else last} {name}", text)
        case ev.UserList(names=names, unencrypted=plain, total=total, start=start):
            return meta_pair(users_meta(names, plain, total, start), " ".join(names))
        case ev.Info(text=text):
            return meta_pair("info", text)
        case ev.Gap(first=first, last=last, until=until):
            return meta_pair(f"gap {first} {last} {_ms(until)}")
        case ev.Refused(reason=reason):
            return meta_pair("error", reason)
        case ev.RoomClosed():
            return meta_pair("closed", ev.ROOM_CLOSED)
        case ev.Typing(name=name):
            return meta_pair(f"typing {name}" if name else "typing")
        case fe.FileOffer(sender=sender, to=to, size=size, sha256=sha, mime=mime, name=name):
            return meta_pair(
                f"{_head('file', event)} {sender} {to or '*'} {size} {sha} {mime}", name
            )
        case fe.FileWithdrawn(sender=sender, file=file):
            return meta_pair(f"{_head('unoffer', event)} {sender} {file}")
    raise TypeError(f"no protocol-2 form for {event!r}")


def users_meta(
    names: tuple[str, ...], plain: frozenset[str], total: int | None = None, start: int = 0
) -> str:
    """``users``, ``users plain=I,J`` naming the unencrypted members by position,
    and for a page ``from=S of=N`` after it."""
    marked = [str(i) for i, name in enumerate(names) if name in plain]
    meta = "users plain=" + ",".join(marked) if marked else "users"
    return meta if total is None else f"{meta} from={start} of={total}"


def _plain_names(word: str, names: tuple[str, ...]) -> frozenset[str]:
    """The names a ``plain=I,J`` word marks; ValueError if it is malformed."""
    if not word.startswith("plain="):
        raise ValueError(word)
    positions = word[6:].split(",")
    if len(positions) > len(names):
        raise ValueError(word)
    marked = set()
    for position in positions:
        i = _int(position)
        if i >= len(names):
            raise ValueError(word)
        marked.add(names[i])
    return frozenset(marked)


def encode_v1(event: ev.Event) -> bytes:
    """The protocol-1 (tutorial-compatible) pair for an event; b"" if it has none."""
    match event:
        case ev.Message(text=text, sender=sender):
            return _pair(sender.encode(), text.encode())
        case ev.Action(text=text, sender=sender):
            return encode_pair(ev.ACTION, f"{sender} {text}", 1 << 62)
        case ev.Private(text=text, sender=sender):
            return encode_pair(ev.PRIVATE_PREFIX + sender, text, 1 << 62)
        case ev.NickChange(new=new, old=old):
            return encode_pair(ev.NICK, f"{old} {new}")
        case ev.Joined(name=name):
            return encode_pair(ev.JOIN, name)
        case ev.Left(name=name):
            return encode_pair(ev.LEAVE, name)
        case ev.Notice(text=text) | ev.Info(text=text):
            return encode_pair(ev.INFO, text, 1 << 62)
        case ev.Joins(count=count, names=names):
            return encode_pair(ev.INFO, summary("joined", count, names), 1 << 62)
        case ev.Leaves(names=names):
            return encode_pair(ev.INFO, summary("left", len(names), names), 1 << 62)
        case ev.Rejected(reason=reason) | ev.Refused(reason=reason):
            return encode_pair(ev.ERROR, reason)
        case ev.Welcome(text=text):
            return encode_pair(ev.WELCOME, text)
        case ev.UserList(names=names):
            return encode_pair(ev.USERS, " ".join(names), 1 << 62)
        case ev.RoomClosed():
            return encode_pair(ev.INFO, ev.ROOM_CLOSED)
        case fe.FileOffer():
            return encode_pair(ev.FILE, offer_line(event), 1 << 62)
        case ev.Accepted() | ev.Gap() | ev.Typing() | fe.FileWithdrawn():
            return b""  # protocol-1 members never get these
    raise TypeError(f"no protocol-1 form for {event!r}")


def readable_size(size: int) -> str:
    """A file size for people: ``512 bytes``, ``1.2 MB``, ``3.5 GB`` (powers of 1000)."""
    if size < 1000:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = size / 1000
    for unit in ("KB", "MB"):
        if round(value, 1) < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} GB"


def offer_line(offer: fe.FileOffer) -> str:
    """The ``*file`` text protocol-1 members get for an offer (they cannot fetch it)."""
    return (
        f"{offer.sender} offers {offer.name} ({readable_size(offer.size)})"
        " \u2014 desktopchat can receive it"
    )


def format_upgrade(
    token: str, resume: tuple[str, int] | None, files: bool = False, crowd: bool = False
) -> str:
    """The upgrade frame's text; ``files`` asks for the files extension (section 14),
    ``crowd`` takes up a big room's coalesced presence ("Big rooms")."""
    words = [UPGRADE_WORD, "2", token]
    if resume is not None:
        words += [resume[0], str(resume[1])]
    if files:
        words.append(fe.FILES_WORD)
    if crowd:
        words.append(CROWD_WORD)
    return " ".join(words)


#: Words an upgrade frame may end with, each at most once, in any order.
_FEATURES = (fe.FILES_WORD, CROWD_WORD)


def _features(words: list[str]) -> set[str]:
    """Take the feature words off the end of an upgrade frame's ``words``."""
    found: set[str] = set()
    while len(words) > 3 and words[-1] in _FEATURES and words[-1] not in found:
        found.add(words.pop())
    return found


def upgrade_wants_crowd(text: str) -> bool:
    """True if the upgrade frame ``text`` (a valid one) ends with the ``crowd`` word."""
    return CROWD_WORD in _features(text.split(" "))


def parse_upgrade(text: str) -> tuple[str, tuple[str, int] | None] | None:
    """(token, resume) if ``text`` is a protocol-2 upgrade frame, else None."""
    upgrade = parse_upgrade_files(text)
    return None if upgrade is None else upgrade[:2]


def parse_upgrade_files(text: str) -> tuple[str, tuple[str, int] | None, bool] | None:
    """(token, resume, files) if ``text`` is a protocol-2 upgrade frame, else None.

    ``files`` is True when the frame ends with the word ``files`` (section 14).
    """
    words = text.split(" ")
    files = fe.FILES_WORD in _features(words)
    if len(words) not in (3, 5) or words[0] != UPGRADE_WORD or words[1] != "2":
        return None
    token = words[2]
    if not (0 < len(token) <= 64 and token.isascii() and token.isalnum()):
        return None
    if len(words) == 3:
        return token, None, files
    epoch, last = words[3], words[4]
    if not (0 < len(epoch) <= 32 and epoch.isascii() and epoch.isalnum()):
        return None
    if not (last.isascii() and last.isdigit() and len(last) <= 18):
        return None
    return token, (epoch, int(last)), files


# --- parsing protocol-2 pairs ---------------------------------------------------------


def _int(word: str) -> int:
    if not (word.isascii() and word.isdigit() and len(word) <= 18):
        raise ValueError(word)
    return int(word)


def _opt_int(word: str) -> int | None:
    return None if word == _NO else _int(word)


def parse_request_v2(meta: str, body: str) -> ev.Event:
    """A client's protocol-2 pair as a request event.

    Raises :class:`RemoteProtocolError` for a malformed meta frame.
    """
    if meta == "typing" and not body:  # the one request without a cid (never answered)
        return ev.Typing()
    words = meta.split(" ")
    try:
        kind, cid = words[0], _int(words[1])
        match kind, len(words):
            case "say", 2:
                return ev.Message(body, cid=cid)
            case "me", 2:
                return ev.Action(body, cid=cid)
            case "msg", 3:
                return ev.Private(body, to=words[2], cid=cid)
            case "nick", 2:
                return ev.NickChange(body, cid=cid)
            case "who", 2:
                return ev.Who(cid=cid)
            case "who", 3:
                return ev.Who(cid=cid, start=_int(words[2]))
            case "help", 2:
                return ev.Help(cid=cid)
    except (IndexError, ValueError):
        pass
    raise RemoteProtocolError(f"malformed request {meta[:80]!r}")


def parse_room_v2(meta: str, body: str) -> ev.Event:
    """A server's protocol-2 pair as an event (``replay`` is the session's business).

    Raises :class:`RemoteProtocolError` for a malformed meta frame.
    """
    words = meta.split(" ")
    kind, n = words[0], len(words)
    try:
        if kind in ("say", "me", "msg", "nick", "join", "leave", "notice", "joins", "leaves"):
            id_, time = _int(words[1]), _time(words[2])
            match kind, n:
                case "say", 4:
                    return ev.Message(body, sender=words[3], id=id_, time=time)
                case "me", 4:
                    return ev.Action(body, sender=words[3], id=id_, time=time)
                case "msg", 5:
                    return ev.Private(body, sender=words[3], to=words[4], id=id_, time=time)
                case "nick", 5:
                    return ev.NickChange(words[4], old=words[3], id=id_, time=time)
                case "join", 4:
                    return ev.Joined(words[3], id=id_, time=time)
                case "join", 5 if words[4] in _MARKS:
                    return ev.Joined(words[3], _MARKS[words[4]], id=id_, time=time)
                case "leave", 4:
                    return ev.Left(words[3], id=id_, time=time)
                case "notice", 3:
                    return ev.Notice(body, id=id_, time=time)
                case "joins" | "leaves", 5:
                    return _presence(kind, body, _int(words[3]), _int(words[4]), id_, time)
        match kind, n:
            case "ok", 4:
                return ev.Accepted(_int(words[1]), _opt_int(words[2]), _time(words[3]))
            case "no", 2:
                return ev.Rejected(_int(words[1]), body)
            case "welcome", 4:
                epoch = None if words[1] == _NO else words[1]
                return ev.Welcome(words[3], body, 2, epoch, _opt_int(words[2]))
            case "users", 1 | 2:
                names = tuple(name for name in body.split(" ") if name)
                plain = _plain_names(words[1], names) if n == 2 else frozenset()
                return ev.UserList(names, plain)
            case "users", 3 | 4 if words[-2].startswith("from=") and words[-1].startswith("of="):
                names = tuple(name for name in body.split(" ") if name)
                plain = _plain_names(words[1], names) if n == 4 else frozenset()
                start, total = _int(words[-2][5:]), _int(words[-1][3:])
                if start + len(names) > total:
                    raise ValueError(meta)
                return ev.UserList(names, plain, total, start)
            case "info", 1:
                return ev.Info(body)
            case "gap", 4:
                return ev.Gap(_int(words[1]), _int(words[2]), _time(words[3]))
            case "error", 1:
                return ev.Refused(body)
            case "closed", 1:
                return ev.RoomClosed()
            case "typing", 2 if not body:
                return ev.Typing(words[1])
    except (IndexError, ValueError):
        pass
    raise RemoteProtocolError(f"malformed event {meta[:80]!r}")


def _presence(
    kind: str, body: str, count: int, total: int, id_: int, time: float | None
) -> ev.Joins | ev.Leaves:
    """A ``joins`` or ``leaves`` event; ValueError if its names do not fit its count."""
    names = tuple(name for name in body.split(" ") if name)
    if kind == "joins" and len(names) <= count:
        return ev.Joins(count, total, names, id=id_, time=time)
    if kind == "leaves" and len(names) == count:
        return ev.Leaves(names, total, id=id_, time=time)
    raise ValueError(body[:80])
