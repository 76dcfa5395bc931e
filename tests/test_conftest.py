"""The suite's own rules, from conftest.py: an ERROR log from desktopchat fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

INNER_TESTS = """
import logging
import threading

import pytest

log = logging.getLogger("desktopchat.somewhere")


def test_error_fails():
    log.error("it broke")


def test_critical_from_a_thread_fails():
    thread = threading.Thread(target=log.critical, args=("thread broke",), name="net")
    thread.start()
    thread.join()


def test_exception_fails_with_its_traceback():
    try:
        raise KeyError("lost key")
    except KeyError:
        log.exception("while handling")


def test_warning_is_fine():
    log.warning("just a warning")


@pytest.mark.allow_error_log
def test_marked_may_log_errors():
    log.error("on purpose")


def test_other_loggers_are_not_watched():
    logging.getLogger("elsewhere").error("not ours")
"""


# The inner session runs in this process: its error logs reach this test's watch too.
@pytest.mark.allow_error_log
def test_error_logs_fail_the_test_unless_it_is_marked(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makeini(
        "[pytest]\n"
        "markers =\n"
        "    allow_error_log: allowed\n"
        "    gui: gui\n"
        "    slow: slow\n"
    )  # fmt: skip
    pytester.makepyfile(test_inner=INNER_TESTS)
    # In-process, the inner session would start its own Xvfb through pytest-xvfb
    # and leave DISPLAY pointing at it for every later test: it needs none.
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xvfb", "--strict-markers")
    # Each failing test passes its call and errors in teardown, with the records listed.
    result.assert_outcomes(passed=6, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_error_fails*",
            "ERROR desktopchat.somewhere [[]MainThread[]]: it broke",
            "*ERROR at teardown of test_critical_from_a_thread_fails*",
            "CRITICAL desktopchat.somewhere [[]net[]]: thread broke",
            "*ERROR at teardown of test_exception_fails_with_its_traceback*",
            "ERROR desktopchat.somewhere [[]MainThread[]]: while handling",
            "KeyError: 'lost key'",
        ]
    )
    out = result.stdout.str()
    for quiet in ("warning_is_fine", "marked_may_log_errors", "other_loggers_are_not_watched"):
        assert f"ERROR at teardown of test_{quiet}" not in out
