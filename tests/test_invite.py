"""desktopchat.net.invite: the desktopchat:// link, parsing what people paste, the invitation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktopchat.address import AddressError
from desktopchat.net.invite import (
    MAX_ALTERNATIVES,
    MAX_ROOM_NAME,
    Invitation,
    InvitationError,
    JoinTarget,
    check_room_name,
    default_room_name,
    parse_join_target,
)

FP = "3f2a9c01" * 8


def test_link_carries_everything() -> None:
    invitation = Invitation(
        "Ann's room on pc1",
        [("192.168.1.23", 1234), ("10.0.0.5", 1234), ("fe80::1", 99)],
        FP,
        password_needed=True,
    )
    link = invitation.link()
    assert link == (
        f"desktopchat://192.168.1.23:1234?fp={FP}&pw=1&name=Ann%27s%20room%20on%20pc1"
        "&alt=10.0.0.5:1234,[fe80::1]:99"
    )
    assert parse_join_target(link) == JoinTarget(
        "192.168.1.23",
        1234,
        FP,
        True,
        "Ann's room on pc1",
        [("10.0.0.5", 1234), ("fe80::1", 99)],
    )


def test_ipv6_main_address_in_brackets() -> None:
    link = Invitation("r", [("::1", 5000)]).link()
    assert link.startswith("desktopchat://[::1]:5000?")
    assert parse_join_target(link).address == ("::1", 5000)


@pytest.mark.parametrize("name", ["0.", ".", "Lab 4.", "v2.0 room..."])
def test_a_room_name_ending_in_a_dot_keeps_it(name: str) -> None:
    # Found by the round trip below: pasted text loses a link's last "." (a sentence's).
    link = Invitation(name, [("192.0.2.7", 4000)]).link()
    assert not link.endswith(".")
    assert parse_join_target(link).room_name == name
    assert parse_join_target(f"Join us: {link}.").room_name == name


@given(
    name=st.text(min_size=1, max_size=MAX_ROOM_NAME).filter(
        lambda s: _usable_name(s) and " ".join(s.split()) == s
    ),
    hosts=st.lists(
        st.one_of(
            st.ip_addresses(v=4).map(str),
            st.ip_addresses(v=6).map(str),
            st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z0-9]{1,10}){0,2}", fullmatch=True),
        ),
        min_size=1,
        max_size=MAX_ALTERNATIVES + 1,
    ),
    port=st.integers(1, 65535),
    fingerprint=st.none() | st.from_regex(r"[0-9a-f]{64}", fullmatch=True),
    password=st.booleans(),
)
def test_round_trip(
    name: str, hosts: list[str], port: int, fingerprint: str | None, password: bool
) -> None:
    invitation = Invitation(name, [(h, port) for h in hosts], fingerprint, password)
    target = parse_join_target(invitation.link())
    assert target.address == (hosts[0], port)
    assert target.fingerprint == fingerprint
    assert target.password_needed is password
    assert target.room_name == name
    assert target.alternatives == [(h, port) for h in hosts[1:]]
    # The whole invitation pasted finds the same link.
    assert parse_join_target(invitation.text()) == target


def _usable_name(text: str) -> bool:
    try:
        check_room_name(text)
    except InvitationError:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("192.168.1.23:1234", ("192.168.1.23", 1234)),
        ("  chat.lan:80 ", ("chat.lan", 80)),
        ("[fe80::1]:7", ("fe80::1", 7)),
        ("python -m desktopchat --join 192.0.2.2:1234", ("192.0.2.2", 1234)),
        ("DesktopChat://192.0.2.2:99", ("192.0.2.2", 99)),
        ("desktopchat://192.0.2.2:99/", ("192.0.2.2", 99)),
        ("desktopchat://192.0.2.2:99/?pw=0#top", ("192.0.2.2", 99)),
        ("<desktopchat://192.0.2.2:99?pw=1>", ("192.0.2.2", 99)),
        ("Join here: desktopchat://192.0.2.2:99?pw=1.", ("192.0.2.2", 99)),
        ("python -m desktopchat --join desktopchat://h:5", ("h", 5)),
        ("desktopchat://192.0.2.2:99?new=thing&pw=0", ("192.0.2.2", 99)),
    ],
)
def test_accepted(text: str, address: tuple[str, int]) -> None:
    assert parse_join_target(text).address == address


def test_pasted_invitation_uses_the_link_line() -> None:
    tricky = Invitation("see desktopchat://evil:1", [("192.0.2.2", 5)], FP)
    assert parse_join_target(tricky.text()).address == ("192.0.2.2", 5)
    assert parse_join_target(tricky.text()).room_name == "see desktopchat://evil:1"


def test_plain_address_says_nothing_about_the_room() -> None:
    assert parse_join_target("h:1") == JoinTarget("h", 1, None, None, None, [])


def test_bare_host_gets_the_default_port_unless_required() -> None:
    assert parse_join_target("chat.lan").port == 1234
    assert parse_join_target("desktopchat://chat.lan?pw=0").port == 1234
    with pytest.raises(AddressError, match="Add the room's port"):
        parse_join_target("chat.lan", default_port=None)


def test_fingerprint_any_case_and_colons() -> None:
    spaced = ":".join(FP.upper()[i : i + 2] for i in range(0, 64, 2))
    assert parse_join_target(f"desktopchat://h:1?fp={spaced}").fingerprint == FP


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("http://192.0.2.2:1234", "http:// links are not desktopchat rooms"),
        ("desktopchat://", "no address"),
        ("desktopchat://?pw=1", "no address"),
        ("desktopchat://h:0", "Port must be a number from 1"),
        ("desktopchat://h:99999", "Port must be a number"),
        ("desktopchat://h:x", "Port must be a number"),
        ("desktopchat://user@h:1", "address is not usable"),
        (f"desktopchat://h:1?fp={FP[:-1]}", "not 64 hexadecimal digits"),
        (f"desktopchat://h:1?fp={FP[:-1]}g", "not 64 hexadecimal digits"),
        (f"desktopchat://h:1?fp={FP}&fp={FP}", "fp= twice"),
        ("desktopchat://h:1?pw=yes", "pw= must be 0 or 1"),
        ("desktopchat://h:1?name=%0Aadmin", "control character U+000A"),
        ("desktopchat://h:1?name=%E2%80%AEmoor", "control character U+202E"),
        ("desktopchat://h:1?name=%FF", "not valid UTF-8"),
        ("desktopchat://h:1?name=", "room name is empty"),
        ("desktopchat://h:1?alt=h2", "alt=) is bad: Add the room's port"),
        ("desktopchat://h:1?alt=" + ",".join(["h:1"] * 17), "the most is 16"),
        ("desktopchat://h:1?name=" + "a" * (MAX_ROOM_NAME + 1), "the most is 60"),
        ("desktopchat://h:1?name=" + "a" * 3000, "at most 2,048"),
        ("x" * 20000, "paste only the desktopchat:// link"),
    ],
)
def test_refused_with_a_reason(text: str, words: str) -> None:
    with pytest.raises(InvitationError) as info:
        parse_join_target(text)
    assert words in str(info.value)
    assert isinstance(info.value, AddressError)  # the login dialog's one except clause


@given(st.text(max_size=300))
def test_anything_pasted_parses_or_is_refused(text: str) -> None:
    try:
        target = parse_join_target("desktopchat://" + text)
    except AddressError as exc:
        assert str(exc)
    else:
        assert 1 <= target.port <= 65535
        assert len(target.alternatives) <= MAX_ALTERNATIVES


def test_invitation_text_never_assumes_python() -> None:
    text = Invitation("Ann's room", [("192.0.2.2", 1234)], FP, password_needed=True).text()
    assert "python" not in text.lower()
    assert "Open desktopchat, choose Room ▸ Join room… and paste this link:" in text
    assert "desktopchat://192.0.2.2:1234?fp=" in text
    assert "Address: 192.0.2.2:1234" in text
    assert "Fingerprint: 3f2a 9c01 3f2a 9c01" in text
    assert "Password: needed" in text


def test_invitation_text_says_what_the_room_is() -> None:
    plain = Invitation("r", [("192.0.2.2", 1), ("192.0.2.3", 1)]).text()
    assert "Address: 192.0.2.2:1 (or 192.0.2.3:1)" in plain
    assert "Encrypted: no" in plain
    assert "Password: none" in plain
    strict = Invitation("r", [("h", 1)], FP, encrypted_only=True).text()
    assert "unencrypted connections are refused" in strict


def test_invitation_needs_an_address() -> None:
    with pytest.raises(ValueError):
        Invitation("r", [])


def test_room_names() -> None:
    assert check_room_name("  Ann's   room ") == "Ann's room"
    assert check_room_name("👨\u200d👩\u200d👧 family") == "👨\u200d👩\u200d👧 family"
    assert default_room_name("ann", "pc1.example.lan") == "ann's room on pc1"
    assert default_room_name("", "pc1") == "Room on pc1"
    assert default_room_name("x" * 100, "pc1") == "Room on pc1"
    assert default_room_name("a\nb", "pc1") == "Room on pc1"
