"""What an offer's line says and which buttons it has, as data and pure rules. No Tk.

:class:`Transfer` is one offer (ours or someone's) and what happened to it;
:func:`actions` says which buttons its line shows, :func:`status_text` the
words beside them, :func:`offer_text` the transcript line, :func:`fraction`
the progress bar. :func:`check_files` decides which chosen files can be
offered, :func:`wants_preview` which pictures are fetched into memory without
being asked, :func:`download_folder` where Open writes. ``transfers.py`` keeps
the state; this module only answers questions about it. The decisions are
listed in ``transfers.py``'s docstring.
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from desktopchat.files.kinds import is_executable, is_image
from desktopchat.gui.transfertext import Rate, kind_text, size_text

__all__ = [
    "HEAD_BYTES",
    "MAX_QUEUED",
    "PREVIEWS_AT_ONCE",
    "PREVIEW_BUDGET",
    "PREVIEW_MAX",
    "Action",
    "Receiver",
    "Status",
    "Transfer",
    "actions",
    "check_files",
    "download_folder",
    "fraction",
    "offer_text",
    "read_picture",
    "shown_path",
    "status_text",
    "wants_preview",
]

#: Largest picture fetched into memory on its own for a thumbnail: 16 MiB.
PREVIEW_MAX = 16 * 1024 * 1024
#: Bytes of previews held at once (the newest kept): 8 full-size pictures.
PREVIEW_BUDGET = 8 * PREVIEW_MAX
#: Previews fetched at the same time (the room lets a member run 4 fetches).
PREVIEWS_AT_ONCE = 2
#: Previews waiting their turn at most (a history full of pictures fetches no more).
MAX_QUEUED = 8
#: Bytes of a finished file read to see whether it is a program.
HEAD_BYTES = 64


class Status(enum.Enum):
    """Where an offer's line is."""

    OFFERED = "offered"  # incoming: waiting for Save / Open / Decline
    FETCHING = "fetching"  # incoming: bytes are coming (to disk)
    WAITING = "waiting"  # incoming: interrupted, the client resumes it
    DONE = "done"  # incoming: verified and written to ``path``
    FAILED = "failed"  # incoming: gave up (``reason``)
    CANCELLED = "cancelled"  # incoming: we cancelled
    DECLINED = "declined"  # incoming: we said no
    GONE = "gone"  # incoming: the offer ended before we had it (``reason``)
    SHARING = "sharing"  # outgoing: our offer is live
    WITHDRAWN = "withdrawn"  # outgoing: we withdrew it, or left the room


class Action(enum.Enum):
    """A button on an offer's line."""

    SAVE = "Save…"
    OPEN = "Open"
    DECLINE = "Decline"
    CANCEL = "Cancel"
    OPEN_FILE = "Open file"
    SHOW = "Show in folder"
    WITHDRAW = "Withdraw"


@dataclass(slots=True)
class Receiver:
    """One member fetching our offer."""

    done: int = 0
    rate: Rate = field(default_factory=Rate)
    state: str = "sending"  # "sending", "done", "failed"
    reason: str = ""


@dataclass(eq=False)
class Transfer:
    """One offer, ours or someone's, and what happened to it (see the module docstring)."""

    file: int
    sender: str
    name: str  # as offered (the view escapes it; safe_name makes a file name of it)
    size: int
    mime: str
    incoming: bool
    to: str | None = None  # None: offered to the room
    status: Status = Status.OFFERED
    done: int = 0
    rate: Rate = field(default_factory=Rate)
    path: Path | None = None  # where it is written / was written (ours: the original)
    data: bytes | None = None  # a picture held in memory (preview)
    previewing: bool = False  # a fetch into memory is running
    open_after: bool = False  # Open: open it once it is written
    then: tuple[Path, bool] | None = None  # (path, open) chosen while the preview runs
    live: bool = True  # the offer is still there (can be fetched)
    reason: str = ""
    note: str = ""  # a sentence under the status ("… is a program: …")
    receivers: dict[str, Receiver] = field(default_factory=dict)  # ours, by name
    # Ours, fetched by members the room does not name (its "send" says no name):
    delivered: int = 0  # fetched whole
    stopped: int = 0  # ended early (last_stop says why)
    last_stop: str = ""
    sending: int | None = None  # bytes through of the newest unnamed stream

    @property
    def program(self) -> bool:
        """True when the name alone says it is a program (never opened)."""
        return is_executable(self.name)

    @property
    def picture(self) -> bool:
        """True for a PNG, GIF or JPEG (shown as a thumbnail when in memory)."""
        return is_image(self.mime)


def wants_preview(mime: str, size: int) -> bool:
    """The rule for fetching a picture into memory without being asked."""
    return is_image(mime) and 0 < size <= PREVIEW_MAX


def download_folder(setting: str = "", home: Path | None = None) -> Path:
    """Where Open writes: the setting when it is a folder, else ~/Downloads, else home."""
    if setting and Path(setting).expanduser().is_dir():
        return Path(setting).expanduser()
    home = Path.home() if home is None else home
    downloads = home / "Downloads"
    return downloads if downloads.is_dir() else home


