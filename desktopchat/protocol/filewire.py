"""The ``files`` extension on the wire: its pairs <-> :mod:`.fileevents` (PROTOCOL.md 14).

Requests (client to room), parsed by :func:`parse_file_request`, made by
:func:`encode_file_request`::

    offer CID TO SIZE SHA256 TYPE   body: the file name (UTF-8)
    unoffer CID FILE                get CID FILE OFFSET
    more FILE N                     cancel FILE
    data S OFFSET                   body: raw bytes (1 to CHUNK)
    stop S REASON

What the room sends, parsed by :func:`parse_file_event`, made by
:func:`encode_file_event` (the two room events, ``file`` and ``unoffer``, are
encoded by :func:`.wire.encode_v2` like every room event)::

    file ID TIME FROM TO SIZE SHA256 TYPE   body: the file name
    unoffer ID TIME FROM FILE
    data FILE OFFSET                        body: raw bytes
    abort FILE REASON      send S FILE OFFSET      more S N      stop S REASON

Every body is taken as bytes: a ``data`` body stays bytes (never decoded), the
offer's name is decoded as strict UTF-8, and the other kinds must have an empty
body. A malformed pair raises :class:`RemoteProtocolError`. Whether a file
name is acceptable (:func:`file_name_problem`) is the room's decision, answered
with ``no``, not a malformed pair.
"""

from __future__ import annotations

import unicodedata

from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol.framing import HEADER_LENGTH, RemoteProtocolError, decode_text
from desktopchat.protocol.wire import _int, _time, encode_v2, meta_pair

__all__ = [
    "FILE_EVENT_KINDS",
    "FILE_REQUEST_KINDS",
    "ROOM",
    "data_head",
    "data_pair",
    "encode_file_event",
    "encode_file_request",
    "file_name_problem",
    "is_data_meta",
    "parse_file_event",
    "parse_file_request",
]

#: The TO word of an offer to the whole room.
ROOM = "*"

#: First words of the requests of the extension (from a member that asked for files).
FILE_REQUEST_KINDS = frozenset({"offer", "unoffer", "get", "more", "cancel", "data", "stop"})

#: First words of what the room sends a member that asked for files.
FILE_EVENT_KINDS = frozenset({"file", "unoffer", "data", "abort", "send", "more", "stop"})

_HEX = frozenset("0123456789abcdef")
# Reasons are one short lowercase word; unknown ones are passed on, not refused,
# so a later version can add some.
_REASON_MAX = 20


def is_data_meta(meta: bytes | str) -> bool:
    """True for the meta frame of a ``data`` pair (its body is raw bytes)."""
    return meta[:5] in (b"data ", "data ")


# --- checks ---------------------------------------------------------------------------


