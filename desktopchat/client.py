"""The client's network thread: one socket in, events out on a ``queue.Queue``.

:class:`ChatClient` owns one background thread (``desktopchat-client``) and at
most one socket at a time. All protocol decisions are the
:class:`~desktopchat.protocol.client.ClientConnection`'s; this thread connects,
moves bytes, runs the timers (connect timeout, the plain-relay grace, the
reconnect backoff) and posts the session's events for the Tk thread. Nothing
here imports Tk. docs/ARCHITECTURE.md has the picture, docs/PROTOCOL.md the
rules ("Reconnecting", "Acknowledgements").

* The Tk thread only calls :meth:`ChatClient.send` and :meth:`ChatClient.close`:
  an append under a lock and one byte on a socketpair the thread's selector
  watches. Neither blocks (``close(timeout=0)`` does not even wait).
* Every request gets a client id (cid). In a protocol-2 room it stays in the
  outbox until the room answers ``Accepted``/``Rejected``; after a reconnect
  the unanswered ones are sent again, and the room recognises the resends.
  In older rooms a request counts as gone once its bytes are all written
  (``Sent``); one cut mid-frame is sent again whole.
* A reconnect asks for what was missed after the last room id seen.
* The first connection's failure is final (``Failed``); after a session was
  established, refusals are retried for :data:`REFUSED_RETRY_WINDOW` seconds
  (the room may still hold our old connection and name), drops for ever with
  backoff with jitter: a random delay up to 1 s, the ceiling doubling to 10 s
  (``backoff.py``), so a room's restart is not met by all its members at once.
* After :meth:`close` the only event posted is the final ``Stopped``.
* Events go on a bounded :class:`~desktopchat.inbox.EventQueue` by default: a
  window that falls behind skips old chat, never answers or room state.
* Text over the room's message limit (announced in its offer, else
  ``max_message``) is refused here: by :meth:`ChatClient.send`, or with a
  ``Rejected`` if it was queued before the room said its limit.

Encryption (docs/PROTOCOL.md, "Encryption (TLS)"): with a ``pin``,
``ask_first_use`` or ``try_tls``, every connection starts with a TLS
handshake, unless this client already found the room speaks none. Without
any of them the client speaks plaintext only, as before encryption existed:
peers that read the name first (the tests' scripted servers, relays) see
exactly the old bytes.

* ``pin`` given: TLS with exactly that certificate, checked before the first
  byte of the name or password is written; anything else (another
  certificate, no TLS) posts ``PinMismatch`` and ends the thread, never
  retried and never a plaintext fallback. Reconnects keep the pin.
* no pin, ``ask_first_use=True`` (the window): a room that speaks TLS gets
  ``Untrusted`` with its fingerprint and the thread ends, nothing sent; the
  window asks and joins again with the pin. A room that speaks no TLS gets a
  plaintext session, ``Connected(encrypted=False)``.
* no pin, ``try_tls=True``: any certificate is taken, and the first one
  becomes this client's pin for its reconnects; a room without TLS gets
  plaintext.
* "Speaks no TLS": it closed or reset the connection on our ClientHello
  (desktopchat rooms before encryption), answered it with something that is
  not TLS, or said nothing for :data:`~desktopchat.session.TLS_PROBE_TIMEOUT`
  seconds (the tutorial's server). Then a new connection goes plaintext at
  once, and so do this client's reconnects: it does not probe again.

One connection's work (TLS, handshake, outbox, reading) is
:class:`~desktopchat.session.Session`'s.

Files (docs/PROTOCOL.md section 14): with ``files=True`` (the default) the
client asks a room that offers files for them; :meth:`ChatClient.offer_file`,
:meth:`~ChatClient.offer_bytes`, :meth:`~ChatClient.fetch_file`,
:meth:`~ChatClient.cancel_fetch` and :meth:`~ChatClient.withdraw_file` hand
work to the :class:`~desktopchat.transfer.engine.TransferEngine`, which the
network thread drives; it posts ``OfferMade``, ``TransferProgress``,
``TransferDone``, ``TransferFailed``, ``TransferWaiting`` and, after each
welcome, ``FilesAllowed``.
"""

from __future__ import annotations

import itertools
import logging
import mimetypes
import queue
import secrets
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from desktopchat import protocol
from desktopchat.backoff import FIRST_CEILING, MAX_BACKOFF, Backoff
from desktopchat.connect import connect_any, describe
from desktopchat.inbox import EventQueue
from desktopchat.net.tls import normalize_fingerprint
from desktopchat.net.tlsbio import ClientTls, NotTls
from desktopchat.protocol import events as ev
from desktopchat.protocol.commands import Command, command_text, parse_command
from desktopchat.protocol.filewire import file_name_problem
from desktopchat.session import LEGACY_GRACE, AskFirst, Dropped, PinRefused, Queued, Session, Stop

