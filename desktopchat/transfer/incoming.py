"""The receiver's side of a transfer: where the bytes go, and the SHA-256 check at the end.

A :class:`PartFile` writes into ``DEST.part`` next to the destination the
user chose, resuming from the bytes a ``.part`` already holds (a transfer
cut by a reconnect, or by quitting, goes on where it stopped). The SHA-256
is computed as the bytes arrive; a ``.part`` found on disk has its prefix
hashed once by :meth:`PartFile.hash_prefix`, which the engine runs on a
worker thread before it asks for the rest. Only after the whole content
matches the offer's SHA-256 is ``DEST.part`` renamed to DEST, and never over
an existing file: a name taken meanwhile becomes "name (1).ext". A
mismatch removes the ``.part``: nothing half-checked is ever shown complete.

A :class:`MemorySink` keeps a small file (at most :data:`MAX_IN_MEMORY`
bytes: pictures shown as thumbnails) in memory instead; nothing touches
the disk.

No Tk, no sockets: the engine calls these on the client's network thread.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from pathlib import Path

__all__ = [
    "MAX_IN_MEMORY",
    "ChecksumMismatch",
    "MemorySink",
    "PartFile",
    "Sink",
    "part_path",
]

#: Largest file fetched into memory (``fetch_file(file, None)``): pictures
#: shown in the transcript; anything larger goes to disk.
MAX_IN_MEMORY = 16 * 1024 * 1024

#: Bytes read at once when hashing the prefix of a resumed ``.part``.
_HASH_BLOCK = 1024 * 1024


class ChecksumMismatch(Exception):
    """All the bytes arrived, but their SHA-256 is not the offer's."""


def part_path(dest: Path) -> Path:
    """Where the bytes of ``dest`` are written until they are checked."""
    return dest.with_name(dest.name + ".part")


class Sink:
    """Where an incoming file's bytes go; :attr:`written` bytes are in (and hashed)."""

    def __init__(self, size: int, sha256: str) -> None:
        self.size = size
        self.sha256 = sha256
        self.written = 0
        self._digest = hashlib.sha256()

    @property
    def complete(self) -> bool:
        """All ``size`` bytes are in."""
        return self.written >= self.size

    def write(self, data: bytes | memoryview) -> None:
        """Append the next bytes (the caller checked they come at :attr:`written`)."""
        if self.written + len(data) > self.size:
            raise ValueError("more bytes than the offer's size")
        self._store(data)
        self._digest.update(data)
        self.written += len(data)

    def _verify(self) -> None:
        if self._digest.hexdigest() != self.sha256:
            self.discard()
            raise ChecksumMismatch("the received bytes do not have the offered SHA-256")

    def _store(self, data: bytes | memoryview) -> None:
        raise NotImplementedError

    def finish(self) -> Path | bytes:
        """Check the SHA-256 and hand over the result; ChecksumMismatch discards it."""
        raise NotImplementedError

    def discard(self) -> None:
        """Throw away what was received (cancel, failure)."""
        raise NotImplementedError

    def close(self) -> None:
        """Stop receiving but keep what is there (a ``.part`` for a later resume)."""


class MemorySink(Sink):
    """A small file received into memory."""

    def __init__(self, size: int, sha256: str) -> None:
        if size > MAX_IN_MEMORY:
            raise ValueError(f"{size} bytes is more than {MAX_IN_MEMORY} to keep in memory")
        super().__init__(size, sha256)
        self._data = bytearray()

    def _store(self, data: bytes | memoryview) -> None:
        self._data += data

    def finish(self) -> bytes:
        """The checked bytes; raises ChecksumMismatch (and forgets them) if they do not match."""
        self._verify()
        return bytes(self._data)

    def discard(self) -> None:
        self._data = bytearray()
        self.written = 0
        self._digest = hashlib.sha256()


class PartFile(Sink):
    """``dest.part`` being written; renamed to ``dest`` once checked.

    Construction opens (or creates) the ``.part``: OSError if that is not
    possible. A ``.part`` longer than ``size`` cannot be ours and starts
    again from 0. :attr:`written` is then the prefix already there, which
    :meth:`hash_prefix` must hash before anything is appended.
    """

    def __init__(self, dest: Path, size: int, sha256: str) -> None:
        super().__init__(size, sha256)
        self.dest = dest
        self.part = part_path(dest)
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
        self._fd: int | None = os.open(self.part, flags, 0o644)
        try:
            existing = os.fstat(self._fd).st_size
            if existing > size:
                os.ftruncate(self._fd, 0)
                existing = 0
            os.lseek(self._fd, existing, os.SEEK_SET)
        except BaseException:
            os.close(self._fd)
            raise
        self.written = existing
        #: True while the prefix on disk still has to be hashed.
        self.needs_hashing = existing > 0

    def hash_prefix(self) -> None:
        """Hash the ``written`` bytes already in the ``.part`` (a worker thread's job).

        Reads through its own descriptor, so the network thread's one is not
        moved. Raises OSError if the file cannot be read.
        """
        digest = hashlib.sha256()
        left = self.written
        with open(self.part, "rb") as f:
            while left > 0:
                block = f.read(min(_HASH_BLOCK, left))
                if not block:
                    raise OSError(errno.EIO, f"{self.part} is shorter than it was")
                digest.update(block)
                left -= len(block)
        self._digest = digest
        self.needs_hashing = False

    def _store(self, data: bytes | memoryview) -> None:
        fd = self._fd
        if fd is None:
            raise ValueError("write() after the file was closed")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]

    def finish(self) -> Path:
        """Check the SHA-256, then rename the ``.part`` to its final name; return that path.

        Raises ChecksumMismatch (the ``.part`` removed), or OSError if the
        rename fails (the ``.part`` stays: the bytes are good).
        """
        if self.needs_hashing:
            raise ValueError("finish() before the prefix was hashed")
        self._close()
        self._verify()
        return _rename_without_overwriting(self.part, self.dest)

    def discard(self) -> None:
        self._close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.part)

    def close(self) -> None:
        """Stop writing but keep the ``.part`` for a later resume."""
        self._close()

    def _close(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _rename_without_overwriting(part: Path, dest: Path) -> Path:
    """Give ``part`` the name ``dest``, or "dest (1)" ... if something took that name meanwhile."""
    for _ in range(100):
        try:
            os.link(part, dest)  # fails if dest exists: never overwrites
        except FileExistsError:
            dest = _next_free(dest)
            continue
        except OSError:  # a file system without hard links
            if dest.exists():
                dest = _next_free(dest)
                continue
            os.replace(part, dest)
            return dest
        os.unlink(part)
        return dest
    raise FileExistsError(errno.EEXIST, f"no free name next to {dest}")


def _next_free(dest: Path) -> Path:
    from desktopchat.files.names import unique_path

    return unique_path(dest.parent, dest.name)
