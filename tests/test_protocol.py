"""Layer 1: the sans-IO protocol, fed whole, byte by byte and in random splits."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktopchat.protocol import (
    DEFAULT_MAX_PAYLOAD,
    HEADER_LENGTH,
    MAX_NAME_LENGTH,
    FrameDecoder,
    InvalidName,
    LocalProtocolError,
    PairDecoder,
    ProtocolError,
    RemoteProtocolError,
    encode_frame,
    encode_pair,
    name_key,
    validate_name,
)


def decode_all(decoder: FrameDecoder, chunks: list[bytes]) -> list[bytes]:
    frames: list[bytes] = []
    for chunk in chunks:
        decoder.receive_data(chunk)
        frames.extend(decoder)
    return frames


# --- encoding -------------------------------------------------------------------


def test_encode_frame_matches_the_tutorial_header() -> None:
    assert encode_frame("hello") == b"5         hello"
    assert encode_frame(b"") == b"0         "
    assert encode_frame("é") == b"2         \xc3\xa9"  # length in bytes, not characters


def test_encode_pair_is_two_frames() -> None:
    assert encode_pair("bob", "hi") == b"3         bob2         hi"


def test_encode_refuses_oversize_payload_as_local_error() -> None:
    with pytest.raises(LocalProtocolError):
        encode_frame(b"x" * 11, max_payload=10)
    assert encode_frame(b"x" * 10, max_payload=10).endswith(b"x" * 10)


# --- decoding -------------------------------------------------------------------


def test_whole_and_byte_by_byte_give_the_same_frames() -> None:
    stream = encode_frame("alice") + encode_frame("") + encode_frame("héllo 👋")
    whole = decode_all(FrameDecoder(), [stream])
    single = decode_all(FrameDecoder(), [stream[i : i + 1] for i in range(len(stream))])
    assert whole == single == [b"alice", b"", "héllo 👋".encode()]


def test_partial_frame_consumes_nothing() -> None:
    decoder = FrameDecoder()
    decoder.receive_data(b"5         hel")
    assert decoder.next_frame() is None
    assert decoder.buffered == 13
    assert decoder.in_frame
    decoder.receive_data(b"lo5     ")
    assert decoder.next_frame() == b"hello"
    assert decoder.next_frame() is None
    assert decoder.buffered == 6


@pytest.mark.parametrize("header", [b"5         ", b"     5    ", b"        05", b"0000000005"])
def test_header_with_surrounding_spaces_is_accepted(header: bytes) -> None:
    decoder = FrameDecoder()
    decoder.receive_data(header + b"hello")
    assert decoder.next_frame() == b"hello"


@pytest.mark.parametrize(
    "header",
    [
        b"abc       ",
        b"-5        ",
        b"+5        ",
        b"5 5       ",
        b"          ",
        b"5\t        ",
        b"1_0       ",
    ],
)
def test_bad_header_is_a_remote_error_and_the_decoder_stays_broken(header: bytes) -> None:
    decoder = FrameDecoder()
    decoder.receive_data(header + b"hello")
    with pytest.raises(RemoteProtocolError):
        decoder.next_frame()
    with pytest.raises(RemoteProtocolError):
        decoder.next_frame()
    with pytest.raises(LocalProtocolError):
        decoder.receive_data(b"more")


def test_oversize_header_is_refused_before_the_payload_arrives() -> None:
    decoder = FrameDecoder(max_payload=100)
    decoder.receive_data(f"{101:<{HEADER_LENGTH}}".encode())
    with pytest.raises(RemoteProtocolError, match="exceeds the limit"):
        decoder.next_frame()


def test_default_limit_admits_a_60_kb_message() -> None:
    payload = b"x" * 60_000
    decoder = FrameDecoder()
    decoder.receive_data(encode_frame(payload))
    assert decoder.next_frame() == payload
    assert DEFAULT_MAX_PAYLOAD >= 60_000


def test_pair_decoder_yields_strings_and_rejects_bad_utf8() -> None:
    decoder = PairDecoder()
    stream = encode_pair("*join", "bob") + encode_pair("bob", "hi 👋")
    for i in range(len(stream)):
        decoder.receive_data(stream[i : i + 1])
    assert list(decoder) == [("*join", "bob"), ("bob", "hi 👋")]
    assert not decoder.in_frame

    broken = PairDecoder()
    broken.receive_data(encode_frame("bob") + encode_frame(b"\xff\xfe"))
    with pytest.raises(RemoteProtocolError, match="UTF-8"):
        broken.next_pair()


def test_pair_decoder_half_pair_is_in_frame() -> None:
    decoder = PairDecoder()
    decoder.receive_data(encode_frame("bob"))
    assert decoder.next_pair() is None
    assert decoder.in_frame


# --- property tests -------------------------------------------------------------

payloads = st.lists(st.binary(max_size=300), max_size=8)


@given(payloads, st.lists(st.integers(min_value=0, max_value=2_500), max_size=12))
def test_any_split_of_a_valid_stream_decodes_the_same(frames: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(encode_frame(f) for f in frames)
    points = sorted({min(c, len(stream)) for c in cuts} | {0, len(stream)})
    chunks = [stream[a:b] for a, b in itertools.pairwise(points)]
    decoder = FrameDecoder()
    assert decode_all(decoder, chunks) == frames
    assert decoder.buffered == 0


@given(st.lists(st.binary(max_size=64), max_size=10))
def test_random_bytes_raise_nothing_but_protocol_errors(chunks: list[bytes]) -> None:
    decoder = PairDecoder(max_payload=1_000)
    try:
        for chunk in chunks:
            decoder.receive_data(chunk)
            for sender, text in decoder:
                assert isinstance(sender, str)
                assert isinstance(text, str)
    except ProtocolError:
        pass


# --- names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("  bob  ", "bob"),
        ("e\u0301mile", "émile"),
        ("👩\u200d💻", "👩\u200d💻"),
    ],
)
def test_valid_names_are_normalised(raw: str, expected: str) -> None:
    assert validate_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("ann lee", "spaces"),
        ("tab\there", "spaces"),
        ("bell\x07", "control"),
        ("*admin", "must not start"),
        ("@bob", "must not start"),
        ("/nick", "must not start"),
        ("x" * (MAX_NAME_LENGTH + 1), "too long"),
    ],
)
def test_invalid_names_say_what_to_fix(raw: str, message: str) -> None:
    with pytest.raises(InvalidName, match=message):
        validate_name(raw)


def test_name_key_ignores_case_and_normalisation() -> None:
    assert name_key("Alice") == name_key("ALICE") == name_key("alice")
    assert name_key("e\u0301mile") == name_key("Émile".lower())