__all__ = ["INITIAL_BACKOFF", "LEGACY_GRACE", "MAX_BACKOFF", "REFUSED_RETRY_WINDOW", "ChatClient"]

log = logging.getLogger(__name__)

#: The first reconnect after a drop waits a random time up to this many seconds.
INITIAL_BACKOFF = FIRST_CEILING
#: Seconds of consecutive handshake refusals a client that was already in the
#: room keeps retrying before it gives up: long enough for the server's
#: keepalive to drop our own ghost connection.
REFUSED_RETRY_WINDOW = 120.0


class ChatClient:
    """One user's connection to a room, run by a background thread.

    Create it, call :meth:`start`, drain :attr:`events` on the Tk thread, call
    :meth:`send` to talk and :meth:`close` to leave. With ``reconnect=False``
    a drop posts ``Disconnected`` and the thread ends.
    """

    def __init__(
        self,
        host: str,
        port: int,
        name: str,
        password: str | None = None,
        *,
        events: queue.Queue[ev.Event] | None = None,
        connect_timeout: float = 5.0,
        reconnect: bool = True,
        max_message: int = protocol.DEFAULT_MAX_PAYLOAD,
        pin: str | None = None,
        ask_first_use: bool = False,
        try_tls: bool = False,
        files: bool = True,
        alternatives: Sequence[tuple[str, int]] = (),
    ) -> None:
        self.host = host
        self.port = port
        #: The room's addresses (``alt=``, a Redis room's servers), tried in turn.
        self.addresses = [
            (host, port),
            *((h, p) for h, p in alternatives if (h, p) != (host, port)),
        ]
        #: The current name: the validated one once the thread started, then
        #: whatever the room renamed us to. Reconnects use this name.
        self.name = name
        self.password = password
        # Bounded by default: a window that falls behind skips old chat (inbox.py).
        self.events: queue.Queue[ev.Event] = EventQueue() if events is None else events
        self.connect_timeout = connect_timeout
        self.reconnect = reconnect
        self.max_message = max_message
        #: Names this client to the room across reconnects (protocol 2).
        self.token = secrets.token_hex(16)
        #: Protocol of the current or last session (None before the first welcome).
        self.version: int | None = None
        #: The message limit the room announced at the last welcome (None: it
        #: said none, so ``max_message`` applies).
        self.room_max: int | None = None
        #: The fingerprint the room's certificate must have (module docstring);
        #: set by the first TLS session when none was given.
        self.pin = None if pin is None else normalize_fingerprint(pin)
        if pin is not None and self.pin is None:
            raise ValueError(f"not a SHA-256 fingerprint: {pin!r}")
        self.ask_first_use = ask_first_use
        # Plaintext only: no TLS was asked for, or the room speaks none.
        self._plain = pin is None and not ask_first_use and not try_tls

        self._lock = threading.Lock()
        self._cids = itertools.count(1)  # guarded by _lock
        self._outbox: deque[Queued] = deque()  # guarded by _lock: not yet written
        # Written to a protocol-2 room, not answered yet (network thread only,
        # but read for ``pending``): sent again after a reconnect.
        self._unacked: dict[int, Queued] = {}
        self._resume: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._closed = False  # guarded by _lock; the wakeup sockets are closed
        self._thread: threading.Thread | None = None
        self._connected = False
        # typing() was called: one ``typing`` request goes out between two requests.
        self._typing = False
        # What the thread is doing, for tests and logs: "idle", "connecting",
        # "handshake", "ready", "waiting", "done".
        self._phase = "idle"
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        #: Ask rooms that offer files for them (section 14).
        self.files = files
        # Imported here, not with the module: the window maps before any client exists.
        from desktopchat.transfer.engine import TransferEngine

        #: Offers, fetches and streams; driven by the network thread.
        self.transfers = TransferEngine(self._post, self._new_cid, self._enqueue, self._wake)

    # --- Tk-thread API ----------------------------------------------------

    @property
    def connected(self) -> bool:
        """True from ``Connected`` until the connection ends."""
        return self._connected

    @property
    def message_limit(self) -> int:
        """Largest text :meth:`send` takes: the room's announced limit, else ``max_message``."""
        room_max = self.room_max
        return room_max if room_max is not None else self.max_message

    @property
    def pending(self) -> int:
        """Requests not yet taken by the room (waiting, or sent and not answered)."""
        with self._lock:
            return len(self._outbox) + len(self._unacked)

    def start(self) -> None:
        """Start the network thread. Call once."""
        if self._thread is not None:
            raise RuntimeError("ChatClient.start() called twice")
        if self._stop.is_set():
            raise RuntimeError("ChatClient was closed")
        self._thread = threading.Thread(target=self._run, name="desktopchat-client", daemon=True)
        self._thread.start()

    def send(self, request: Command | str) -> int:
        """Queue one request for the room and return its cid; never blocks.

        A string is read with :func:`~desktopchat.protocol.commands.parse_command`
        (raising ``BadCommand`` for a bad command). Raises
        :class:`~desktopchat.protocol.LocalProtocolError` (nothing queued) if the
        text is over the room's limit (``max_message`` until a room announced
        its own). Requests made before :meth:`start` or while disconnected wait
        in the outbox; after :meth:`close` they are dropped.
        """
        if isinstance(request, str):
            request = parse_command(request)
        size = len(command_text(request).encode("utf-8"))
        limit = self.message_limit
        if size > limit:
            raise protocol.LocalProtocolError(
                f"message of {size} bytes exceeds the limit of {limit}"
            )
        with self._lock:
            cid = next(self._cids)
            if self._stop.is_set():
                log.warning("message sent after close() dropped")
                return cid
            self._outbox.append(replace(request, cid=cid))
        self._wake()
        return cid

    def typing(self) -> None:
        """Tell the room we are typing: one hint, in a protocol-2 room only; never blocks.

        Not queued: while disconnected, or in an older room, it is dropped
        (the caller limits how often: at most once every 3 s while typing).
        """
        if self._connected and self.version == 2 and not self._stop.is_set():
            self._typing = True
            self._wake()

    # --- files (section 14): each call returns at once; events tell the rest -----

    @property
    def files_allowed(self) -> int | None:
        """The room's largest file in bytes (from its last welcome); None: it takes no files."""
        return self.transfers.max_size

    def offer_file(
        self, path: Path, to: str | None = None, *, name: str | None = None, mime: str | None = None
    ) -> int:
        """Offer a file to the room (``to`` None) or one member; return the offer's cid.

        The file is hashed on a worker thread, then offered; ``Accepted`` and
        ``OfferMade`` (with the file id) or ``Rejected`` (with the reason)
        follow. ValueError for a name the room would refuse.
        """
        path = Path(path)
        return self._offer(path, name or path.name, mime, to)

    def offer_bytes(self, data: bytes, name: str, mime: str, to: str | None = None) -> int:
        """Offer bytes held in memory (a pasted picture) as a file called ``name``."""
        return self._offer(bytes(data), name, mime, to)

    def _offer(self, source: Path | bytes, name: str, mime: str | None, to: str | None) -> int:
        problem = file_name_problem(name)
        if problem is not None:
            raise ValueError(problem)
        mime = mime or mimetypes.guess_type(name, strict=False)[0] or "-"
        cid = self._new_cid()
        self.transfers.offer(cid, source, name, mime, to)
        return cid

    def fetch_file(self, file: int, dest: Path | None) -> None:
        """Receive offer ``file`` into ``dest`` (via ``dest.part``; resumed if it exists).

        ``dest`` None: into memory, for files of at most 16 MiB. Progress,
        then ``TransferDone`` (after the SHA-256 check) or ``TransferFailed``.
        """
        self.transfers.fetch(file, None if dest is None else Path(dest))

    def cancel_fetch(self, file: int) -> None:
        """Stop receiving ``file``; its ``.part`` is removed (``TransferFailed`` follows)."""
        self.transfers.cancel(file)

    def withdraw_file(self, file: int) -> None:
        """Withdraw our offer ``file``: nobody can fetch it any more, running streams end."""
        self.transfers.withdraw(file)

    def close(self, timeout: float = 1.0) -> None:
        """Leave the room and end the thread; wait up to ``timeout`` s (0: return at once).

        Idempotent. The thread posts ``Stopped`` when it has ended.
        """
        self._stop.set()
        self._wake()
        thread = self._thread
        if thread is None:
            self._close_wakeup()
            return
        if timeout > 0 and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("network thread did not end within %.1f s", timeout)

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the network thread to end; True if it has (or never started)."""
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return thread is None or not thread.is_alive()
        thread.join(timeout)
        return not thread.is_alive()

    # --- helpers shared by both threads -------------------------------------

    def _wake(self) -> None:
        with self._lock:
            if self._closed:
                return
            try:
                self._wake_w.send(b"\0")
            except (BlockingIOError, InterruptedError):
                pass  # the pipe is full, so the thread is already being woken
            except OSError:
                log.debug("wakeup write failed", exc_info=True)

    def _close_wakeup(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._wake_r.close()
                self._wake_w.close()

    def _drain_wakeup(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        if self._stop.is_set():
            raise Stop

    def _new_cid(self) -> int:
        with self._lock:
            return next(self._cids)

    def _enqueue(self, request: Queued) -> None:
        """Put a file request with its cid in the outbox (network thread)."""
        with self._lock:
            if not self._stop.is_set():
                self._outbox.append(request)

    def _post(self, event: ev.Event) -> None:
        if not self._stop.is_set():  # close() promised silence but for Stopped
            self.events.put(event)

    def _unsent(self) -> tuple[int, ...]:
        with self._lock:
            cids = [*self._unacked, *(r.cid for r in self._outbox if r.cid is not None)]
        return tuple(sorted(cids))

    # --- the network thread ---------------------------------------------------

    def _run(self) -> None:
        try:
            self._main()
        except Stop:
            pass
        except Exception as exc:  # a bug: say so rather than die silently
            log.exception("network thread crashed")
            self._post(ev.Failed(f"Internal error: {exc}", self._unsent()))
        finally:
            self._connected = False
            self._phase = "done"
            self.transfers.close()
            if self._stop.is_set():
                self.events.put(ev.Stopped(self._unsent()))
            self._close_wakeup()

    def _main(self) -> None:
        try:
            self.name = protocol.validate_name(self.name)
        except protocol.InvalidName as exc:
            self._post(ev.Failed(str(exc)))
            return
        backoff = Backoff()  # random delays, so a restarted room is not stormed
        ever_connected = False
        established = False  # a session reached the welcome
        refused_since: float | None = None  # start of the current run of refusals
        where = f"{self.host}:{self.port}"
        while True:
            self._phase = "connecting"
            try:
                sock = self._connect()
            except OSError as exc:
                reason = describe(exc)
                log.info("connect to %s failed: %s", where, reason)
                if not ever_connected or not self.reconnect:
                    self._post(ev.Failed(f"Could not connect to {where}: {reason}", self._unsent()))
                    return
            else:
                ever_connected = True
                tls = None if self._plain else ClientTls(sock)
                session = Session(self, sock, tls)
                try:
                    session.run()
                except NotTls as exc:  # only without a pin (session.py)
                    log.info("%s speaks no TLS (%s): connecting in plaintext", where, exc)
                    self._plain = True
                    continue
                except (PinRefused, AskFirst) as exc:
                    self._post(self._trust_event(exc))
                    self._stop.set()  # the thread ends; Stopped follows
                    return
                except Dropped as exc:
                    if session.welcomed:
                        established = True
                        refused_since = None
                        backoff.reset()
                    if exc.refused:
                        now = time.monotonic()
                        refused_since = refused_since or now
                        if (
                            not established
                            or not self.reconnect
                            or now - refused_since >= REFUSED_RETRY_WINDOW
                        ):
                            self._post(ev.Failed(str(exc), self._unsent()))
                            return
                        log.info("%s refused the reconnect (will retry): %s", where, exc)
                    else:
                        log.info("connection to %s lost: %s", where, exc)
                    self._post(ev.Disconnected(str(exc)))
                finally:
                    self._connected = False
                    self.transfers.connection_lost()
                    sock.close()
                if not self.reconnect:
                    return
            delay = backoff.next()
            self._post(ev.Reconnecting(delay))
            self._phase = "waiting"
            self._sleep(delay)

    def _trust_event(self, exc: PinRefused | AskFirst) -> ev.Event:
        if isinstance(exc, AskFirst):
            log.info("%s:%d shows certificate %s: asking", self.host, self.port, exc.fingerprint)
            return ev.Untrusted(self.host, self.port, exc.fingerprint)
        assert self.pin is not None
        log.warning(
            "%s:%d did not show the pinned certificate %s (it showed %s): nothing sent",
            self.host,
            self.port,
            self.pin,
            exc.actual or "no TLS at all",
        )
        return ev.PinMismatch(self.host, self.port, self.pin, exc.actual)

    def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` or until close(); sends during the wait just queue."""
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as sel:
            sel.register(self._wake_r, selectors.EVENT_READ)
            while (remaining := deadline - time.monotonic()) > 0:
                if sel.select(remaining):
                    self._drain_wakeup()

    def _connect(self) -> socket.socket:
        """A connected non-blocking socket (OSError / Stop): the current address,
        else the next of ``addresses`` that answers, which becomes the current one."""
        start = self.addresses.index((self.host, self.port))
        last: OSError = ConnectionRefusedError()
        for i in range(len(self.addresses)):
            host, port = self.addresses[(start + i) % len(self.addresses)]
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                self._drain_wakeup()  # the lookup may have taken a while
                sock = connect_any(infos, self.connect_timeout, self._wake_r, self._drain_wakeup)
            except OSError as exc:
                last = exc
                continue
            self.host, self.port = host, port  # where the next reconnect starts
            return sock
        raise last