def file_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an offered file's name (a sentence), or None if it can.

    1 to 255 bytes of UTF-8, no ``/``, ``\\``, NUL or other control
    characters, not ``.`` or ``..``: a base name, as the sender's system had it.
    """
    size = len(name.encode("utf-8", "surrogatepass"))
    if not 0 < size <= fe.MAX_FILE_NAME:
        return f"A file name must be 1 to {fe.MAX_FILE_NAME} bytes long (this one is {size})."
    if name in (".", ".."):
        return f"{name!r} is not a file name."
    for ch in name:
        if ch in "/\\" or unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            return f"A file name must not contain {ch!r}: send the file's own name only."
    return None


def _sha(word: str) -> str:
    if len(word) != 64 or not _HEX.issuperset(word):
        raise ValueError(word)
    return word


def _mime(word: str) -> str:
    if not (0 < len(word) <= fe.MAX_MIME and word.isascii() and word.isprintable()):
        raise ValueError(word)
    return word


def _reason(word: str) -> str:
    if not (0 < len(word) <= _REASON_MAX and word.isascii() and word.isalpha() and word.islower()):
        raise ValueError(word)
    return word


def _chunks(word: str, most: int) -> int:
    n = _int(word)
    if not 0 < n <= most:
        raise ValueError(word)
    return n


def _chunk(body: bytes) -> bytes:
    if not 0 < len(body) <= fe.CHUNK:
        raise ValueError(f"a data body of {len(body)} bytes (1 to {fe.CHUNK})")
    return body


def _to(word: str) -> str | None:
    if not word:
        raise ValueError(word)
    return None if word == ROOM else word


# --- requests -------------------------------------------------------------------------


def parse_file_request(meta: str, body: bytes) -> ev.Event:
    """A member's request of the extension (``meta`` decoded, ``body`` as it came).

    Raises :class:`RemoteProtocolError` for a malformed pair: an unknown kind, a
    wrong number of words, a number that is not 1 to 18 digits, a bad SHA-256 or
    type, a body where none belongs, a ``data`` body empty or over CHUNK.
    """
    words = meta.split(" ")
    kind, n = words[0], len(words)
    try:
        if kind == "data" and n == 3:
            return fe.StreamData(_int(words[1]), _int(words[2]), _chunk(body))
        if kind == "offer" and n == 6:
            name = decode_text(body, "file name")
            to = _to(words[2])
            return fe.FileOffer(
                name, _int(words[3]), _sha(words[4]), _mime(words[5]), to, cid=_int(words[1])
            )
        if body:
            raise ValueError("a body where none belongs")
        match kind, n:
            case "get", 4:
                return fe.FetchFile(_int(words[2]), _int(words[3]), cid=_int(words[1]))
            case "more", 3:
                return fe.FetchCredit(_int(words[1]), _chunks(words[2], fe.MAX_MORE))
            case "cancel", 2:
                return fe.CancelFetch(_int(words[1]))
            case "unoffer", 3:
                return fe.FileWithdrawn(_int(words[2]), cid=_int(words[1]))
            case "stop", 3:
                return fe.StreamStop(_int(words[1]), _reason(words[2]))
    except (IndexError, ValueError):
        pass
    raise RemoteProtocolError(f"malformed request {meta[:80]!r}")


def encode_file_request(request: ev.Event) -> bytes:
    """The pair of one request of the extension (a client's side of :func:`parse_file_request`).

    ``FileOffer`` and ``FetchFile`` and ``FileWithdrawn`` need their ``cid``.
    Raises TypeError for an event that is no such request, ValueError for a
    request that breaks the format (a cid missing, a ``data`` body over CHUNK).
    """
    match request:
        case fe.StreamData(stream=stream, offset=offset, data=data):
            return data_pair(stream, offset, data)
        case fe.FileOffer(cid=int(cid), to=to, size=size, sha256=sha, mime=mime, name=name):
            meta = f"offer {cid} {ROOM if to is None else to} {size} {_sha(sha)} {_mime(mime)}"
            return meta_pair(meta, name)
        case fe.FetchFile(cid=int(cid), file=file, offset=offset):
            return meta_pair(f"get {cid} {file} {offset}")
        case fe.FetchCredit(file=file, chunks=chunks):
            return meta_pair(f"more {file} {chunks}")
        case fe.CancelFetch(file=file):
            return meta_pair(f"cancel {file}")
        case fe.FileWithdrawn(cid=int(cid), file=file):
            return meta_pair(f"unoffer {cid} {file}")
        case fe.StreamStop(stream=stream, reason=reason):
            return meta_pair(f"stop {stream} {_reason(reason)}")
        case fe.FileOffer() | fe.FetchFile() | fe.FileWithdrawn():
            raise ValueError(f"{request!r} needs a cid")
    raise TypeError(f"no files request for {request!r}")


def data_pair(stream_or_file: int, offset: int, data: bytes) -> bytes:
    """A whole ``data N OFFSET`` pair with ``data`` as its raw body (at most CHUNK bytes)."""
    if len(data) > fe.CHUNK:
        raise ValueError(f"a data body of {len(data)} bytes (at most {fe.CHUNK})")
    return data_head(stream_or_file, offset, len(data)) + data


def data_head(stream_or_file: int, offset: int, length: int) -> bytes:
    """A ``data`` pair up to its body: meta frame and the body's header.

    The room writes this and then the body bytes as they came from the sender,
    by reference, without joining them into one new buffer.
    """
    meta = b"data %d %d" % (stream_or_file, offset)
    return b"%-*d%s%-*d" % (HEADER_LENGTH, len(meta), meta, HEADER_LENGTH, length)


# --- what the room sends --------------------------------------------------------------


def encode_file_event(event: ev.Event) -> bytes:
    """The pair the room sends for ``event`` (a files member's; room events via encode_v2)."""
    match event:
        case fe.FileData(file=file, offset=offset, data=data):
            return data_pair(file, offset, data)
        case fe.FileAbort(file=file, reason=reason):
            return meta_pair(f"abort {file} {reason}")
        case fe.StreamStart(stream=stream, file=file, offset=offset):
            return meta_pair(f"send {stream} {file} {offset}")
        case fe.StreamCredit(stream=stream, chunks=chunks):
            return meta_pair(f"more {stream} {chunks}")
        case fe.StreamStop(stream=stream, reason=reason):
            return meta_pair(f"stop {stream} {reason}")
        case fe.FileOffer() | fe.FileWithdrawn():
            return encode_v2(event)
    raise TypeError(f"no files pair for {event!r}")


def parse_file_event(meta: str, body: bytes) -> ev.Event:
    """A room's pair of the extension as an event (for a client that asked for files).

    Raises :class:`RemoteProtocolError` for a malformed pair.
    """
    words = meta.split(" ")
    kind, n = words[0], len(words)
    try:
        if kind == "data" and n == 3:
            return fe.FileData(_int(words[1]), _int(words[2]), _chunk(body))
        if kind == "file" and n == 8:
            return fe.FileOffer(
                decode_text(body, "file name"),
                _int(words[5]),
                _sha(words[6]),
                _mime(words[7]),
                _to(words[4]),
                words[3],
                id=_int(words[1]),
                time=_time(words[2]),
            )
        if body:
            raise ValueError("a body where none belongs")
        match kind, n:
            case "unoffer", 5:
                return fe.FileWithdrawn(
                    _int(words[4]), words[3], id=_int(words[1]), time=_time(words[2])
                )
            case "abort", 3:
                return fe.FileAbort(_int(words[1]), _reason(words[2]))
            case "send", 4:
                return fe.StreamStart(_int(words[1]), _int(words[2]), _int(words[3]))
            case "more", 3:
                return fe.StreamCredit(_int(words[1]), _chunks(words[2], fe.MAX_MORE))
            case "stop", 3:
                return fe.StreamStop(_int(words[1]), _reason(words[2]))
    except (IndexError, ValueError):
        pass
    raise RemoteProtocolError(f"malformed event {meta[:80]!r}")
