"""Sans-IO framing for the desktopchat wire protocol.

The wire format is the socket-chat tutorial's: every frame is a 10-byte ASCII
header holding the payload length in decimal, left-justified and space-padded
(``f"{len(payload):<10}"``), followed by that many bytes of UTF-8 payload.
Server-to-client traffic is always *pairs* of frames: (sender, text).

This module never touches a socket. Bytes go into a :class:`FrameDecoder`
(``receive_data``), whole payloads come out (``next_frame``); ``encode_frame``
and ``encode_pair`` return the bytes to write. The server, the client thread
and the tests all drive the same objects.

Invariants:

* Feeding a stream in any split gives the same frames as feeding it whole; a
  partial frame consumes nothing.
* A header is validated as soon as its 10 bytes are in, before any payload is
  buffered, so a hostile peer cannot make us hold more than
  ``HEADER_LENGTH + max_payload`` bytes.
* After a :class:`RemoteProtocolError` the decoder stays broken: a byte stream
  is never resynchronised.

Name rules (``validate_name``) live here too, so the server and the client
apply the very same check.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

__all__ = [
    "DEFAULT_MAX_PAYLOAD",
    "HEADER_LENGTH",
    "MAX_NAME_LENGTH",
    "FrameDecoder",
    "InvalidName",
    "LocalProtocolError",
    "PairDecoder",
    "ProtocolError",
    "RemoteProtocolError",
    "decode_text",
    "encode_frame",
    "encode_pair",
    "name_key",
    "validate_name",
]

#: Bytes in a frame header. Fixed by the tutorial's wire format.
HEADER_LENGTH = 10

#: Largest payload accepted by default: 64 KiB holds any message a person types
#: (and a 60 KB paste) while bounding what one connection can make us buffer.
DEFAULT_MAX_PAYLOAD = 64 * 1024

#: Longest user name, in characters after NFC normalisation and trimming.
MAX_NAME_LENGTH = 32

# The tutorial decodes headers with int(header.strip()): digits, optionally
# surrounded by ASCII spaces. Anything else ("+5", "-1", "1_0", tabs) is refused.
_HEADER_RE = re.compile(rb" *([0-9]+) *")

# Leading characters reserved by the protocol: "*" marks room events, "@" private
# messages, "/" commands.
_RESERVED_NAME_STARTS = ("*", "@", "/")

# Unicode categories refused in names: control, format, surrogate, private use,
# unassigned. Zero-width joiners are format characters but are part of emoji
# sequences such as "👩‍💻", so they stay allowed.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_JOINERS = frozenset({"\u200c", "\u200d"})


class ProtocolError(Exception):
    """Base class of every framing and name error."""


class LocalProtocolError(ProtocolError):
    """Our own caller misused the API (e.g. tried to send an oversize frame)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that break the protocol; the connection must end."""


class InvalidName(ValueError):
    """A user name breaks the name rules; ``str(exc)`` is a sentence for the user."""


def encode_frame(payload: bytes | str, max_payload: int = DEFAULT_MAX_PAYLOAD) -> bytes:
    """Return one frame (header + payload) ready to write.

    Raises :class:`LocalProtocolError` if the payload is larger than
    ``max_payload`` bytes, so we never send a frame a peer would reject.
    """
    data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    if len(data) > max_payload:
        raise LocalProtocolError(f"payload of {len(data)} bytes exceeds the limit of {max_payload}")
    return f"{len(data):<{HEADER_LENGTH}}".encode("ascii") + data


def encode_pair(sender: str, text: str, max_payload: int = DEFAULT_MAX_PAYLOAD) -> bytes:
    """Return the (sender, text) pair as the two frames the server writes in one send."""
    return encode_frame(sender, max_payload) + encode_frame(text, max_payload)


def parse_header(header: bytes, max_payload: int = DEFAULT_MAX_PAYLOAD) -> int:
    """Return the payload length a 10-byte header announces.

    Raises :class:`RemoteProtocolError` for anything but decimal digits with
    surrounding spaces, and for lengths over ``max_payload``.
    """
    match = _HEADER_RE.fullmatch(header)
    if match is None:
        raise RemoteProtocolError(f"malformed frame header {header!r}")
    length = int(match.group(1))
    if length > max_payload:
        raise RemoteProtocolError(
            f"frame of {length} bytes exceeds the limit of {max_payload} bytes"
        )
    return length


def decode_text(payload: bytes, what: str = "payload") -> str:
    """Decode a payload as strict UTF-8, or raise :class:`RemoteProtocolError`."""
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RemoteProtocolError(f"{what} is not valid UTF-8") from exc


class FrameDecoder:
    """Incremental frame decoder: feed any chunks, get whole payloads.

    >>> d = FrameDecoder()
    >>> d.receive_data(b"5         hel")
    >>> d.next_frame() is None
    True
    >>> d.receive_data(b"lo")
    >>> d.next_frame()
    b'hello'
    """

    __slots__ = ("_buffer", "_error", "_need", "_pos", "max_payload")

    def __init__(self, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        if max_payload < 0:
            raise LocalProtocolError("max_payload must not be negative")
        self.max_payload = max_payload
        self._buffer = bytearray()
        # Offset of the first unconsumed byte; compacted lazily so decoding many
        # small frames from one big chunk is not quadratic.
        self._pos = 0
        # Payload length of the frame whose header is parsed, or -1.
        self._need = -1
        self._error: RemoteProtocolError | None = None

    @property
    def buffered(self) -> int:
        """Bytes received but not yet returned as part of a whole frame."""
        return len(self._buffer) - self._pos

    @property
    def in_frame(self) -> bool:
        """True when part of a frame has arrived (a close now would truncate it)."""
        return self.buffered > 0

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes read from the peer. Raises if the decoder already failed."""
        if self._error is not None:
            raise LocalProtocolError("decoder already failed; the connection must be closed")
        self._buffer += data

    def next_frame(self) -> bytes | None:
        """Return the next whole payload, or None if more bytes are needed.

        Raises :class:`RemoteProtocolError` for a bad header, and again on every
        later call: the decoder stays broken.
        """
        if self._error is not None:
            raise self._error
        buf = self._buffer
        pos = self._pos
        if self._need < 0:
            if len(buf) - pos < HEADER_LENGTH:
                self._compact()
                return None
            try:
                self._need = parse_header(bytes(buf[pos : pos + HEADER_LENGTH]), self.max_payload)
            except RemoteProtocolError as exc:
                self._error = exc
                raise
        start = pos + HEADER_LENGTH
        end = start + self._need
        if len(buf) < end:
            self._compact()
            return None
        payload = bytes(buf[start:end])
        self._pos = end
        self._need = -1
        return payload

    def __iter__(self) -> Iterator[bytes]:
        """Yield every whole payload currently buffered."""
        while (frame := self.next_frame()) is not None:
            yield frame

    def _compact(self) -> None:
        # Drop consumed bytes only when waiting for more data: one memmove per
        # read, not per frame.
        if self._pos:
            del self._buffer[: self._pos]
            self._pos = 0