def offer_text(item: Transfer) -> str:
    """The offer's words after the sender's name: "offers photo.png (1.2 MB, PNG image)"."""
    kind = kind_text(item.mime)
    about = f"{size_text(item.size)}, {kind}" if kind else size_text(item.size)
    if item.to is not None and item.incoming:
        return f"offers you {item.name} ({about})"
    return f"offers {item.name} ({about})"


def actions(item: Transfer) -> tuple[Action, ...]:
    """The buttons of ``item``'s line now."""
    if not item.incoming:
        return (Action.WITHDRAW,) if item.status is Status.SHARING else ()
    match item.status:
        case Status.OFFERED if item.live:
            return (
                (Action.SAVE, Action.DECLINE)
                if item.program
                else (
                    Action.SAVE,
                    Action.OPEN,
                    Action.DECLINE,
                )
            )
        case Status.FETCHING | Status.WAITING:
            return (Action.CANCEL,)
        case Status.DONE:
            return (Action.SHOW,) if item.note else (Action.OPEN_FILE, Action.SHOW)
        case Status.FAILED | Status.CANCELLED if item.live:
            return (Action.SAVE,) if item.program else (Action.SAVE, Action.OPEN)
    return ()


def status_text(item: Transfer) -> str:
    """The words beside the buttons: progress, the outcome, or why it ended."""
    if not item.incoming:
        return _outgoing_text(item)
    match item.status:
        case Status.OFFERED:
            if item.previewing:
                return "Loading the picture…"
            if item.program:
                return "A program: desktopchat never opens programs, only saves them."
            return ""
        case Status.FETCHING:
            done = f"{size_text(item.done)} of {size_text(item.size)}"
            rate = item.rate.text(item.size)
            return f"{done} · {rate}" if rate else done
        case Status.WAITING:
            return f"Paused: {item.reason}"  # the client's sentence says how it goes on
        case Status.DONE:
            return f"Saved to {shown_path(item.path)}" if item.path else "Saved."
        case Status.FAILED:
            return f"Failed: {item.reason}"
        case Status.CANCELLED:
            return "You cancelled it."
        case Status.DECLINED:
            return "You declined it."
        case Status.GONE:
            return item.reason
    return ""


def _outgoing_text(item: Transfer) -> str:
    if item.status is Status.WITHDRAWN:
        return item.reason or "You withdrew the offer."
    parts = []
    for name, r in item.receivers.items():
        if r.state == "done":
            parts.append(f"{name}: done")
        elif r.state == "failed":
            parts.append(f"{name}: stopped ({r.reason})" if r.reason else f"{name}: stopped")
        else:
            percent = 100 * r.done // item.size if item.size else 100
            parts.append(f"{name}: {percent}%")
    if item.delivered:
        parts.append(f"fetched {item.delivered} time" + ("s" if item.delivered > 1 else ""))
    if item.sending is not None:
        parts.append(f"sending: {100 * item.sending // item.size if item.size else 100}%")
    if item.stopped:
        parts.append(f"{item.stopped} stopped ({item.last_stop})")
    return " · ".join(parts) or "Nobody has fetched it yet."


def shown_path(path: Path, home: Path | None = None) -> str:
    """A path as people read it: the home folder as "~"."""
    home = Path.home() if home is None else home
    try:
        return str(Path("~") / path.relative_to(home))
    except ValueError:
        return str(path)


def fraction(item: Transfer) -> float | None:
    """How far the bar is (0..1) while bytes come; None: no bar."""
    if item.status not in (Status.FETCHING, Status.WAITING):
        return None
    return item.done / item.size if item.size else 1.0


def check_files(paths: Iterable[Path], max_size: int | None) -> tuple[list[Path], list[str]]:
    """The files of ``paths`` that can be offered in a room taking ``max_size`` bytes.

    Returns (files, problems): a sentence for each path that cannot be sent
    (a folder, missing, unreadable, not a plain file, over the room's limit),
    checked before any hashing. ``max_size`` None: the room takes no files.
    """
    if max_size is None:
        return [], ["This room does not take files (its host turned them off, or it is older)."]
    good: list[Path] = []
    problems: list[str] = []
    for path in paths:
        problem = _problem(path, max_size)
        if problem is None:
            good.append(path)
        else:
            problems.append(problem)
    return good, problems


def _problem(path: Path, max_size: int) -> str | None:
    name = path.name or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        return f"{name}: there is no such file (was it moved?)."
    except OSError as exc:
        return f"Cannot read {name}: {exc.strerror}."
    if stat.S_ISDIR(info.st_mode):
        return f"{name} is a folder: choose the files in it instead."
    if not stat.S_ISREG(info.st_mode):
        return f"{name} is not a plain file, so it cannot be sent."
    if not os.access(path, os.R_OK):
        return f"Cannot read {name}: permission denied."
    if info.st_size > max_size:
        return (
            f"{name} is {size_text(info.st_size)}: this room takes files up to "
            f"{size_text(max_size)}."
        )
    return None


def read_picture(path: Path) -> bytes | None:
    """The bytes of our own picture (at most PREVIEW_MAX), or None when unreadable."""
    try:
        with path.open("rb") as f:
            return f.read(PREVIEW_MAX + 1)
    except OSError:
        return None
