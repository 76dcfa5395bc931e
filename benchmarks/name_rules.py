"""Cost of the name rules (run by hand): validate_name and name_skeleton per name.

    python benchmarks/name_rules.py

Prints microseconds per call for a few kinds of names (32 characters at most,
as the rules allow), and the one-off cost of unpacking the Unicode data on
first use. Target: well under a millisecond per name, so that a room's join
storm (benchmarks/server_load.py joins) does not notice the look-alike check.
"""

from __future__ import annotations

import time
import timeit

NAMES = {
    "ascii": "alice_smith_1984",
    "longest ascii": "x" * 32,
    "accented": "Zo\u00eb-\u0141ukasz-J\u00fcrgen",
    "Cyrillic": "\u041c\u0430\u0440\u0438\u044f",
    "Han": "\u674e\u96f7" * 8,
    "emoji": "\U0001f469\U0001f3fd\u200d\U0001f4bb" * 4,
}


def main() -> None:
    started = time.perf_counter()
    from desktopchat.protocol import name_skeleton, validate_name
    from desktopchat.protocol.skeleton import _data

    _data()
    print(f"import and unpack the Unicode data: {(time.perf_counter() - started) * 1e3:.1f} ms")
    print(f"{'name':<14} {'validate_name':>14} {'name_skeleton':>14}")
    for label, name in NAMES.items():
        runs = 20_000
        check = timeit.timeit(lambda name=name: validate_name(name), number=runs) / runs
        fold = timeit.timeit(lambda name=name: name_skeleton(name), number=runs) / runs
        print(f"{label:<14} {check * 1e6:>11.1f} us {fold * 1e6:>11.1f} us")


if __name__ == "__main__":
    main()
