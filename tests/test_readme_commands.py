"""The README's set-up commands: venv-based (PEP 668 systems), and CI runs the test one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def sh_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", text, flags=re.S)]


def test_the_two_setup_commands_use_python3_and_a_virtual_environment() -> None:
    app, tests = sh_blocks()[:2]
    for command in (app, tests):
        assert command.startswith("python3 -m venv .venv && .venv/bin/python -m pip install -e ")
        assert "sudo" not in command and not re.search(r"(^|&& )python ", command)
    assert app.endswith(".venv/bin/python -m desktopchat")
    assert tests.endswith(".venv/bin/python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    tests = sh_blocks()[1]
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in lines
