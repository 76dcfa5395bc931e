"""``--discover`` on the command line: its options (no network: every case is a usage error).

Finding rooms for real runs inside a private network namespace
(test_discovery_netns.py); nothing here reaches zeroconf.
"""

from __future__ import annotations

import pytest

from desktopchat.__main__ import DISCOVER_SECONDS, build_parser, main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "2"], "--timeout is for --discover"),
        (["--discover", "--timeout", "0"], "0 < S <= 3600"),
        (["--discover", "--timeout", "-1"], "0 < S <= 3600"),
        (["--discover", "--timeout", "nan"], "0 < S <= 3600"),
        (["--discover", "--timeout", "soon"], "expected a number of seconds"),
        (["--discover", "--serve"], "not allowed with"),
        (["--discover", "--join", "10.0.0.1:1234"], "not allowed with"),
    ],
)
def test_bad_discover_options_are_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_discover_defaults() -> None:
    args = build_parser().parse_args(["--discover"])
    assert args.discover is True and args.timeout is None
    assert DISCOVER_SECONDS == 3.0
    assert build_parser().parse_args(["--discover", "--timeout", "0.5"]).timeout == 0.5
