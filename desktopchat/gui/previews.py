"""Pictures fetched into memory for their thumbnails: the preview steps of Transfers (no Tk).

:class:`PreviewSteps` is a mixin of :class:`~.transfers.Transfers`. A
picture offered to us (``transferrules.wants_preview``) waits in a queue;
at most :data:`~.transferrules.PREVIEWS_AT_ONCE` are fetched at once (the
room lets a member run 4 fetches, and the user's own Save/Open need one),
the bytes held stay under :data:`~.transferrules.PREVIEW_BUDGET` (the oldest
are dropped: their thumbnails stay, Save fetches again). A Save or Open
chosen while the picture loads is carried out with its bytes when they come,
or as an ordinary fetch when the preview failed.
"""

from __future__ import annotations

import logging
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from desktopchat.gui.transferrules import PREVIEW_BUDGET, PREVIEWS_AT_ONCE, Status, Transfer

if TYPE_CHECKING:
    from desktopchat.client import ChatClient

__all__ = ["PreviewSteps"]

log = logging.getLogger(__name__)


class PreviewSteps:
    """Fetching pictures into memory (a mixin of Transfers)."""

    if TYPE_CHECKING:  # provided by Transfers
        items: dict[int, Transfer]
        _previews: deque[Transfer]
        _held: deque[Transfer]

        def _client(self) -> ChatClient | None: ...
        def _changed(self, item: Transfer) -> None: ...
        def _write(self, item: Transfer, path: Path, *, open_after: bool) -> None: ...
        def _write_bytes(
            self, item: Transfer, data: bytes, path: Path, *, open_after: bool
        ) -> None: ...

    def _queue_preview(self, item: Transfer) -> None:
        self._previews.append(item)
        self._next_previews()

    def _next_previews(self) -> None:
        client = self._client()
        running = sum(1 for i in self.items.values() if i.previewing)
        while self._previews and running < PREVIEWS_AT_ONCE and client is not None:
            item = self._previews.popleft()
            if item.status is not Status.OFFERED or not item.live:
                continue
            item.previewing = True
            running += 1
            client.fetch_file(item.file, None)
            self._changed(item)

    def _unpreview(self, item: Transfer) -> None:
        if item in self._previews:
            self._previews.remove(item)
        if item.previewing:
            item.previewing = False
            client = self._client()
            if client is not None:
                client.cancel_fetch(item.file)
            self._next_previews()

    def _hold(self, item: Transfer, data: bytes) -> None:
        item.data = data
        self._held.append(item)
        while sum(len(i.data or b"") for i in self._held) > PREVIEW_BUDGET and len(self._held) > 1:
            self._held.popleft().data = None  # its thumbnail stays; Save fetches again

    def _preview_done(self, item: Transfer, data: bytes) -> None:
        item.previewing = False
        self._hold(item, data)
        self._changed(item)  # the thumbnail
        if item.then is not None:
            path, open_after = item.then
            item.then = None
            self._write_bytes(item, data, path, open_after=open_after)
        self._next_previews()

    def _preview_failed(self, item: Transfer, reason: str) -> None:
        item.previewing = False
        log.info("no preview of file %s: %s", item.file, reason)
        if item.then is not None:  # the user chose meanwhile: fetch it to disk
            path, open_after = item.then
            item.then, item.status = None, Status.OFFERED
            self._write(item, path, open_after=open_after)
        else:
            self._changed(item)
        self._next_previews()
