"""Room addresses: the one parser behind the login dialog and the command line."""

from __future__ import annotations

import pytest

from desktopchat.__main__ import build_parser
from desktopchat.address import (
    DEFAULT_PORT,
    AddressError,
    format_address,
    parse_address,
    parse_port,
)

GOOD_ADDRESSES = [
    ("chat.example.org", ("chat.example.org", 1234)),
    ("localhost:80", ("localhost", 80)),
    ("my_pc-2.lan:65535", ("my_pc-2.lan", 65535)),
    ("10.0.0.5:1", ("10.0.0.5", 1)),
    ("[::1]:4000", ("::1", 4000)),
    ("[fe80::1]", ("fe80::1", 1234)),
    ("fe80::1", ("fe80::1", 1234)),
    ("::1", ("::1", 1234)),
    ("python -m desktopchat --join 192.168.1.23:1235", ("192.168.1.23", 1235)),
    ("desktopchat --join=[::1]:9", ("::1", 9)),
]

BAD_ADDRESSES = [
    ("", "Type the room's address"),
    ("   ", "Type the room's address"),
    ("host:0", "from 1 to 65535, got 0"),
    ("host:65536", "from 1 to 65535, got 65536"),
    ("host:abc", "must be a number"),
    ("host:+12", "must be a number"),
    ("host:١٢", "must be a number"),  # Arabic-Indic digits are not a port
    ("host:", "Type the port after the colon"),
    (":1234", "before the colon"),
    ("http://host:1234", "no http://"),
    ("ann@host", "no http://"),
    ("my host:1234", "must not contain spaces"),
    ("ho$t", "is not a host name"),
    ("[::1", "Close the IPv6 bracket"),
    ("[::1]1234", "Put a colon"),
    ("[nonsense]:1234", "is not an IPv6 address"),
    ("fe80::1:99999", "in brackets"),
]


def test_default_port_is_the_tutorials() -> None:
    assert DEFAULT_PORT == 1234


@pytest.mark.parametrize(("text", "expected"), GOOD_ADDRESSES)
def test_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(("text", "words"), BAD_ADDRESSES)
def test_bad_addresses(text: str, words: str) -> None:
    with pytest.raises(AddressError) as info:
        parse_address(text)
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_default_port_is_the_callers() -> None:
    assert parse_address("host", default_port=99) == ("host", 99)
    assert parse_address("[::1]", default_port=99) == ("::1", 99)
    assert parse_address("host:5", default_port=99) == ("host", 5)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("nohost", "Add the room's port after the host: nohost:1234."),
        ("[::1]", "Add the room's port after the host: [::1]:1234."),
        ("fe80::1", "Add the room's port after the host: [fe80::1]:1234."),
        ("host:", "Type the port after the colon, e.g. host:1234."),
    ],
)
def test_port_required_without_default(text: str, words: str) -> None:
    with pytest.raises(AddressError) as info:
        parse_address(text, default_port=None)
    assert str(info.value) == words


def test_port_given_without_default() -> None:
    assert parse_address("host:80", default_port=None) == ("host", 80)
    assert parse_address("[::1]:1234", default_port=None) == ("::1", 1234)


@pytest.mark.parametrize(
    ("text", "allow_zero", "expected"),
    [("1", False, 1), (" 65535 ", False, 65535), ("0", True, 0), ("1234", True, 1234)],
)
def test_ports(text: str, allow_zero: bool, expected: int) -> None:
    assert parse_port(text, allow_zero=allow_zero) == expected


@pytest.mark.parametrize(
    ("text", "allow_zero", "words"),
    [
        ("0", False, "from 1 to 65535, got 0"),
        ("65536", True, "from 0 to 65535, got 65536"),
        ("-1", True, "must be a number"),
        ("1_0", True, "must be a number"),
        ("+1", True, "must be a number"),
        ("", True, "must be a number"),
        ("1 2", True, "must be a number"),
    ],
)
def test_bad_ports(text: str, allow_zero: bool, words: str) -> None:
    with pytest.raises(AddressError) as info:
        parse_port(text, allow_zero=allow_zero)
    assert words in str(info.value)


@pytest.mark.parametrize(
    ("host", "port"), [("127.0.0.1", 1234), ("::1", 80), ("chat.lan", 65535), ("fe80::1", 1)]
)
def test_format_address_round_trips(host: str, port: int) -> None:
    assert format_address(host, port) == (f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    assert parse_address(format_address(host, port)) == (host, port)
    assert parse_address(format_address(host, port), default_port=None) == (host, port)


# --- the command line uses the same rules ----------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("[::1]:1234", ("::1", 1234)), ("192.168.1.23:1235", ("192.168.1.23", 1235))],
)
def test_cli_join_accepts(value: str, expected: tuple[str, int]) -> None:
    assert build_parser().parse_args(["--join", value]).join.address == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("nohost", "Add the room's port after the host"),
        ("host:0", "from 1 to 65535, got 0"),
        ("host:65536", "from 1 to 65535"),
        ("http://host:1234", "no http://"),
    ],
)
def test_cli_bad_join_is_a_usage_error(
    value: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--join", value])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "argument --join" in err and words in err


@pytest.mark.parametrize(
    ("argv", "attribute", "expected"),
    [
        (["--host"], "host", DEFAULT_PORT),
        (["--host", "0"], "host", 0),
        (["--host", "4000"], "host", 4000),
        (["--serve"], "port", DEFAULT_PORT),
        (["--serve", "--port", "0"], "port", 0),
        (["--serve", "--port", "65535"], "port", 65535),
    ],
)
def test_cli_listen_ports_allow_zero(argv: list[str], attribute: str, expected: int) -> None:
    assert getattr(build_parser().parse_args(argv), attribute) == expected


@pytest.mark.parametrize(
    "argv", [["--host", "65536"], ["--host", "x"], ["--serve", "--port", "-1"], ["--port", "+1"]]
)
def test_cli_bad_listen_port_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    assert "from 0 to 65535" in capsys.readouterr().err
