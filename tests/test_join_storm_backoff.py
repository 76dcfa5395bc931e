"""Reconnect delays with jitter (desktopchat/backoff.py): a restarted room is not met
by every member in the same instant. Deterministic: the random source is seeded."""

from __future__ import annotations

import random
import statistics

import pytest

from desktopchat import client
from desktopchat.backoff import FIRST_CEILING, MAX_BACKOFF, Backoff


def first_retries(members: int, seed: int = 12) -> list[float]:
    """The first reconnect delay of each of ``members`` clients dropped together."""
    rng = random.Random(seed)
    return [Backoff(random.Random(rng.random())).next() for _ in range(members)]


def test_the_first_retries_of_a_room_are_spread_over_a_second() -> None:
    delays = first_retries(10_000)
    assert all(0.0 <= d <= FIRST_CEILING == 1.0 for d in delays)
    # Spread evenly: about a tenth in each tenth of the second, none crowded.
    per_tenth = [0] * 10
    for d in delays:
        per_tenth[min(int(d * 10), 9)] += 1
    assert all(900 <= n <= 1100 for n in per_tenth), per_tenth
    assert statistics.mean(delays) == pytest.approx(0.5, abs=0.02)
    assert len(set(delays)) == len(delays)  # no two clients in step


def test_the_ceiling_doubles_up_to_ten_seconds_and_each_delay_stays_under_it() -> None:
    backoff = Backoff(random.Random(7))
    ceilings = []
    for _ in range(8):
        ceiling = backoff.ceiling
        delay = backoff.next()
        assert 0.0 <= delay <= ceiling
        ceilings.append(ceiling)
    assert ceilings == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0, 10.0]
    assert MAX_BACKOFF == client.MAX_BACKOFF == 10.0


def test_later_retries_are_spread_over_their_whole_ceiling() -> None:
    rng = random.Random(3)
    fifth = []
    for _ in range(5_000):
        backoff = Backoff(random.Random(rng.random()))
        for _ in range(4):
            backoff.next()
        fifth.append(backoff.next())  # ceiling 10 s
    assert max(fifth) <= 10.0
    assert statistics.mean(fifth) == pytest.approx(5.0, abs=0.2)
    assert min(fifth) < 0.1 and max(fifth) > 9.9


def test_getting_back_in_starts_again_from_the_first_ceiling() -> None:
    backoff = Backoff(random.Random(1))
    for _ in range(5):
        backoff.next()
    backoff.reset()
    assert backoff.ceiling == FIRST_CEILING
    assert backoff.next() <= FIRST_CEILING


def test_the_same_seed_gives_the_same_delays() -> None:
    one = [Backoff(random.Random(42)).next() for _ in range(3)]
    assert one == [Backoff(random.Random(42)).next() for _ in range(3)]
    with pytest.raises(ValueError, match="first"):
        Backoff(first=0.0)
