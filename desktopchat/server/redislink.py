"""A room's link to Redis: two threads, so the server's loop never waits on Redis.

:class:`RedisLink` is opened once at start (``open_link``: that part may block,
before the loop runs): it makes or reads the room's epoch, the newest stream
entries (for the room's memory), the names held on other servers. Then:

* ``desktopchat-redis-out`` runs what the loop queued (:meth:`RedisLink.publish`:
  a ``PUBLISH`` script per request, pipelined) and hands each answer back; once
  a second it refreshes this server's heartbeat and buries servers whose
  heartbeat expired (``BURY``).
* ``desktopchat-redis-in`` waits in a blocking ``XREAD`` on the room's stream
  and hands every entry back, in stream order.

"Hands back" is one deque (appends are atomic) and one wakeup byte
(``wake``); the loop calls :meth:`RedisLink.take` and never blocks. Both
threads ride out a Redis that is gone for a while (they retry, backing off to
a second); when it comes back without the room's epoch (restarted with
persistence off: everything it held is lost) the first thread to notice makes
a new epoch with ids going on above ours, and the loop is told (``("epoch",
EPOCH, BASE)``). The ``redis`` package is imported here only: the module is
imported lazily, by ``--redis``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktopchat.server import redisscripts

__all__ = ["MAXLEN", "Answer", "RedisLink", "RoomState", "open_link"]

log = logging.getLogger(__name__)

#: Entries the stream keeps (about; trimmed with ``MAXLEN ~``): far more than a
#: server's memory of 1,000 events, so a slow server rarely finds a hole.
MAXLEN = 10_000
#: A server is dead when its heartbeat is this old (ms); it beats every second.
ALIVE_MS = 3000
#: Requests waiting for Redis at most; beyond, a request is refused at once.
QUEUE_LIMIT = 20_000
#: What a server reads from the stream at start (its memory holds 1,000 events).
START_EVENTS = 1000

Answer = Callable[[list[str]], None]


@dataclass
class RoomState:
    """What the link found at start (or after Redis lost the room)."""

    epoch: str
    base: int
    secret: bytes
    entries: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)
    servers: dict[str, str] = field(default_factory=dict)


def _client(url: str) -> Any:
    import redis  # the optional extra: pip install desktopchat[redis]

    return redis.Redis.from_url(
        url, decode_responses=True, socket_connect_timeout=2.0, socket_timeout=5.0
    )


def _stream_id(raw: str) -> int:
    return int(raw.split("-", 1)[0])


class RedisLink:
    """The room ``room`` in the Redis at ``url``, for one server. See the module docstring."""

    def __init__(self, url: str, room: str, sid: str | None = None) -> None:
        self.url = url
        self.prefix = f"desktopchat:{room}:"
        #: This server's id in Redis (a fresh one per process).
        self.sid = sid or secrets.token_hex(6)
        self.epoch = ""
        self.secret = b""
        #: The addresses this server is joined at ("HOST:PORT,..."), for invitations.
        self.addresses = ""
        self._out: queue.Queue[tuple[list[str], Answer | None]] = queue.Queue(QUEUE_LIMIT)
        self._in: deque[tuple[Any, ...]] = deque()
        self._wake: Callable[[], None] = lambda: None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last_read = 0  # the newest stream id read (reader thread)
        self._seed = 0  # ids go on above this if Redis lost the room
        self._writer = _client(url)
        self._reader = _client(url)
        self._scripts: dict[str, Any] = {}

    # --- start (may block: before the loop runs) ---------------------------------------

    def load(self) -> RoomState:
        """Make or read the room's epoch; the newest entries, the names, the servers."""
        r = self._writer
        for name in ("ENSURE", "PUBLISH", "BURY"):
            self._scripts[name] = r.register_script(getattr(redisscripts, name))
        epoch, base = self._ensure(r)
        p = self.prefix
        secret = (r.get(p + "secret") or "").encode()
        raw = r.xrevrange(p + "stream", "+", "-", count=START_EVENTS)
        entries = [(_stream_id(i), fields) for i, fields in reversed(raw)]
        names = {k: v.split("\t") for k, v in r.hgetall(p + "names").items()}
        servers = dict(r.hgetall(p + "servers"))
        self._last_read = entries[-1][0] if entries else int(r.get(p + "id") or 0)
        self._seed = self._last_read
        self.epoch, self.secret = epoch, secret
        return RoomState(epoch, base, secret, entries, names, servers)

    def _ensure(self, r: Any) -> tuple[str, int]:
        new, key = secrets.token_hex(6), secrets.token_hex(16)
        seed = max(self._seed, self._last_read)
        epoch, base = self._scripts["ENSURE"](args=[self.prefix, new, seed, key], client=r)
        return str(epoch), int(base)

    def tag(self, token: str) -> str:
        """A client token's tag: the same on every server of the room."""
        return hmac.new(self.secret, token.encode(), hashlib.sha256).hexdigest()[:32]

    def start(self, wake: Callable[[], None], addresses: str) -> None:
        """Register this server and start both threads; ``wake`` wakes the loop."""
        self._wake, self.addresses = wake, addresses
        self._beat(self._writer)
        for name, target in (("out", self._write_loop), ("in", self._read_loop)):
            thread = threading.Thread(target=target, name=f"desktopchat-redis-{name}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def servers(self) -> dict[str, str]:
        """Server id -> addresses of the servers registered now (blocks: start only)."""
        return dict(self._writer.hgetall(self.prefix + "servers"))

    # --- the loop's side (never blocks) ----------------------------------------------------

    def publish(self, args: list[str], answer: Answer | None) -> bool:
        """Queue a PUBLISH (``args`` from ARGV[4] on); False: too much waits already."""
        try:
            self._out.put_nowait((args, answer))
        except queue.Full:
            return False
        return True

    def take(self) -> list[tuple[Any, ...]]:
        """What the threads handed back since the last call, in order."""
        items, pop = [], self._in.popleft
        while self._in:
            items.append(pop())
        return items

    def close(self) -> None:
        """Stop both threads and leave Redis (our names are buried by the survivors)."""
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._out.put_nowait((["stop"], None))  # wakes the writer at once
        if self._threads:
            self._threads[0].join(5.0)
        # A clean stop: our members' leaves now, not after the heartbeat expires.
        # Redis may be gone: then the survivors bury us when it is back.
        with contextlib.suppress(Exception):
            self._writer.delete(self.prefix + "alive:" + self.sid)
            args = [self.prefix, self.epoch, self.sid, str(MAXLEN), repr(time.time())]
            self._scripts["BURY"](args=args, client=self._writer)
        for client in (self._writer, self._reader):
            with contextlib.suppress(Exception):  # a half-broken connection: nothing to do
                client.close()

    def _hand(self, item: tuple[Any, ...]) -> None:
        self._in.append(item)
        self._wake()

    # --- desktopchat-redis-out -------------------------------------------------------------

    def _write_loop(self) -> None:
        beat = time.monotonic()
        while not self._stop.is_set():
            try:
                first = self._out.get(timeout=max(0.0, beat + 1.0 - time.monotonic()))
            except queue.Empty:
                first = None
            batch = [] if first is None else [first]
            while batch and len(batch) < 256:
                try:
                    batch.append(self._out.get_nowait())
                except queue.Empty:
                    break
            batch = [item for item in batch if item[0] != ["stop"]]
            while not self._stop.is_set():
                try:
                    if batch:
                        self._run(batch)
                    if time.monotonic() >= beat + 1.0:
                        beat = time.monotonic()
                        self._beat(self._writer)
                        self._sweep(self._writer)
                    break
                except Exception as exc:  # Redis gone or restarted: wait, then again
                    if not self._retry(exc):
                        batch = []  # the room has a new epoch: what waited is void

    def _run(self, batch: list[tuple[list[str], Answer | None]]) -> None:
        pipe = self._writer.pipeline(transaction=False)
        head = [self.prefix, self.epoch, str(MAXLEN)]
        for args, _ in batch:
            self._scripts["PUBLISH"](args=head + args, client=pipe)
        results = pipe.execute(raise_on_error=True)
        for (_, answer), result in zip(batch, results, strict=True):
            if answer is not None:
                self._hand(("answer", answer, [str(x) for x in result]))

    def _beat(self, r: Any) -> None:
        p = self.prefix
        r.set(p + "alive:" + self.sid, "1", px=ALIVE_MS)
        r.hset(p + "servers", self.sid, self.addresses)

    def _sweep(self, r: Any) -> None:
        p = self.prefix
        for sid in r.hkeys(p + "servers"):
            if sid != self.sid and not r.exists(p + "alive:" + sid):
                args = [p, self.epoch, sid, str(MAXLEN), repr(time.time())]
                if gone := self._scripts["BURY"](args=args, client=r):
                    log.info("server %s stopped beating: %d of its members left", sid, gone)

    def _retry(self, exc: Exception) -> bool:
        """After a failure: wait until Redis answers; False if it lost the room (new epoch)."""
        delay = 0.05
        log.warning("Redis: %s (retrying)", exc)
        while not self._stop.wait(delay):
            try:
                epoch, base = self._ensure(self._writer)
            except Exception:
                delay = min(1.0, delay * 2)
                continue
            if epoch != self.epoch:
                self._new_epoch(epoch, base)
                return False
            log.info("Redis answers again")
            return True
        return True

    def _new_epoch(self, epoch: str, base: int) -> None:
        with _EPOCH_LOCK:
            if epoch == self.epoch:
                return
            log.warning("Redis lost the room (restarted without its data): new epoch %s", epoch)
            self.epoch = epoch
            self._last_read = base  # the new stream starts above the base
            self.secret = (self._writer.get(self.prefix + "secret") or "").encode()
            self._hand(("epoch", epoch, base))

    # --- desktopchat-redis-in --------------------------------------------------------------

    def _read_loop(self) -> None:
        key = self.prefix + "stream"
        while not self._stop.is_set():
            try:
                got = self._reader.xread({key: f"{self._last_read}-0"}, count=1000, block=500)
            except Exception as exc:
                if self._stop.is_set():
                    return
                self._reader_retry(exc)
                continue
            for _, entries in got or ():
                for raw_id, fields in entries:
                    self._last_read = _stream_id(raw_id)
                    self._in.append(("entry", self._last_read, fields))
                self._wake()

    def _reader_retry(self, exc: Exception) -> None:
        delay = 0.05
        while not self._stop.wait(delay):
            try:
                epoch = self._reader.get(self.prefix + "epoch")
            except Exception:
                delay = min(1.0, delay * 2)
                continue
            if epoch != self.epoch:  # the writer makes the new one; read on from there
                self._seed = max(self._seed, self._last_read)
                try:
                    epoch, base = self._ensure(self._reader)
                except Exception:
                    continue
                self._new_epoch(epoch, base)
            return
        del exc


_EPOCH_LOCK = threading.Lock()


def open_link(url: str, room: str) -> tuple[RedisLink, RoomState]:
    """Connect to the room in Redis; raises ValueError with one line for the user."""
    try:
        import redis  # noqa: F401
    except ImportError:
        raise ValueError(
            "--redis needs the redis package: pip install 'desktopchat[redis]'"
        ) from None
    try:
        link = RedisLink(url, room)
        return link, link.load()
    except ValueError as exc:
        raise ValueError(f"--redis {url}: {exc}") from None
    except OSError as exc:
        raise ValueError(f"cannot reach Redis at {url}: {exc}") from None
    except Exception as exc:  # redis.ConnectionError and friends
        raise ValueError(f"cannot use Redis at {url}: {exc}") from None
