"""The desktopchat protocol without I/O: framing, names, events, commands, sessions.

docs/PROTOCOL.md is the specification. Nothing in this package touches a
socket, a thread or a clock: bytes go in, events come out, events go in, bytes
come out. The framing and name helpers are re-exported here because every
layer uses them (``protocol.encode_frame``, ``protocol.validate_name``).
"""

from __future__ import annotations

from desktopchat.protocol.framing import (
    DEFAULT_MAX_PAYLOAD,
    HEADER_LENGTH,
    FrameDecoder,
    LocalProtocolError,
    PairDecoder,
    ProtocolError,
    RemoteProtocolError,
    decode_text,
    encode_frame,
    encode_pair,
    parse_header,
)
from desktopchat.protocol.names import (
    MAX_NAME_LENGTH,
    InvalidName,
    name_key,
    name_skeleton,
    validate_name,
)

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
    "name_skeleton",
    "parse_header",
    "validate_name",
]