class PairDecoder:
    """Decodes server-to-client traffic into (sender, text) string pairs.

    Invalid UTF-8 in either frame is a :class:`RemoteProtocolError`.
    """

    __slots__ = ("_frames", "_sender")

    def __init__(self, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self._frames = FrameDecoder(max_payload)
        self._sender: str | None = None

    @property
    def in_frame(self) -> bool:
        """True when part of a pair has arrived."""
        return self._sender is not None or self._frames.in_frame

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes read from the peer."""
        self._frames.receive_data(data)

    def next_pair(self) -> tuple[str, str] | None:
        """Return the next whole (sender, text) pair, or None if more bytes are needed."""
        while (frame := self._frames.next_frame()) is not None:
            if self._sender is None:
                self._sender = decode_text(frame, "sender name")
                continue
            sender, self._sender = self._sender, None
            return sender, decode_text(frame, "message text")
        return None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Yield every whole pair currently buffered."""
        while (pair := self.next_pair()) is not None:
            yield pair


def validate_name(raw: str) -> str:
    """Return the canonical form of a user name, or raise :class:`InvalidName`.

    Rules (DESIGN.md): NFC-normalised and trimmed, 1-32 characters, no
    whitespace or control characters, not starting with ``*``, ``@`` or ``/``.
    Uniqueness is the room's business; compare names with :func:`name_key`.
    """
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidName("Name is empty: type a name of 1 to 32 characters.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(
            f"Name is too long ({len(name)} characters): use at most {MAX_NAME_LENGTH}."
        )
    for ch in name:
        if ch.isspace():
            raise InvalidName("Name must not contain spaces: use one word, e.g. ann_lee.")
        if unicodedata.category(ch) in _FORBIDDEN_CATEGORIES and ch not in _JOINERS:
            raise InvalidName(f"Name must not contain control characters (found {ch!r}).")
    if name.startswith(_RESERVED_NAME_STARTS):
        raise InvalidName("Name must not start with *, @ or /: those mark events and commands.")
    return name


def name_key(name: str) -> str:
    """Return the key under which names are compared for uniqueness (case-insensitive)."""
    return unicodedata.normalize("NFC", name).casefold()
