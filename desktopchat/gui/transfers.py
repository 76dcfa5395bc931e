"""Files offered in the room, and their transfers, as a model without Tk.

:class:`Transfers` is the presenter's part for the ``files`` extension
(docs/PROTOCOL.md section 14): it keeps one :class:`Transfer` per offer seen
or made, follows the client's transfer events, and decides what each line
shows and which buttons it has (:func:`actions`, :func:`status_text`). The
window draws that (``transferview.py``) and reports the user's clicks back
(:meth:`Transfers.save`, :meth:`~Transfers.open`, :meth:`~Transfers.decline`,
:meth:`~Transfers.cancel`, :meth:`~Transfers.withdraw`).

Decisions:

* Nothing is written to disk before the user acts: an offer shows Save, Open
  and Decline. Save writes where the user chose (the save dialog starts in the
  download folder with the sanitised name); Open writes into the download
  folder under a name no other file has (``files.names.unique_path``) and
  then opens it with the system's program. The one exception is the user's
  own: with "save offered files automatically" (:attr:`Transfers.auto_dir`,
  off by default) an offer made while we are in the room is saved into that
  folder under a new name -- never a program, never one from the history.
* A picture (PNG, GIF, JPEG) of at most :data:`PREVIEW_MAX` bytes offered to
  us is fetched into memory at once (no disk write) and shown as a thumbnail;
  Save and Open then write those bytes (``previews.py``). At most :data:`PREVIEWS_AT_ONCE`
  previews run together (the room allows a member 4 fetches), and the bytes
  held for previews stay under :data:`PREVIEW_BUDGET` (the oldest are dropped:
  their thumbnails stay, Save fetches again).
* A program (``files.kinds.is_executable``: its name, its first bytes, the x
  bit) is never opened: its offer has no Open button, and a finished program
  gets "Show in folder" with a sentence saying why.
* A transfer that fails while the offer is still there can be tried again
  (Save / Open come back); a withdrawn offer, a sender who left, leaving the
  room or a restarted room end every line that was still waiting.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from desktopchat.files.kinds import guess_mime, is_executable
from desktopchat.files.names import numbered, safe_name, unique_path
from desktopchat.gui.conversations import ROOM
from desktopchat.gui.lines import Kind, Line
from desktopchat.gui.previews import PreviewSteps
from desktopchat.gui.transferrules import (
    HEAD_BYTES,
    MAX_QUEUED,
    Receiver,
    Status,
    Transfer,
    check_files,
    download_folder,
    offer_text,
    read_picture,
    wants_preview,
)
from desktopchat.gui.transfertext import Rate
from desktopchat.protocol import events as ev
from desktopchat.protocol import name_key
from desktopchat.protocol import transferevents as te
from desktopchat.protocol.fileevents import FileOffer, FileWithdrawn

if TYPE_CHECKING:
    from desktopchat.client import ChatClient
    from desktopchat.gui.attention_rules import Attention
    from desktopchat.gui.conversations import Conversations

__all__ = ["RoomSide", "TransferView", "Transfers"]

log = logging.getLogger(__name__)

#: Offers remembered in one room (a long day's worth); the oldest finished go first.
MAX_ITEMS = 2000


class TransferView(Protocol):
    """What the transfers ask of the window (Tk thread)."""

    def transfer_shown(self, tid: int, line: Line, item: Transfer) -> None: ...
    def transfer_changed(self, item: Transfer) -> None: ...
    def open_file(self, path: Path) -> None: ...


class RoomSide(Protocol):
    """What the transfers read of the presenter."""

    client: ChatClient | None
    own_name: str | None
    conversations: Conversations
    attention: Attention  # an offer to us alerts like a line (private, mention, all)


class Transfers(PreviewSteps):
    """Every offer of the current room and its transfer. See the module docstring."""

    def __init__(
        self,
        view: TransferView,
        room: RoomSide,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.view = view
        self._room = room
        self._clock = clock
        self.items: dict[int, Transfer] = {}  # by file id (one room run)
        self.download_dir = download_folder()
        #: Save offers to us into this folder without asking (a setting; None: ask).
        self.auto_dir: Path | None = None
        self.max_size: int | None = None  # the room's largest file; None: no files
        self._offering: dict[int, str] = {}  # cid of our offer -> its name, until answered
        self._own_bytes: dict[int, bytes] = {}  # cid of our pasted picture -> its bytes
        self._reserved: set[Path] = set()  # Open's paths while written
        self._previews: deque[Transfer] = deque()  # waiting to be fetched into memory
        self._held: deque[Transfer] = deque()  # holding picture bytes, oldest first
        self._epoch: str | None = None

    def _client(self) -> ChatClient | None:
        return self._room.client

    # --- events -------------------------------------------------------------------------

    def handle(self, event: ev.Event) -> bool:
        """Follow one client event; True when it was about files (nothing else to do)."""
        match event:
            case te.TransferProgress():
                self._progress(event)
            case te.TransferDone():
                self._done(event)
            case te.TransferFailed():
                self._failed(event)
            case te.TransferWaiting(file=file, reason=reason):
                item = self.items.get(file)
                if item is not None and item.incoming and item.status is Status.FETCHING:
                    item.status, item.reason = Status.WAITING, reason
                    self._changed(item)
            case te.OfferMade():
                self._offered(event)
            case te.FilesAllowed(max_size=max_size):
                self.max_size = max_size
            case ev.Accepted(cid=cid) if cid in self._offering:
                pass  # OfferMade follows with the file's id
            case ev.Rejected(cid=cid, reason=reason) if cid in self._offering:
                name = self._offering.pop(cid)
                self._own_bytes.pop(cid, None)
                self._room.conversations.error(
                    Line(Kind.ERROR, f"{name} was not offered: {reason}", time.time())
                )
            case ev.Connected(epoch=epoch):
                if self._epoch is not None and epoch != self._epoch:
                    self.end_all("The room was restarted: this offer is gone.")
                self._epoch = epoch
                return False
            case _:
                return False
        return True

    def room_event(self, event: ev.RoomEvent, when: float, *, live: bool = True) -> bool:
        """Show an offer, or end one (live or replayed); True when ``event`` was one."""
        match event:
            case FileOffer():
                self._offer_seen(event, when, live=live)
            case FileWithdrawn(file=file, sender=sender):
                item = self.items.get(file)
                if item is None:
                    return True
                item.live = False
                self._unpreview(item)
                if not item.incoming and item.status is Status.SHARING:
                    item.status, item.reason = Status.WITHDRAWN, "The offer ended."
                elif item.status in (Status.OFFERED, Status.FETCHING, Status.WAITING):
                    item.status, item.reason = Status.GONE, f"{sender} no longer offers it."
                self._changed(item)
            case _:
                return False
        return True

    def _own(self, name: str) -> bool:
        own = self._room.own_name
        return own is not None and name_key(name) == name_key(own)

    def _offer_seen(self, offer: FileOffer, when: float, *, live: bool) -> None:
        if offer.file in self.items:
            return  # ours (OfferMade came first), or shown already
        own = self._own(offer.sender)
        item = Transfer(
            offer.file, offer.sender, offer.name, offer.size, offer.mime, not own, offer.to
        )
        if own:
            item.status = Status.SHARING
        self._keep(item)
        self._show(item, when, live=live)
        if not own and wants_preview(item.mime, item.size) and len(self._previews) < MAX_QUEUED:
            self._queue_preview(item)
        folder = self.auto_dir
        if live and not own and not item.program and folder is not None and folder.is_dir():
            self._write(item, self._place(item.name, folder), open_after=False)

    def _keep(self, item: Transfer) -> None:
        """Remember ``item``; past MAX_ITEMS the oldest finished ones are forgotten."""
        self.items[item.file] = item
        if len(self.items) > MAX_ITEMS:
            busy = (Status.FETCHING, Status.WAITING, Status.SHARING)
            old = [f for f, i in self.items.items() if i.status not in busy and not i.previewing]
            for file in old[: len(self.items) - MAX_ITEMS]:
                del self.items[file]  # its line keeps its words; its buttons do nothing

    def _offered(self, made: te.OfferMade) -> None:
        self._offering.pop(made.cid, None)
        data = self._own_bytes.pop(made.cid, None)
        mime = guess_mime(made.name, data[:HEAD_BYTES] if data else b"")
        item = Transfer(
            made.file, self._room.own_name or "me", made.name, made.size, mime, False, made.to
        )
        item.status, item.path = Status.SHARING, made.path
        if data is None and made.path is not None and wants_preview(mime, made.size):
            data = read_picture(made.path)  # our own picture: its thumbnail too
        self._keep(item)
        if data is not None and wants_preview(mime, len(data)):
            self._hold(item, data)
        self._show(item, time.time())
        if item.data is not None:
            self._changed(item)  # the thumbnail

    def offering_bytes(self, cid: int, name: str, data: bytes) -> None:
        """Our offer ``cid`` of bytes (a pasted picture): its line shows the picture."""
        self._offering[cid] = name
        self._own_bytes[cid] = data
        while len(self._own_bytes) > MAX_QUEUED:  # offers the room never answered
            del self._own_bytes[next(iter(self._own_bytes))]

    def _show(self, item: Transfer, when: float, *, live: bool = True) -> None:
        words = offer_text(item)
        if item.to is None:
            line = Line(Kind.ACTION, words, when, item.sender, own=not item.incoming)
            tid = ROOM
        else:
            peer = item.to if not item.incoming else ""
            line = Line(Kind.PRIVATE, words, when, item.sender, peer, own=not item.incoming)
            tid = self._room.conversations.route(line)
        if item.incoming:
            line = self._room.attention.arrived(line, self._room.own_name, live=live)
        self.view.transfer_shown(tid, line, item)

    def _progress(self, event: te.TransferProgress) -> None:
        item = self.items.get(event.file)
        if item is None:
            return
        if not event.incoming and not event.peer:
            item.sending = event.done
        elif not event.incoming:
            receiver = item.receivers.setdefault(event.peer, Receiver())
            receiver.done, receiver.state = event.done, "sending"
            receiver.rate.sample(self._clock(), event.done)
        elif item.previewing or item.status not in (Status.FETCHING, Status.WAITING):
            return
        else:
            item.status, item.done = Status.FETCHING, event.done
            item.rate.sample(self._clock(), event.done)
        self._changed(item)

    def _done(self, event: te.TransferDone) -> None:
        item = self.items.get(event.file)
        if item is None:
            return
        if not event.incoming and not event.peer:
            item.delivered, item.sending = item.delivered + 1, None
            self._changed(item)
        elif not event.incoming:
            receiver = item.receivers.setdefault(event.peer, Receiver())
            receiver.done, receiver.state = item.size, "done"
            self._changed(item)
        elif event.data is not None and item.previewing:
            self._preview_done(item, event.data)
        elif event.path is not None and item.status in (Status.FETCHING, Status.WAITING):
            if item.path is not None:
                self._reserved.discard(item.path)
            item.path = event.path
            self._finished(item)

    def _failed(self, event: te.TransferFailed) -> None:
        item = self.items.get(event.file)
        if item is None:
            return
        if not event.incoming and not event.peer:
            item.stopped, item.last_stop, item.sending = item.stopped + 1, event.reason, None
            self._changed(item)
        elif not event.incoming:
            receiver = item.receivers.setdefault(event.peer, Receiver())
            receiver.state, receiver.reason = "failed", event.reason
            self._changed(item)
        elif item.previewing:
            self._preview_failed(item, event.reason)
        elif item.status in (Status.FETCHING, Status.WAITING):
            self._release(item)
            item.status, item.reason = Status.FAILED, event.reason
            self._changed(item)

    # --- sending ----------------------------------------------------------------------

    def check(self, paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
        """The files that can be offered here, and a sentence for each that cannot."""
        return check_files(paths, self.max_size)

    def offer(self, paths: Iterable[Path], to: str | None) -> None:
        """Offer checked files (the client hashes each on a thread of its own)."""
        client = self._client()
        if client is None:
            return
        for path in paths:
            cid = client.offer_file(path, to)
            self._offering[cid] = path.name

    # --- what the user does ----------------------------------------------------------

    def save(self, item: Transfer, path: Path) -> None:
        """Save: write ``item`` to ``path`` (the save dialog's answer)."""
        self._write(item, path, open_after=False)

    def open(self, item: Transfer) -> None:
        """Open: write ``item`` into the download folder, then open it (never a program)."""
        self._write(item, self._place(item.name, self.download_dir), open_after=not item.program)

    def decline(self, item: Transfer) -> None:
        """Decline: no, thanks (the sender is not told: the offer stays for others)."""
        self._unpreview(item)
        item.status, item.data = Status.DECLINED, None
        self._changed(item)

    def cancel(self, item: Transfer) -> None:
        """Cancel a running fetch (the sender is told it was cancelled)."""
        client = self._client()
        if client is not None and item.status in (Status.FETCHING, Status.WAITING):
            client.cancel_fetch(item.file)
        self._release(item)
        item.status, item.then = Status.CANCELLED, None
        self._changed(item)

    def withdraw(self, item: Transfer) -> None:
        """Withdraw our offer: nobody can fetch it any more; running sends stop."""
        client = self._client()
        if client is not None and item.status is Status.SHARING:
            client.withdraw_file(item.file)
        item.status, item.reason = Status.WITHDRAWN, ""
        self._changed(item)

    def open_done(self, item: Transfer) -> None:
        """Open file on a finished line: open it, unless it turned out to be a program."""
        if item.status is Status.DONE and item.path is not None and self._openable(item):
            self.view.open_file(item.path)

    # --- writing ------------------------------------------------------------------------

    def _place(self, name: str, folder: Path) -> Path:
        path = unique_path(folder, name)
        number = 0
        while path in self._reserved:  # another Open is writing that name now
            number += 1
            path = unique_path(folder, numbered(safe_name(name), number))
        return path

    def _write(self, item: Transfer, path: Path, *, open_after: bool) -> None:
        if item is not self.items.get(item.file) or not item.live:
            return  # a line from a room we left: it has no buttons
        if item.data is not None:
            self._write_bytes(item, item.data, path, open_after=open_after)
            return
        if item.previewing:
            item.then = (path, open_after)  # written when the picture is in
            item.status = Status.FETCHING
            self._changed(item)
            return
        client = self._client()
        if client is None:
            return
        self._reserved.add(path)
        item.path, item.open_after, item.reason, item.note = path, open_after, "", ""
        item.status, item.done, item.rate = Status.FETCHING, 0, Rate()
        client.fetch_file(item.file, path)
        self._changed(item)

    def _write_bytes(self, item: Transfer, data: bytes, path: Path, *, open_after: bool) -> None:
        try:
            with path.open("xb" if open_after else "wb") as out:  # Open never overwrites
                out.write(data)
        except OSError as exc:
            item.status, item.reason = Status.FAILED, f"Could not write {path}: {exc.strerror}."
            self._changed(item)
            return
        item.path, item.open_after = path, open_after
        self._finished(item)

    def _finished(self, item: Transfer) -> None:
        item.status, item.done, item.then = Status.DONE, item.size, None
        if item.path is not None:
            self._reserved.discard(item.path)
        openable = self._openable(item)
        if item.open_after and openable and item.path is not None:
            self.view.open_file(item.path)
        self._changed(item)

    def _openable(self, item: Transfer) -> bool:
        """False for a program (its name, first bytes or x bit): then it gets a note."""
        head = item.data[:HEAD_BYTES] if item.data is not None else b""
        if item.path is not None and not head:
            try:
                with item.path.open("rb") as f:
                    head = f.read(HEAD_BYTES)
            except OSError:
                head = b""
        target = item.path if item.path is not None else item.name
        if is_executable(target, head) or is_executable(item.name, head):
            item.note = (
                f"{item.name} is a program: desktopchat does not open programs. "
                "Look at it in its folder, and run it only if you trust the sender."
            )
            return False
        return True

    def _release(self, item: Transfer) -> None:
        if item.path is not None and item.status is not Status.DONE:
            self._reserved.discard(item.path)

    # --- bookkeeping ------------------------------------------------------------------

    def _changed(self, item: Transfer) -> None:
        self.view.transfer_changed(item)

    def end_all(self, reason: str) -> None:
        """The room is gone for us (left, switched, restarted): every waiting line ends."""
        for item in self.items.values():
            item.live, item.previewing, item.then = False, False, None
            if item.incoming and item.status in (
                Status.OFFERED,
                Status.FETCHING,
                Status.WAITING,
            ):
                item.status, item.reason = Status.GONE, reason
            elif not item.incoming and item.status is Status.SHARING:
                item.status, item.reason = Status.WITHDRAWN, reason
            else:
                continue
            self._changed(item)
        self.items.clear()
        self.max_size = None  # the next room says (FilesAllowed)
        self._offering.clear()
        self._reserved.clear()
        self._previews.clear()

    def pending_names(self) -> Iterable[str]:
        """Names of our offers the room has not answered yet (being hashed or sent)."""
        return self._offering.values()
