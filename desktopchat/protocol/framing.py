"""Sans-IO framing: the tutorial's 10-byte length header plus payload.

Bytes go into a :class:`FrameDecoder` (``receive_data``), whole payloads come
out (``next_frame``); ``encode_frame``/``encode_pair`` return bytes to write.
docs/PROTOCOL.md section 1 is the format.

Invariants: any split of a stream gives the same frames as the whole; a
header is checked before its payload is buffered; after a
:class:`RemoteProtocolError` the decoder stays broken (a byte stream is never
resynchronised).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = [
    "DEFAULT_MAX_PAYLOAD",
    "HANDSHAKE_MAX_PAYLOAD",
    "HEADER_LENGTH",
    "FrameDecoder",
    "LocalProtocolError",
    "PairDecoder",
    "ProtocolError",
    "RemoteProtocolError",
    "decode_text",
    "encode_frame",
    "encode_pair",
    "parse_header",
]

#: Bytes in a frame header. Fixed by the tutorial's wire format.
HEADER_LENGTH = 10

#: Largest payload accepted by default: 64 KiB holds any message a person types
#: (and a 60 KB paste) while bounding what one connection can make us buffer.
DEFAULT_MAX_PAYLOAD = 64 * 1024

#: Largest frame a server accepts before the handshake is done: names are at
#: most 32 characters (128 bytes of UTF-8), the upgrade frame and passwords are
#: short; no stranger gets to make a server buffer 64 KiB.
HANDSHAKE_MAX_PAYLOAD = 1024

# The tutorial decodes headers with int(header.strip()): digits, optionally
# surrounded by ASCII spaces. Anything else ("+5", "-1", "1_0", tabs) is refused.
_HEADER_RE = re.compile(rb" *([0-9]+) *")


class ProtocolError(Exception):
    """Base class of every protocol error."""


class LocalProtocolError(ProtocolError):
    """Our own caller misused the API (e.g. tried to send an oversize frame)."""


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes that break the protocol; the connection must end."""


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
        # One copy out of the buffer (a bytearray slice would make two).
        payload = bytes(memoryview(buf)[start:end])
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
    :meth:`next_raw_pair` leaves the second frame as bytes (a ``data`` body of
    the files extension is raw bytes, never decoded).
    """

    __slots__ = ("_frames", "_sender")

    def __init__(self, max_payload: int = DEFAULT_MAX_PAYLOAD) -> None:
        self._frames = FrameDecoder(max_payload)
        self._sender: str | None = None

    @property
    def in_frame(self) -> bool:
        """True when part of a pair has arrived."""
        return self._sender is not None or self._frames.in_frame

    @property
    def max_payload(self) -> int:
        """Largest frame accepted; a change applies from the next frame header on."""
        return self._frames.max_payload

    @max_payload.setter
    def max_payload(self, value: int) -> None:
        self._frames.max_payload = value

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Append bytes read from the peer."""
        self._frames.receive_data(data)

    def next_pair(self) -> tuple[str, str] | None:
        """Return the next whole (sender, text) pair, or None if more bytes are needed."""
        pair = self.next_raw_pair()
        return None if pair is None else (pair[0], decode_text(pair[1], "message text"))

    def next_raw_pair(self) -> tuple[str, bytes] | None:
        """The next whole pair with its second frame undecoded, or None if more bytes are needed."""
        while (frame := self._frames.next_frame()) is not None:
            if self._sender is None:
                self._sender = decode_text(frame, "sender name")
                continue
            sender, self._sender = self._sender, None
            return sender, frame
        return None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Yield every whole pair currently buffered."""
        while (pair := self.next_pair()) is not None:
            yield pair
