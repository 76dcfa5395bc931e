"""The files extension without I/O (docs/PROTOCOL.md section 14): every pair of the
wire, both ways, whole and byte by byte, malformed ones refused, data bodies as bytes.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktopchat.protocol import RemoteProtocolError, encode_frame, encode_pair, wire
from desktopchat.protocol import events as ev
from desktopchat.protocol import fileevents as fe
from desktopchat.protocol import filewire as fw
from desktopchat.protocol.client import ClientConnection
from desktopchat.protocol.framing import PairDecoder
from desktopchat.protocol.server import ServerConnection, hello_pair

SHA = "0123456789abcdef" * 4
BINARY = bytes(range(256)) * 3  # not UTF-8: must pass as it is

REQUESTS: list[ev.Event] = [
    fe.FileOffer("photo.png", 1_234_567, SHA, "image/png", cid=1),
    fe.FileOffer("résumé final.pdf", 0, SHA, "-", "bob", cid=2),
    fe.FetchFile(9, 0, cid=3),
    fe.FetchFile(9, 122_880, cid=4),
    fe.FetchCredit(9, 1),
    fe.FetchCredit(9, fe.MAX_MORE),
    fe.CancelFetch(9),
    fe.FileWithdrawn(9, cid=5),
    fe.StreamData(3, 0, BINARY),
    fe.StreamData(3, 61_440, b"\xff" * fe.CHUNK),
    fe.StreamStop(3, "changed"),
    fe.StreamStop(3, "unreadable"),
]

OFFER = fe.FileOffer("photo.png", 1_234_567, SHA, "image/png", None, "ann", id=7, time=1.5)
EVENTS: list[ev.Event] = [
    OFFER,
    fe.FileOffer("x", 5, SHA, "text/plain", "bob", "ann", id=8, time=2.0),
    fe.FileWithdrawn(7, "ann", id=9, time=3.0),
    fe.FileData(7, 0, BINARY),
    fe.FileAbort(7, "away"),
    fe.StreamStart(4, 7, 61_440),
    fe.StreamCredit(4, 3),
    fe.StreamStop(4, "gone"),
]


def pairs_of(data: bytes) -> list[tuple[str, bytes]]:
    decoder = PairDecoder()
    decoder.receive_data(data)
    return list(iter(decoder.next_raw_pair, None))


@pytest.mark.parametrize("request_", REQUESTS, ids=repr)
def test_requests_round_trip(request_: ev.Event) -> None:
    [(meta, body)] = pairs_of(fw.encode_file_request(request_))
    assert fw.parse_file_request(meta, body) == request_


@pytest.mark.parametrize("event", EVENTS, ids=repr)
def test_events_round_trip(event: ev.Event) -> None:
    [(meta, body)] = pairs_of(fw.encode_file_event(event))
    assert fw.parse_file_event(meta, body) == event


def test_bytes_on_the_wire() -> None:
    offer = fe.FileOffer("a.png", 10, SHA, "image/png", None, "ann", id=7, time=1.5)
    assert fw.encode_file_event(offer) == encode_pair(
        f"file 7 1500 ann * 10 {SHA} image/png", "a.png"
    )
    data = b"8         data 7 02         \x00\xff"
    assert fw.encode_file_event(fe.FileData(7, 0, b"\x00\xff")) == data
    assert fw.encode_file_request(fe.FetchFile(7, 0, cid=2)) == encode_pair("get 2 7 0", "")
    assert fw.encode_file_request(fe.FetchCredit(7, 4)) == encode_pair("more 7 4", "")
    assert wire.encode_v2(fe.FileWithdrawn(7, "ann", id=9, time=2.0)) == encode_pair(
        "unoffer 9 2000 ann 7", ""
    )


def test_data_head_then_body_is_the_whole_pair() -> None:
    assert fw.data_head(7, 100, len(BINARY)) + BINARY == fw.data_pair(7, 100, BINARY)


def test_requests_that_need_a_cid_or_fit_in_a_chunk() -> None:
    with pytest.raises(ValueError, match="cid"):
        fw.encode_file_request(fe.FetchFile(1, 0))
    with pytest.raises(ValueError):
        fw.data_pair(1, 0, b"x" * (fe.CHUNK + 1))
    with pytest.raises(TypeError):
        fw.encode_file_request(ev.Message("hi", cid=1))


@pytest.mark.parametrize(
    ("meta", "body"),
    [
        ("offer 1 * 10 " + SHA, b"a"),  # no type
        ("offer 1 * 10 " + SHA.upper() + " -", b"a"),  # SHA-256 in upper case
        ("offer 1 * 10 " + SHA[:-1] + " -", b"a"),  # 63 digits
        ("offer 1 * -10 " + SHA + " -", b"a"),
        ("offer 1 * 10 " + SHA + " " + "x" * 101, b"a"),  # type too long
        ("offer 1 * 10 " + SHA + " t\u00e9xt", b"a"),  # type not ASCII
        ("offer 1 * 1" + "0" * 18 + " " + SHA + " -", b"a"),  # 19 digits
        ("offer 1  10 " + SHA + " -", b"a"),  # empty TO
        ("offer 1 * 10 " + SHA + " -", b"\xff"),  # name not UTF-8
        ("get 1 2", b""),
        ("get 1 2 3", b"x"),  # a body where none belongs
        ("get x 2 3", b""),
        ("more 1 0", b""),
        ("more 1 65", b""),
        ("more 1", b""),
        ("cancel", b""),
        ("cancel 1 2", b""),
        ("unoffer 1", b""),
        ("data 1 0", b""),  # empty chunk
        ("data 1 0", b"x" * (fe.CHUNK + 1)),
        ("data 1", b"x"),
        ("stop 1 Changed", b""),
        ("stop 1 because-of", b""),
        ("stop 1", b""),
        ("send 1 2 3", b""),  # the room's kind, not a request
        ("abort 1 away", b""),
    ],
)
def test_malformed_requests(meta: str, body: bytes) -> None:
    with pytest.raises(RemoteProtocolError, match=r"malformed request|name is not valid UTF-8"):
        fw.parse_file_request(meta, body)


@pytest.mark.parametrize(
    ("meta", "body"),
    [
        ("file 7 1500 ann * 10 " + SHA, b"a"),
        ("file 7 1500 ann * 10 " + SHA + " image/png x", b"a"),
        ("file x 1500 ann * 10 " + SHA + " -", b"a"),
        ("unoffer 9 2000 ann", b""),
        ("unoffer 9 2000 ann 7", b"x"),
        ("data 7 0", b""),
        ("abort 7", b""),
        ("abort 7 AWAY", b""),
        ("send 4 7", b""),
        ("more 4 0", b""),
        ("stop 4", b""),
        ("offer 1 * 10 " + SHA + " -", b"a"),  # a request, not the room's
    ],
)
def test_malformed_events(meta: str, body: bytes) -> None:
    with pytest.raises(RemoteProtocolError, match="malformed event"):
        fw.parse_file_event(meta, body)


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("photo.png", True),
        ("résumé.pdf", True),
        (".bashrc", True),
        ("a" * 255, True),
        ("é" * 128, False),  # 256 bytes
        ("", False),
        (".", False),
        ("..", False),
        ("a/b", False),
        ("a\\b", False),
        ("a\x00b", False),
        ("a\nb", False),
        ("a\x1bb", False),
        ("a\u2028b", False),
    ],
)
def test_file_names(name: str, ok: bool) -> None:
    assert (fw.file_name_problem(name) is None) is ok


def test_sizes_for_people() -> None:
    assert [wire.readable_size(n) for n in (0, 1, 999, 1000, 1_234_567, 2**31)] == [
        "0 bytes",
        "1 byte",
        "999 bytes",
        "1.0 KB",
        "1.2 MB",
        "2.1 GB",
    ]


def test_protocol_1_members_get_a_readable_line_and_no_withdrawal() -> None:
    offer = fe.FileOffer("photo.png", 1_234_567, SHA, "image/png", None, "ann", id=7, time=1.5)
    assert wire.encode_v1(offer) == encode_pair(
        "*file", "ann offers photo.png (1.2 MB) \u2014 desktopchat can receive it"
    )
    assert wire.encode_v1(fe.FileWithdrawn(7, "ann", id=9, time=2.0)) == b""


# --- negotiation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("/protocol 2 tok", ("tok", None, False)),
        ("/protocol 2 tok files", ("tok", None, True)),
        ("/protocol 2 tok ep 5", ("tok", ("ep", 5), False)),
        ("/protocol 2 tok ep 5 files", ("tok", ("ep", 5), True)),
        ("/protocol 2 tok ep files", None),
        ("/protocol 2 tok files files", None),
        ("/protocol 2 files", ("files", None, False)),  # a token may be the word itself
    ],
)
def test_upgrade_with_the_files_word(
    text: str, parsed: tuple[str, tuple[str, int] | None, bool] | None
) -> None:
    assert wire.parse_upgrade_files(text) == parsed
    old = None if parsed is None else parsed[:2]
    assert wire.parse_upgrade(text) == old
    if parsed is not None:
        token, resume, files = parsed
        assert wire.format_upgrade(token, resume, files) == text


def test_offer_says_files_only_in_a_room_with_files() -> None:
    assert hello_pair(65536) == encode_pair("*hello", "desktopchat 2")
    assert hello_pair(65536, 2048) == encode_pair("*hello", "desktopchat 2 files=2048")
    assert hello_pair(1000, 5) == encode_pair("*hello", "desktopchat 2 max=1000 files=5")


def joined_server(
    *, files_max: int = 10**9, asks: bool = True, max_message: int = 65536
) -> ServerConnection:
    session = ServerConnection(
        password_required=False, max_message=max_message, files_max=files_max
    )
    session.receive_data(encode_frame("ann"))
    assert session.next_event() is None
    assert b"files=" in session.data_to_send() or not files_max
    session.receive_data(encode_frame("/protocol 2 tok" + (" files" if asks else "")))
    join = session.next_event()
    assert isinstance(join, ev.JoinRequest)
    assert join.files is (asks and files_max > 0)
    session.accept()
    return session


def feed(session: ServerConnection, data: bytes, *, bytewise: bool) -> list[ev.Event]:
    got: list[ev.Event] = []
    for part in [data[i : i + 1] for i in range(len(data))] if bytewise else [data]:
        session.receive_data(part)
        while (event := session.next_event()) is not None:
            got.append(event)
    return got


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "byte by byte"])
def test_server_session_reads_every_request(bytewise: bool) -> None:
    session = joined_server()
    stream = b"".join(fw.encode_file_request(r) for r in REQUESTS)
    stream += wire.meta_pair("say 9", "between")
    assert feed(session, stream, bytewise=bytewise) == [*REQUESTS, ev.Message("between", cid=9)]


@given(st.lists(st.integers(min_value=1, max_value=200), max_size=40))
@settings(max_examples=50, deadline=None)
def test_server_session_in_random_splits(cuts: list[int]) -> None:
    session = joined_server()
    stream = b"".join(fw.encode_file_request(r) for r in REQUESTS)
    got: list[ev.Event] = []
    position = 0
    for cut in [*cuts, len(stream)]:
        session.receive_data(stream[position : position + cut])
        position += cut
        while (event := session.next_event()) is not None:
            got.append(event)
    assert got == REQUESTS


@pytest.mark.parametrize(("files_max", "asks"), [(0, True), (10**9, False)])
def test_file_requests_from_a_member_without_files_are_malformed(
    files_max: int, asks: bool
) -> None:
    session = joined_server(files_max=files_max, asks=asks)
    session.receive_data(fw.encode_file_request(fe.FetchFile(1, 0, cid=1)))
    with pytest.raises(RemoteProtocolError, match="malformed request 'get 1 1 0'"):
        session.next_event()


def test_a_files_member_sends_chunks_over_a_low_message_limit_but_no_long_text() -> None:
    session = joined_server(max_message=100)
    chunk = fe.StreamData(1, 0, b"x" * fe.CHUNK)
    assert feed(session, fw.encode_file_request(chunk), bytewise=False) == [chunk]
    session.receive_data(wire.meta_pair("say 1", "y" * 101))
    with pytest.raises(RemoteProtocolError, match="frame of 101 bytes exceeds the limit of 100"):
        session.next_event()


def test_a_data_pair_over_the_frame_limit_ends_the_session() -> None:
    session = joined_server(max_message=100)
    session.receive_data(fw.data_head(1, 0, 65_537))
    with pytest.raises(RemoteProtocolError, match="frame of 65537 bytes"):
        session.next_event()


# --- the client's session ---------------------------------------------------------------


HELLO = ev.Message("hello", sender="bob", id=2, time=1.0)


def welcomed_client(
    *, offer: str = "desktopchat 2 files=4096", files: bool = True
) -> tuple[ClientConnection, bytes]:
    client = ClientConnection("ann", token="tok", files=files)
    client.data_to_send()
    client.receive_data(encode_pair("*hello", offer))
    assert client.next_event() is None
    upgrade = client.data_to_send()
    client.receive_data(
        wire.encode_v2(ev.Welcome("ann", "hi", 2, "ep", 3))
        + wire.encode_v2(ev.UserList(("bob", "ann")))
        + wire.meta_pair("replay 1 0")
        + wire.encode_v2(OFFER if files else HELLO)
    )
    assert isinstance(client.next_event(), ev.Welcome)
    assert isinstance(client.next_event(), ev.UserList)
    return client, upgrade


def test_client_asks_for_files_only_when_offered_and_wanted() -> None:
    client, upgrade = welcomed_client()
    assert upgrade == encode_frame("/protocol 2 tok files")
    assert client.files_max == 4096
    assert client.next_event() == ev.Replay((OFFER,))
    for offer in ("desktopchat 2", "desktopchat 2 files=0", "desktopchat 2 files=x"):
        client, upgrade = welcomed_client(offer=offer)
        assert upgrade == encode_frame("/protocol 2 tok")
        assert client.files_max is None
    client, upgrade = welcomed_client(files=False)
    assert upgrade == encode_frame("/protocol 2 tok")
    assert client.files_max is None


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "byte by byte"])
def test_client_session_reads_every_event(bytewise: bool) -> None:
    client, _ = welcomed_client()
    assert client.next_event() == ev.Replay((OFFER,))
    stream = b"".join(fw.encode_file_event(e) for e in EVENTS)
    stream += wire.encode_v2(ev.Message("after", sender="bob", id=20, time=4.0))
    got: list[ev.Event] = []
    for part in [stream[i : i + 1] for i in range(len(stream))] if bytewise else [stream]:
        client.receive_data(part)
        while (event := client.next_event()) is not None:
            got.append(event)
    assert got == [*EVENTS, ev.Message("after", sender="bob", id=20, time=4.0)]
    assert client.last_id == 20


def test_client_without_files_refuses_file_pairs() -> None:
    client, _ = welcomed_client(files=False)
    client.next_event()
    client.receive_data(fw.encode_file_event(fe.FileAbort(1, "away")))
    with pytest.raises(RemoteProtocolError, match="malformed event"):
        client.next_event()


def test_a_data_pair_ends_a_replay_early() -> None:
    client = ClientConnection("ann", token="tok", files=True)
    client.receive_data(encode_pair("*hello", "desktopchat 2 files=4096"))
    client.next_event()
    client.receive_data(
        wire.encode_v2(ev.Welcome("ann", "hi", 2, "ep", 3))
        + wire.meta_pair("replay 2 0")
        + wire.encode_v2(EVENTS[0])
        + fw.encode_file_event(EVENTS[3])
    )
    assert isinstance(client.next_event(), ev.Welcome)
    assert client.next_event() == ev.Replay((OFFER,))
    assert client.next_event() == EVENTS[3]


def test_client_sends_requests_only_with_files() -> None:
    client, _ = welcomed_client()
    assert client.send_file(REQUESTS[2]) == fw.encode_file_request(REQUESTS[2])
    plain, _ = welcomed_client(files=False)
    with pytest.raises(Exception, match="without files"):
        plain.send_file(REQUESTS[2])


# --- the documentation's bytes ------------------------------------------------------------

DOCS = Path(__file__).resolve().parent.parent / "docs" / "PROTOCOL.md"


def documented_frames() -> list[tuple[str, str]]:
    """(who, payload) of every frame in the code blocks of PROTOCOL.md section 14."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## 14. Files") :]
    frames: list[tuple[str, str]] = []
    for block in re.findall(r"```\n(.*?)```", section, flags=re.S):
        lines = block.split("\n")
        i, who = 0, ""
        while i < len(lines):
            match = re.match(r"(\w+ (?:->|<-) |\s+)(\d+ *)", lines[i])
            if match is None:
                i += 1
                continue
            who = match.group(1).strip() or who
            head = lines[i][len(match.group(1)) :]
            length, payload = int(head[:10]), head[10:]
            while len(payload.encode()) < length:  # a payload that holds a newline
                i += 1
                payload += "\n" + lines[i]
            assert len(payload.encode()) == length, f"header {length} for {payload!r}"
            frames.append((who, payload))
            i += 1
    return frames


def test_the_documented_bytes_are_what_the_code_makes() -> None:
    frames = documented_frames()
    assert len(frames) > 30
    pairs = [
        (frames[i][0], frames[i][1], frames[i + 1][1])
        for i in range(len(frames) - 1)
        if not frames[i][1][:1].isdigit() and frames[i][1].split(" ")[0] in KINDS
    ]
    content = b"hello world\n"
    for who, meta, body in pairs:
        raw = body.encode()
        if who.endswith("->"):
            request = fw.parse_file_request(meta, raw)
            assert fw.encode_file_request(request) == encode_pair(meta, body)
            if isinstance(request, fe.FileOffer):
                assert request.sha256 == hashlib.sha256(content).hexdigest()
                assert request.size == len(content)
        else:
            event = fw.parse_file_event(meta, raw)
            assert fw.encode_file_event(event) == encode_pair(meta, body)


KINDS = fw.FILE_REQUEST_KINDS | fw.FILE_EVENT_KINDS
