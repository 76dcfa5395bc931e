"""The real window through 15 connection cuts in a two-sender conversation loses nothing.

benchmarks/reconnect_cuts.py at a small scale (its docstring has the whole
scenario): the window (ann) joins a real room through a cutting proxy, bob
through another; both say numbered lines before, during and after each cut
(some cuts leave a ghost that holds the name, some keep the network down for a
reconnect attempt or two, some come mid-handshake). Plans come from a fixed
seed and there is no timed chatter: every line is said at a moment the
window, the clients or the proxy show, and every wait is for such a state.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from desktopchat.gui.app import ChatApp
from desktopchat.server import RoomServer

pytestmark = [pytest.mark.gui, pytest.mark.slow]

CUTS = 15
SEED = 20261130

_BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "reconnect_cuts.py"


def _load_benchmark() -> ModuleType:
    name = "reconnect_cuts"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, _BENCHMARK)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while it loads
        spec.loader.exec_module(module)
    return module


def test_fifteen_cuts_lose_and_duplicate_no_line_either_way(app: ChatApp, room: RoomServer) -> None:
    bench = _load_benchmark()
    tally = bench.run(app, room.address, cuts=CUTS, seed=SEED, rate=0.0, wait=30.0)
    report = tally.report()
    print(report)  # the figures, with pytest -s
    assert tally.stuck is None, report
    assert tally.cuts == CUTS, report
    assert tally.to_window.sent > 0 and tally.to_other.sent > 0, report
    assert (tally.lost, tally.duplicated, tally.out_of_order) == (0, 0, 0), report
    assert tally.own.unsettled == 0, report
    assert tally.ok, report
    app.quit()
    assert app.presenter.wait_stopped(3.0)
