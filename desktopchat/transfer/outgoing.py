"""The sender's side of a transfer: what we offer, its fingerprint, reading it for the room.

An offer is made from a file on disk (:func:`fingerprint_file`, run on a
worker thread: hashing 2 GiB takes seconds and the network thread must keep
reading) or from bytes in memory (a pasted picture, :func:`fingerprint_bytes`).
While the room streams it to someone, a :class:`ChunkReader` reads the file at
the offsets the room asks for and notices when it changed since it was hashed
(its size or modification time differ): the receiver is then told ``changed``
instead of getting bytes that would fail its SHA-256 check at the end.

No Tk, no sockets: the transfer engine (``engine.py``) calls these on the
client's network thread, the fingerprint on a worker thread.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "HASH_BLOCK",
    "ChunkReader",
    "FileChanged",
    "Fingerprint",
    "fingerprint_bytes",
    "fingerprint_file",
]

#: Bytes read at once while hashing an offered file: large enough that the
#: hashing runs at the speed of SHA-256, small enough to be no memory at all.
HASH_BLOCK = 1024 * 1024


class FileChanged(Exception):
    """The offered file is no longer what was hashed (str(exc) says what differs)."""


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What an offer promises: the size and SHA-256 of the content.

    ``mtime_ns`` is the file's modification time when it was hashed (None for
    bytes in memory): a later read that finds another size or time refuses.
    """

    size: int
    sha256: str
    mtime_ns: int | None = None


def fingerprint_bytes(data: bytes) -> Fingerprint:
    """The fingerprint of bytes held in memory (a pasted picture)."""
    return Fingerprint(len(data), hashlib.sha256(data).hexdigest())


def fingerprint_file(path: Path, max_size: int | None = None) -> Fingerprint:
    """Hash ``path``; raise OSError if it cannot be read, FileChanged if it changed meanwhile.

    ``max_size``: stop early with ValueError when the file is larger (the
    room's limit): no point hashing 40 GB that the room will refuse.
    """
    with open(path, "rb") as f:
        before = os.fstat(f.fileno())
        if not stat.S_ISREG(before.st_mode):
            raise IsADirectoryError(f"{path} is not a regular file")
        if max_size is not None and before.st_size > max_size:
            raise ValueError(f"{path} has {before.st_size} bytes, more than {max_size}")
        digest = hashlib.sha256()
        buffer = bytearray(HASH_BLOCK)
        view = memoryview(buffer)
        size = 0
        while n := f.readinto(buffer):
            digest.update(view[:n])
            size += n
        after = os.fstat(f.fileno())
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or (
        size != after.st_size
    ):
        raise FileChanged(f"{path} changed while it was being read")
    return Fingerprint(size, digest.hexdigest(), after.st_mtime_ns)


class ChunkReader:
    """Reads an offered file (or bytes) at given offsets for one stream.

    Opened when a stream starts, closed when it ends: no file stays open for
    an offer nobody fetches. :meth:`read` raises :class:`FileChanged` when
    the file is not the one fingerprinted, OSError when it cannot be read.
    """

    def __init__(self, source: Path | bytes, fingerprint: Fingerprint) -> None:
        self.fingerprint = fingerprint
        self._data: bytes | None = None
        self._fd: int | None = None
        if isinstance(source, bytes):
            self._data = source
            return
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            self._check(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _check(self, fd: int) -> None:
        st = os.fstat(fd)
        fp = self.fingerprint
        if st.st_size != fp.size or st.st_mtime_ns != fp.mtime_ns:
            raise FileChanged("the file changed since it was offered")

    def read(self, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes at ``offset`` (fewer only at the end of the file)."""
        length = max(0, min(length, self.fingerprint.size - offset))
        if self._data is not None:
            return self._data[offset : offset + length]
        fd = self._fd
        if fd is None:
            raise ValueError("read() after close()")
        self._check(fd)
        data = (
            os.pread(fd, length, offset) if hasattr(os, "pread") else _seek_read(fd, offset, length)
        )
        if len(data) != length:
            raise FileChanged("the file is shorter than when it was offered")
        return data

    def close(self) -> None:
        """Close the file; idempotent."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _seek_read(fd: int, offset: int, length: int) -> bytes:
    """pread for Windows, which has none: one stream per reader, so seeking is safe."""
    os.lseek(fd, offset, os.SEEK_SET)
    parts: list[bytes] = []
    while length > 0 and (part := os.read(fd, length)):
        parts.append(part)
        length -= len(part)
    return b"".join(parts)
