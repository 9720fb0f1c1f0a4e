"""The zaf client: a connection to a broker, actor handles and futures.

One :class:`Client` is one DEALER connection to a zaf broker, spoken in the
ZAF1 protocol (docs/PROTOCOL.md). Every public method may be called from
any thread; answers come back through :class:`ObjectRef` futures
(thread-safe, and awaitable from asyncio).

The socket is used by one thread at a time, whoever holds the client's
socket lock. A background I/O thread holds it while anything is pending
that no caller is reading, and parks (lets go of it) when nothing is. A
request made while the I/O thread is parked is sent by the calling thread
itself, and a thread that waits on a future then reads the socket itself
("leads") until its answer comes: a sync call costs no thread switch.
Requests made while the socket is busy go to the I/O thread through a
locked queue and a wake-up pipe, which also makes a leader hand the socket
back. The I/O thread alone dials, closes, reads the disconnect monitor and
sends HEARTBEATs while the client is idle; it notices a lost broker (BYE, a
dropped connection, or three heartbeat intervals without a word) and ends
every pending future with :class:`BrokerLostError`. The next request dials
again.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import itertools
import json
import logging
import os
import socket as _socket
import struct
import sys
import threading
import time
import weakref
from typing import (Any, Callable, Deque, Dict, List, Optional,
                    Sequence, Set, Tuple, Union)

import zmq
import zmq.utils.z85
from json.decoder import JSONDecoder
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]

from .errors import (BadArgsError, BrokerLostError, InterruptedError,
                     OverloadedError, ProtocolError, TimeoutError, UnauthorizedError,
                     ZafError)

__all__ = ["Client", "ObjectRef", "ActorHandle", "ActorMethod", "Blob",
           "SecurityOptions"]

log = logging.getLogger("zaf")

SIGNATURE = b"ZAF1"
_pack_corr = struct.Struct(">Q").pack
#: Attachment frames a CALL, TELL, SUBMIT or REPLY may carry.
MAX_BLOBS = 16
#: CURVE handshake timeout (ZMQ_HANDSHAKE_IVL), as the C programs set it
HANDSHAKE_MS = 5000
#: Heartbeat interval until the broker's WELCOME says otherwise.
DEFAULT_HEARTBEAT_MS = 1000
#: Intervals without a word from the broker after which it is lost.
HEARTBEAT_MISSES = 3
#: Socket high-water marks, as the broker and the C client use.
HWM = 100_000

#: What travels as a binary attachment rather than as JSON.
Blob = Union[bytes, bytearray, memoryview, zmq.Frame]
_BLOB_TYPES = (bytes, bytearray, memoryview, zmq.Frame)

_EMPTY = b""
_NOBLOCK = int(zmq.NOBLOCK)
_MORE_NOBLOCK = int(zmq.SNDMORE) | _NOBLOCK
_RCVMORE = int(zmq.RCVMORE)
_POLLIN = int(zmq.POLLIN)
_EVENTS = int(zmq.EVENTS)
# The socket methods without pyzmq's Python layer (which adds about a
# microsecond to each frame sent)
_zmq_send = zmq.backend.Socket.send
_zmq_recv = zmq.backend.Socket.recv
_zmq_get = zmq.backend.Socket.get
#: Frames smaller than this are copied (cheaper than a zero-copy Frame)
_COPY_BELOW = 65536
#: Frames of an answer received as bytes; later ones (REPLY attachments)
#: as zmq.Frame, without a copy
_COPIED_FRAMES = 6



# libzmq's ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH (zmq.h)
_MECHANISM_MISMATCH = 0x11000002

class SecurityOptions:
    """CURVE keys for a connection to a broker started with ``--keys``
    (docs/SECURITY.md).

    ``broker_key`` is the broker's public certificate (``broker.cert``),
    ``key`` our own secret certificate (``NAME.cert_secret``), both czmq
    certificate files as ``zaf keygen`` writes them; ``key_dir`` a key
    directory holding ``broker.cert`` and ``driver.cert_secret`` (or, for
    ``role="cli"``, ``admin.cert_secret`` when there is one). What is not
    given here is looked up as the C client does: ``$ZAF_BROKER_KEY`` and
    ``$ZAF_KEY``, then ``$ZAF_KEY_DIR`` (else ``~/.config/zaf/keys``).

    A ``Client`` made without ``security`` uses the same lookup, so the
    environment alone is enough. The link uses CURVE when the address is
    ``tcp://`` and a key is named (here or in the environment) or the key
    directory has ``broker.cert``; otherwise it is plaintext. A key that is
    named but cannot be read raises :class:`zaf.BadArgsError`.
    """

    __slots__ = ("broker_key", "key", "key_dir")

    def __init__(self, broker_key: Optional[Union[str, "os.PathLike[str]"]] = None,
                 key: Optional[Union[str, "os.PathLike[str]"]] = None,
                 key_dir: Optional[Union[str, "os.PathLike[str]"]] = None) -> None:
        self.broker_key = os.fspath(broker_key) if broker_key is not None else None
        self.key = os.fspath(key) if key is not None else None
        self.key_dir = os.fspath(key_dir) if key_dir is not None else None

    def __repr__(self) -> str:
        return (f"SecurityOptions(broker_key={self.broker_key!r}, key={self.key!r}, "
                f"key_dir={self.key_dir!r})")

    def files(self, role: str = "driver") -> Optional[Tuple[str, str]]:
        """The (broker certificate, own secret certificate) files to use,
        or None for plaintext (nothing named and no ``broker.cert`` in the
        key directory)."""
        broker_env = os.environ.get("ZAF_BROKER_KEY", "")
        own_env = os.environ.get("ZAF_KEY", "")
        key_dir = self.key_dir or os.environ.get("ZAF_KEY_DIR", "")
        if not key_dir:
            key_dir = os.path.join(os.environ.get("HOME", "."), ".config", "zaf", "keys")
        named = bool(self.broker_key or self.key or self.key_dir or broker_env or own_env)
        broker = self.broker_key or broker_env or os.path.join(key_dir, "broker.cert")
        own = self.key or own_env
        if not own:
            name = "admin" if role == "cli" else "driver"
            own = os.path.join(key_dir, f"{name}.cert_secret")
            if role == "cli" and not os.path.exists(own):
                own = os.path.join(key_dir, "driver.cert_secret")
        if not named and not os.path.exists(broker):
            return None
        return broker, own

    def curve_keys(self, role: str = "driver") -> Optional[Tuple[bytes, bytes, bytes]]:
        """(broker public, our public, our secret) z85 keys, or None for
        plaintext. Raises :class:`zaf.BadArgsError` for a key named but not
        readable."""
        files = self.files(role)
        if files is None:
            return None
        broker_file, own_file = files
        try:
            server_public, _ = read_cert(broker_file)
        except (OSError, ValueError) as exc:
            raise BadArgsError(f"cannot read the broker's key {broker_file}: {exc}") from None
        try:
            # As czmq's zcert_load: FILE_secret first, then FILE
            secret_file = own_file + "_secret"
            public, secret = read_cert(secret_file if os.path.exists(secret_file) else own_file)
        except (OSError, ValueError) as exc:
            raise BadArgsError(f"cannot read our key {own_file}: {exc}") from None
        if secret is None:
            raise BadArgsError(f"no secret key in {own_file}")
        return server_public, public, secret


_ZERO_KEY = b"0" * 40


def read_cert(path: str) -> Tuple[bytes, Optional[bytes]]:
    """The z85 public and secret keys (secret None if absent) of a czmq
    certificate file: ZPL text with a ``curve`` section holding
    ``public-key = "..."`` and, in a secret certificate,
    ``secret-key = "..."``."""
    keys: Dict[str, bytes] = {}
    section = ""
    with open(path, "r", encoding="utf-8", errors="replace") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.rstrip("\r\n")
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            if not line[0].isspace():
                section = text.split("=", 1)[0].strip()
                continue
            if section != "curve" or "=" not in text:
                continue
            name, value = (part.strip() for part in text.split("=", 1))
            if "#" in value and not value.startswith(("\"", "'")):
                value = value.split("#", 1)[0].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1]
            if name in ("public-key", "secret-key"):
                key = value.encode("ascii", "replace")
                if len(key) != 40:
                    raise ValueError(f"line {number}: {name} is not a 40-character z85 key")
                try:
                    zmq.utils.z85.decode(key)
                except (ValueError, KeyError, IndexError):
                    raise ValueError(f"line {number}: {name} is not z85") from None
                keys[name] = key
    if "public-key" not in keys:
        raise ValueError("not a czmq certificate (no curve public-key)")
    secret = keys.get("secret-key")
    if secret == _ZERO_KEY:
        secret = None
    return keys["public-key"], secret


# ---------------------------------------------------------------------------
# Futures

class ObjectRef:
    """The future answer of a request (like Ray's ``ObjectRef``).

    Wait for it with :meth:`result`, ``zaf.get(ref)`` or ``zaf.wait``; in a
    coroutine, ``await ref``. It is resolved exactly once, from the client's
    thread that reads the answer: with a value, or with a :class:`ZafError` (the remote error,
    ``BrokerLostError`` if the connection ended first). A wait that times
    out raises :class:`zaf.TimeoutError` and leaves the future pending.
    """

    # No lock or Event of its own: one lock for all futures (_FUTURES)
    # guards resolution and the lists of waiters and callbacks; a thread
    # that has to block allocates a plain lock as its waiter then.
    __slots__ = ("_client", "_kind", "_done", "_value", "_error", "_waiters",
                 "_callbacks", "_abandoned", "_detached", "__weakref__")

    def __init__(self, client: Optional["Client"], kind: str) -> None:
        self._client = client
        self._kind = kind
        self._done = False
        self._value: Any = None
        self._error: Optional[ZafError] = None
        self._waiters: Optional[List[Any]] = None
        self._callbacks: Optional[List[Callable[["ObjectRef"], None]]] = None
        self._abandoned = False
        self._detached = False

    def done(self) -> bool:
        """True once the answer (or an error) has arrived."""
        if self._done:
            return True
        if self._client is not None and self._client._parked:
            self._client._attend()
        return self._done

    def result(self, timeout: Optional[float] = None) -> Any:
        """The value, waiting at most ``timeout`` seconds (None: no limit).

        Raises the request's :class:`ZafError`, or :class:`zaf.TimeoutError`
        if it is still pending after ``timeout``.
        """
        if not self._done and not self._wait(timeout):
            raise TimeoutError(f"no answer within {timeout} s")
        if self._error is not None:
            raise self._error
        return self._value

    def exception(self, timeout: Optional[float] = None) -> Optional[ZafError]:
        """The error the request ended with, or None if it succeeded."""
        if not self._done and not self._wait(timeout):
            raise TimeoutError(f"no answer within {timeout} s")
        return self._error

    def _wait(self, timeout: Optional[float]) -> bool:
        """Block until resolved or ``timeout`` passes; True if resolved."""
        client = self._client
        if client is not None and client._parked:
            # Lead: read the answer on this thread
            deadline = None if timeout is None else time.monotonic() + timeout
            client._lead(self, deadline)
            if self._done:
                return True
            if deadline is not None:
                timeout = deadline - time.monotonic()
        waiter = _allocate_lock()
        waiter.acquire()
        with _FUTURES:
            if self._done:
                return True
            if self._waiters is None:
                self._waiters = [waiter]
            else:
                self._waiters.append(waiter)
        if client is not None:
            client._attend()
        if timeout is None:
            got = waiter.acquire()
        elif timeout > 0:
            got = waiter.acquire(True, timeout)
        else:
            got = False
        if not got:
            with _FUTURES:
                if self._waiters is not None and waiter in self._waiters:
                    self._waiters.remove(waiter)
        return self._done

    def add_done_callback(self, fn: Callable[["ObjectRef"], None]) -> None:
        """Call ``fn(ref)`` once the future is resolved (at once if it is).

        The callback runs on the thread that reads the answer (the client's
        I/O thread, or a thread waiting in ``result``): keep it short and
        do not wait on other futures in it.
        """
        with _FUTURES:
            if not self._done:
                if self._callbacks is None:
                    self._callbacks = [fn]
                else:
                    self._callbacks.append(fn)
                registered = True
            else:
                registered = False
        if not registered:
            fn(self)
        elif self._client is not None:
            self._client._attend()

    def _resolve(self, value: Any = None, error: Optional[ZafError] = None) -> bool:
        with _FUTURES:
            if self._done:
                return False
            self._value = value
            self._error = error
            self._done = True
            waiters, self._waiters = self._waiters, None
            callbacks, self._callbacks = self._callbacks, None
        if waiters is not None:
            for waiter in waiters:
                waiter.release()
        if callbacks is not None:
            for fn in callbacks:
                try:
                    fn(self)
                except Exception:  # pragma: no cover - a user callback
                    log.exception("zaf: a done callback failed")
        return True

    def __await__(self):  # type: ignore[no-untyped-def]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()

        def settle(ref: ObjectRef) -> None:
            loop.call_soon_threadsafe(_settle_asyncio, future, ref)

        self.add_done_callback(settle)
        return future.__await__()

    def __repr__(self) -> str:
        state = "pending"
        if self.done():
            state = "error " + self._error.code if self._error else "ok"
        return f"<zaf.ObjectRef {self._kind} {state}>"


_FUTURES = threading.Lock()
_allocate_lock = threading.Lock     # a waiter: acquired by its owner, released on resolve


def _settle_asyncio(future: "asyncio.Future[Any]", ref: ObjectRef) -> None:
    if future.done():
        return
    if ref._error is not None:
        future.set_exception(ref._error)
    else:
        future.set_result(ref._value)


# ---------------------------------------------------------------------------
# Actor handles

class ActorMethod:
    """One method of an actor: ``handle.add.remote(2)``, ``handle.add.tell(2)``."""

    __slots__ = ("_handle", "_name", "_timeout_ms")

    def __init__(self, handle: "ActorHandle", name: str,
                 timeout_ms: Optional[int] = None) -> None:
        self._handle = handle
        self._name = name
        self._timeout_ms = timeout_ms

    def options(self, *, timeout_ms: Optional[int] = None) -> "ActorMethod":
        """The same method, called with a deadline: ``timeout_ms`` travels
        with the call (docs/PROTOCOL.md 9.7), and a call still waiting at
        the broker or in the actor's mailbox when it passes raises
        :class:`TimeoutError` ("did not run") and never runs."""
        if timeout_ms is not None and not (isinstance(timeout_ms, int)
                                           and 0 < timeout_ms <= 86400000):
            raise BadArgsError("timeout_ms must be an int from 1 to 86400000")
        return ActorMethod(self._handle, self._name, timeout_ms)

    def remote(self, *args: Any) -> ObjectRef:
        """CALL the method with these arguments; returns its future.

        Arguments are JSON values, actor handles (sent as
        ``{"$actor": id}``) and blobs (``bytes``, ``bytearray``,
        ``memoryview``, ``zmq.Frame``: sent as attachment frames,
        ``{"$blob": i}``). A memoryview or Frame is sent without a copy:
        do not change its memory until the future is resolved.
        """
        return self._handle._client._call(self._handle.id, self._name, args,
                                          self._timeout_ms)

    def tell(self, *args: Any) -> None:
        """TELL: call the method without waiting for, or getting, an answer.

        Tells and calls from one client to one actor run in the order they
        were sent. A tell the broker cannot deliver (dead or unknown actor)
        is reported to the client's ``on_error`` callback and logged.
        """
        self._handle._client._tell(self._handle.id, self._name, args)

    def __repr__(self) -> str:
        return f"<zaf.ActorMethod {self._handle.id}.{self._name}>"


class ActorHandle:
    """A handle on an actor: call its methods with ``handle.m.remote(...)``.

    Handles are plain references: passing one as an argument sends
    ``{"$actor": id}``, and such an object in a result comes back as a
    handle. Losing a handle does not kill the actor; ``zaf.kill`` does, and
    the broker ends the actors a client spawned (unless ``detached``) when
    the client shuts down or is lost.
    """

    __slots__ = ("_client", "_id", "class_name", "name", "node", "owned")

    def __init__(self, client: "Client", actor_id: str, class_name: Optional[str] = None,
                 name: Optional[str] = None, node: Optional[str] = None,
                 owned: bool = False) -> None:
        self._client = client
        self._id = actor_id
        #: The actor's class, when known.
        self.class_name = class_name
        #: The name it was registered under, when known.
        self.name = name
        #: The node it runs on, when known (from a lookup).
        self.node = node
        #: True if this client spawned it and so owns it.
        self.owned = owned

    @property
    def id(self) -> str:
        """The actor id the broker assigned (opaque printable ASCII)."""
        return self._id

    @property
    def client(self) -> "Client":
        """The client this handle's calls go through."""
        return self._client

    def method(self, name: str) -> ActorMethod:
        """The method ``name``, for names that clash with handle attributes
        (``id``, ``name``, ``method``...)."""
        return ActorMethod(self, name)

    def __getattr__(self, name: str) -> ActorMethod:
        if name.startswith("_"):
            raise AttributeError(name)
        return ActorMethod(self, name)

    def to_json(self) -> Dict[str, str]:
        """The handle as it travels: ``{"$actor": id}``."""
        return {"$actor": self._id}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ActorHandle) and other._id == self._id

    def __hash__(self) -> int:
        return hash(self._id)

    def __repr__(self) -> str:
        label = f" {self.class_name}" if self.class_name else ""
        label += f" name={self.name!r}" if self.name else ""
        return f"<zaf.ActorHandle {self._id}{label}>"


# ---------------------------------------------------------------------------
# Encoding

class _NeedsDefault(Exception):
    """A value the plain JSON encoder cannot take (handle, blob, set...)."""


def _needs_default(item: Any) -> Any:
    raise _NeedsDefault


#: One C encoder made once (json.dumps makes one per call): compact, no NaN,
#: no circular check (a circular value fails with RecursionError and is
#: encoded again by the full path, which names the problem). Values with
#: handles or blobs fall back to the full path.
_plain_encoder = None if c_make_encoder is None else c_make_encoder(
    None, _needs_default, encode_basestring_ascii, None, ":", ",", False, False, False)
_decode_text = JSONDecoder().decode


def _encode(value: Any, blobs: Optional[List[Blob]]) -> bytes:
    """JSON text for ``value``; blobs are appended to ``blobs`` and named
    ``{"$blob": i}``, handles become ``{"$actor": id}``."""
    if _plain_encoder is not None:
        try:
            return "".join(_plain_encoder(value, 0)).encode()
        except (_NeedsDefault, RecursionError):
            pass
    return _encode_full(value, blobs)


def _encode_full(value: Any, blobs: Optional[List[Blob]]) -> bytes:
    def default(item: Any) -> Any:
        if isinstance(item, ActorHandle):
            return {"$actor": item.id}
        if isinstance(item, _BLOB_TYPES):
            if blobs is None:
                raise BadArgsError("binary data cannot travel here")
            if len(blobs) >= MAX_BLOBS:
                raise BadArgsError(f"at most {MAX_BLOBS} blobs per message")
            blobs.append(item)
            return {"$blob": len(blobs) - 1}
        if isinstance(item, (tuple, set, frozenset)):
            return list(item)
        raise TypeError(f"{type(item).__name__} is not JSON serializable")

    return json.dumps(value, default=default, separators=(",", ":"),
                      allow_nan=False).encode()


def _decode(client: "Client", body: bytes, frames: Sequence[zmq.Frame]) -> Any:
    """The JSON value of a body; ``{"$actor": id}`` becomes a handle and
    ``{"$blob": i}`` the memoryview of attachment ``i`` (no copy)."""
    if not body:
        return None
    if not frames and b'"$actor"' not in body:
        return _decode_text(body.decode())

    def hook(obj: Dict[str, Any]) -> Any:
        if len(obj) == 1:
            if "$actor" in obj and isinstance(obj["$actor"], str):
                return ActorHandle(client, obj["$actor"])
            if "$blob" in obj and isinstance(obj["$blob"], int) \
                    and 0 <= obj["$blob"] < len(frames):
                return frames[obj["$blob"]].buffer
        return obj

    return json.loads(body, object_hook=hook)


# ---------------------------------------------------------------------------
# The client

_clients: "weakref.WeakSet[Client]" = weakref.WeakSet()


def _shutdown_all() -> None:
    for client in list(_clients):
        try:
            client.shutdown()
        except Exception:  # pragma: no cover
            pass


atexit.register(_shutdown_all)


class Client:
    """One connection to a zaf broker.

    ``Client("tcp://127.0.0.1:5555")`` connects, says HELLO and waits for
    WELCOME (at most ``connect_timeout`` seconds, else
    :class:`BrokerLostError`). Use it from any number of threads; close it
    with :meth:`shutdown` (or a ``with`` block), which kills the actors it
    owns and says BYE.

    ``on_error`` is called (on the thread that reads it: the I/O thread or
    a waiting caller) with each error the broker
    sends that answers no request, such as an undeliverable TELL.

    ``security`` (:class:`SecurityOptions`) names the CURVE keys for a
    broker started with ``--keys``; without it, they are looked up in the
    environment as the C client does (``ZAF_BROKER_KEY``, ``ZAF_KEY``,
    ``ZAF_KEY_DIR``, ``~/.config/zaf/keys``). A broker that refuses the
    handshake makes the connection fail at once with
    :class:`zaf.UnauthorizedError` naming the cause.
    """

    def __init__(self, address: str, *, name: Optional[str] = None,
                 role: str = "driver", connect_timeout: float = 5.0,
                 on_error: Optional[Callable[[ZafError], None]] = None,
                 security: Optional[SecurityOptions] = None) -> None:
        if role not in ("driver", "cli"):
            raise ValueError("role must be 'driver' or 'cli'")
        if security is not None and not isinstance(security, SecurityOptions):
            raise TypeError("security must be a zaf.SecurityOptions")
        #: The CURVE keys (broker public, our public, our secret), or None
        #: for a plaintext link: from ``security``, else the environment
        self._curve: Optional[Tuple[bytes, bytes, bytes]] = None
        if address.startswith("tcp://"):
            self._curve = (security or SecurityOptions()).curve_keys(role)
        self.address = address
        self.role = role
        self.label = name or os.path.basename(sys.argv[0] or "") or "python"
        self.connect_timeout = connect_timeout
        self.on_error = on_error
        #: Session and heartbeat interval from the broker's last WELCOME.
        self.session = ""
        self.heartbeat_ms = DEFAULT_HEARTBEAT_MS
        #: Our routing id at the broker (hex), from WELCOME.
        self.peer = ""
        #: Answers that matched no pending request.
        self.late_replies = 0
        #: Errors the broker sent outside any answer (most recent last).
        self.errors: Deque[ZafError] = collections.deque(maxlen=100)

        self._ctx = zmq.Context()
        self._sock: Optional[zmq.Socket] = None
        self._monitor: Optional[zmq.Socket] = None
        self._connected = False
        self._retry_at = 0.0
        self._retry_s = 0.1
        self._last_rx = self._last_tx = 0.0
        # The socket and what goes with it belong to whoever holds _io_lock:
        # the I/O thread while it is active, or a caller thread that sends
        # directly or leads (reads answers while it waits) when the I/O
        # thread is parked. Only the I/O thread dials, closes, and reads the
        # monitor.
        self._io_lock = threading.Lock()
        self._parked = False            # the I/O thread left the socket alone
        self._leading = False           # a caller thread reads the socket
        self._attention = False         # a pending future is watched by a non-leader
        self._lost_why: Optional[str] = None    # seen by a caller, handled by the I/O thread
        self._pending: Dict[bytes, ObjectRef] = {}      # _io_lock
        self._extra: Dict[bytes, Any] = {}              # _io_lock
        self._owned: Set[str] = set()                   # _io_lock

        self._lock = threading.Lock()                   # outbox, corr, flags
        self._outbox: Deque[Tuple[List[Any], Optional[ObjectRef]]] = collections.deque()
        self._wake_pending = False
        self._closing = False
        self._closed = False
        self._corr = itertools.count(1)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        # The kick pipe wakes a parked I/O thread without disturbing a
        # leader (which polls only the socket and the wake pipe)
        self._kick_r, self._kick_w = os.pipe()
        os.set_blocking(self._kick_r, False)
        os.set_blocking(self._kick_w, False)
        self._kicked = False
        self._io_ident = 0
        self._io_held = False           # the I/O thread holds _io_lock

        self._started = threading.Event()
        self._start_error: Optional[ZafError] = None
        self._thread = threading.Thread(target=self._run, name="zaf-io", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            self._thread.join()
            self._release()
            raise self._start_error
        _clients.add(self)

    # -- context manager --------------------------------------------------

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()

    # -- the public API ---------------------------------------------------

    def spawn(self, cls: str, *args: Any, name: Optional[str] = None,
              detached: bool = False, get_if_exists: bool = False,
              node: Optional[str] = None, max_restarts: int = 0,
              max_call_retries: int = 0, call_deadline_ms: Optional[int] = None,
              retry_on: Optional[List[str]] = None,
              timeout: Optional[float] = 30.0,
              resources: Optional[Dict[str, float]] = None,
              labels: Optional[Dict[str, str]] = None,
              affinity: Optional[Dict[str, Any]] = None,
              strategy: Optional[str] = None) -> ActorHandle:
        """Create an actor of class ``cls`` with constructor ``args`` and
        wait until its constructor has run; returns its handle.

        ``name`` registers it for :meth:`get_actor`; ``detached`` (needs a
        name) makes it outlive this client; ``get_if_exists`` returns the
        live actor of that class holding ``name`` instead of failing with
        NAME_TAKEN. ``node`` pins it to a node, ``max_restarts`` /
        ``max_call_retries`` / ``call_deadline_ms`` are the broker's and
        node's spawn options (docs/PROTOCOL.md, 5.3), as is ``retry_on``
        (a list of ``"node_lost"`` and ``"method_failed"``: which failures
        send a call again, up to ``max_call_retries``). ``resources``,
        ``labels``, ``affinity`` and ``strategy`` place it as
        :meth:`submit` places a task (section 11), its resources reserved
        while it lives. If the spawn times out, the actor is killed when it
        comes up.
        """
        ref = self.spawn_async(cls, *args, name=name, detached=detached,
                               get_if_exists=get_if_exists, node=node,
                               max_restarts=max_restarts,
                               max_call_retries=max_call_retries,
                               call_deadline_ms=call_deadline_ms,
                               resources=resources, labels=labels,
                               affinity=affinity, strategy=strategy,
                               retry_on=retry_on)
        try:
            return ref.result(timeout)
        except TimeoutError:
            ref._abandoned = True
            if ref.done() and ref._error is None and ref._value.owned:
                self.kill(ref._value, wait=False)
            raise

    def spawn_async(self, cls: str, *args: Any, name: Optional[str] = None,
                    detached: bool = False, get_if_exists: bool = False,
                    node: Optional[str] = None, max_restarts: int = 0,
                    max_call_retries: int = 0,
                    call_deadline_ms: Optional[int] = None,
                    retry_on: Optional[List[str]] = None,
                    resources: Optional[Dict[str, float]] = None,
                    labels: Optional[Dict[str, str]] = None,
                    affinity: Optional[Dict[str, Any]] = None,
                    strategy: Optional[str] = None) -> ObjectRef:
        """:meth:`spawn` without waiting: a future of the handle
        (``await client.spawn_async("Counter", 5)``)."""
        options: Dict[str, Any] = {}
        if node is not None:
            options["node"] = node
        if name is not None:
            options["name"] = name
        if detached:
            options["detached"] = True
        if get_if_exists:
            options["get_if_exists"] = True
        if max_restarts:
            options["max_restarts"] = max_restarts
        if max_call_retries:
            options["max_call_retries"] = max_call_retries
        if call_deadline_ms is not None:
            options["call_deadline_ms"] = call_deadline_ms
        for key, value in (("resources", resources), ("labels", labels),
                           ("affinity", affinity), ("strategy", strategy)):
            if value is not None:
                options[key] = value
        if retry_on is not None:
            options["retry_on"] = list(retry_on)
        body = _encode(list(args), None)
        ref = ObjectRef(self, "spawn")
        ref._detached = detached
        corr = self._next_corr()
        frames = [SIGNATURE, b"SPAWN", _EMPTY, corr, _EMPTY, _ascii(cls, "class"),
                  json.dumps(options).encode(), body]
        # The class and name ride along for the handle
        self._enqueue(frames, ref, (cls, name))
        return ref

    def get_actor(self, name: str, timeout: Optional[float] = 10.0) -> ActorHandle:
        """The live actor registered under ``name`` (LOOKUP), from any
        client. Raises :class:`NoSuchActorError` if there is none."""
        ref = ObjectRef(self, "lookup")
        self._enqueue([SIGNATURE, b"LOOKUP", _EMPTY, self._next_corr(),
                       _ascii(name, "name")], ref, name)
        return ref.result(timeout)

    def submit(self, function: str, *args: Any,
               resources: Optional[Dict[str, float]] = None,
               labels: Optional[Dict[str, str]] = None,
               affinity: Optional[Dict[str, Any]] = None,
               strategy: Optional[str] = None) -> ObjectRef:
        """Run the registered remote function ``function`` with ``args`` on
        a node's worker pool (SUBMIT); returns the future of its result.

        Placement (docs/PROTOCOL.md, 9.7 and 11), in the envelope options:
        ``resources`` (``{"gpu": 1}``, reserved on the node while the task
        runs), ``labels`` (``{"zone": "a"}``, a hard match), ``affinity``
        (``{"node": "n2", "soft": True}``) and ``strategy`` (``"spread"``
        or ``"pack"``). When no node fits, the future raises
        :class:`NoResourcesError` at once (tasks are not queued); malformed
        values raise :class:`BadArgsError`."""
        options: Dict[str, Any] = {}
        for key, value in (("resources", resources), ("labels", labels),
                           ("affinity", affinity), ("strategy", strategy)):
            if value is not None:
                options[key] = value
        blobs: List[Blob] = []
        body = _encode(list(args), blobs)
        ref = ObjectRef(self, "submit")
        frames = [SIGNATURE, b"SUBMIT", _EMPTY, self._next_corr(),
                  _ascii(function, "function")]
        if options:
            frames.append(json.dumps(options).encode())
        self._enqueue([*frames, body, *blobs], ref)
        return ref

    def kill(self, actor: ActorHandle, *, wait: bool = True,
             timeout: Optional[float] = 10.0) -> None:
        """End the actor (KILL). Everything pending on it ends with
        ACTOR_DIED. With ``wait``, returns once it is gone (also if it was
        already dead); NO_SUCH_ACTOR if its id was never known."""
        actor_id = _actor_id(actor)
        if not wait:
            self._enqueue([SIGNATURE, b"KILL", _EMPTY, _EMPTY, _ascii(actor_id, "actor"),
                           b'{"reason":"killed"}'], None, actor_id)
            return
        ref = ObjectRef(self, "kill")
        self._enqueue([SIGNATURE, b"KILL", _EMPTY, self._next_corr(),
                       _ascii(actor_id, "actor"), b'{"reason":"killed"}'], ref, actor_id)
        ref.result(timeout)

    def monitor(self, actor: ActorHandle) -> ObjectRef:
        """A future that resolves once, when the actor ends, with
        ``{"actor": id, "reason": "killed" | "normal" | ...}`` (MONITOR).
        Monitors do not survive a broker restart."""
        ref = ObjectRef(self, "monitor")
        self._enqueue([SIGNATURE, b"MONITOR", _EMPTY, self._next_corr(),
                       _ascii(_actor_id(actor), "actor"), b"{}"], ref)
        return ref

    def status(self, actors: bool = False, limit: int = 1000, offset: int = 0,
               timeout: Optional[float] = 10.0) -> Dict[str, Any]:
        """The broker's STATUS snapshot (docs/PROTOCOL.md, 5.7). With
        ``actors``, one page of the actor list: at most ``limit`` actors
        (the broker sends 1000 at most) from the ``offset``-th on;
        ``actors_total`` says how many there are."""
        request: Dict[str, Any] = {"actors": True, "limit": limit} if actors else {}
        if actors and offset:
            request["offset"] = offset
        ref = ObjectRef(self, "status")
        self._enqueue([SIGNATURE, b"STATUS", _EMPTY, self._next_corr(),
                       json.dumps(request).encode()], ref)
        return ref.result(timeout)

    def cluster_info(self, timeout: Optional[float] = 10.0) -> Dict[str, Any]:
        """What ``ray.init()`` prints: broker, session and the live nodes."""
        status = self.status(timeout=timeout)
        return {"broker": self.address, "session": status.get("session", ""),
                "embedded": False, "nodes": status.get("nodes", []),
                "dashboard": status.get("dashboard")}

    def stop_cluster(self, timeout: Optional[float] = 10.0) -> Dict[str, Any]:
        """Ask the broker to stop the whole cluster (STOP, as ``zaf stop``).
        Only a client created with ``role="cli"`` may."""
        ref = ObjectRef(self, "status")
        self._enqueue([SIGNATURE, b"STOP", _EMPTY, self._next_corr(), b"{}"], ref)
        return ref.result(timeout)

    @property
    def connected(self) -> bool:
        """True while a session with the broker is live."""
        return self._connected

    def shutdown(self, timeout: float = 5.0) -> None:
        """Kill the actors this client owns, say BYE and close.

        Futures still pending end with :class:`BrokerLostError`. Requests
        made afterwards raise :class:`zaf.InterruptedError`. Idempotent.
        """
        with self._lock:
            if self._closing:
                already = True
            else:
                already = False
                self._closing = True
        if not already:
            self._wake()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        _clients.discard(self)

    # -- requests ---------------------------------------------------------

    def _call(self, actor_id: str, method: str, args: Sequence[Any],
              timeout_ms: Optional[int] = None) -> ObjectRef:
        blobs: List[Blob] = []
        body = _encode(args, blobs)
        ref = ObjectRef(self, "call")
        frames = [SIGNATURE, b"CALL", _EMPTY, _pack_corr(next(self._corr)),
                  _ascii(actor_id, "actor"), _ascii(method, "method"), body]
        if timeout_ms:
            # The envelope options go before the body (PROTOCOL.md 2, 9.7)
            frames.insert(6, b'{"timeout_ms":%d}' % timeout_ms)
        if blobs:
            frames += blobs
        self._enqueue(frames, ref)
        return ref

    def _tell(self, actor_id: str, method: str, args: Sequence[Any]) -> None:
        blobs: List[Blob] = []
        body = _encode(args, blobs)
        self._enqueue([SIGNATURE, b"TELL", _EMPTY, _EMPTY, _ascii(actor_id, "actor"),
                       _ascii(method, "method"), body, *blobs], None)
        if self._parked:
            # An undeliverable tell is answered with an ERROR for on_error:
            # have it read soon even if no one waits on anything
            self._attend()

    def _next_corr(self) -> bytes:
        # next() on itertools.count is atomic under the GIL
        return _pack_corr(next(self._corr))

    def _enqueue(self, frames: List[Any], ref: Optional[ObjectRef], extra: Any = None) -> None:
        # Direct: the I/O thread is parked and nothing is queued before us,
        # so this thread sends on the socket itself (no thread switch)
        if self._parked and not self._wake_pending and self._io_lock.acquire(False):
            try:
                if self._parked and self._connected and not self._outbox \
                        and not self._closing and self._lost_why is None:
                    self._send_one(frames, ref, extra)
                    return
            finally:
                self._io_lock.release()
        with self._lock:
            if self._closing:
                raise InterruptedError("the client is shut down")
            self._outbox.append((frames, ref) if extra is None else (frames, ref, extra))  # type: ignore[arg-type]
            wake = not self._wake_pending
            self._wake_pending = True
        if wake:
            self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"x")
        except (BlockingIOError, OSError):
            pass

    def _kick(self) -> None:
        if self._kicked or self._closed:
            return
        self._kicked = True
        try:
            os.write(self._kick_w, b"x")
        except (BlockingIOError, OSError):
            pass

    def _attend(self) -> None:
        """A thread that is not leading watches a pending future: make sure
        someone reads the socket (the leader, when it leaves, or the I/O
        thread at once)."""
        self._attention = True
        if self._parked and not self._leading:
            self._kick()

    def _lead(self, ref: ObjectRef, deadline: Optional[float]) -> None:
        """Wait for ``ref`` by reading the socket on this thread, if the
        I/O thread is parked and no one else leads. Returns when ``ref`` is
        resolved, the deadline passes, or the I/O thread needs the socket
        back (then the caller waits as a follower)."""
        if not self._parked or self._closing or threading.get_ident() == self._io_ident:
            return
        if not self._io_lock.acquire(False):
            return
        self._leading = True
        try:
            sock = self._sock
            if not self._parked or not self._connected or sock is None:
                return
            items = [(sock, _POLLIN), (self._wake_r, _POLLIN)]
            poll = zmq.zmq_poll
            while not ref._done:
                if deadline is None:
                    timeout_ms = -1
                else:
                    # At least one look at the socket, even with no time left
                    left = deadline - time.monotonic()
                    timeout_ms = int(left * 1000) + 1 if left > 0 else 0
                events = poll(items, timeout_ms)
                if events:
                    if len(events) > 1 or events[0][0] is not sock:
                        return      # the wake pipe: the I/O thread wants the socket
                    self._receive(ref)
                    if self._lost_why is not None:
                        return
                if deadline is not None and time.monotonic() >= deadline:
                    return
        finally:
            self._leading = False
            self._io_lock.release()
            if self._attention:
                self._kick()

    # -- the I/O thread ---------------------------------------------------

    def _run(self) -> None:
        self._io_ident = threading.get_ident()
        self._io_lock.acquire()
        self._io_held = True
        error = self._dial()
        if error is not None:
            self._start_error = error
            self._io_held = False
            self._io_lock.release()
            self._started.set()
            return
        self._started.set()
        try:
            self._loop()
        except Exception:  # pragma: no cover - a bug: end every future
            log.exception("zaf: the client's I/O thread failed")
        finally:
            if not self._io_held:
                self._io_lock.acquire()
                self._io_held = True
            self._parked = False
            try:
                self._close()
            finally:
                self._io_held = False
                self._io_lock.release()

    def _loop(self) -> None:
        """The I/O thread. Active, it holds _io_lock and polls the socket,
        the pipes and the monitor. With nothing pending it parks: it lets
        go of _io_lock and polls only the pipes and the monitor, so that
        caller threads send and read answers themselves. It takes the
        socket back for a request queued by another thread (wake pipe),
        for a watched future that no leader reads (kick pipe), for the
        monitor, and for heartbeats."""
        poll = zmq.zmq_poll
        wake_r, kick_r = self._wake_r, self._kick_r
        while True:
            # -- active: this thread holds _io_lock
            timeout_ms = -1
            now = time.monotonic()
            if self._connected:
                interval = self.heartbeat_ms / 1000.0
                due = min(self._last_tx + interval,
                          self._last_rx + interval * HEARTBEAT_MISSES)
                timeout_ms = max(0, int((due - now) * 1000) + 1)
            items = [(wake_r, _POLLIN), (kick_r, _POLLIN)]
            if self._sock is not None:
                items.append((self._sock, _POLLIN))
            if self._monitor is not None:
                items.append((self._monitor, _POLLIN))
            events = dict(poll(items, timeout_ms))
            if wake_r in events:
                _drain_pipe(wake_r)
            if kick_r in events:
                _drain_pipe(kick_r)
            self._kicked = False
            self._attention = False
            if self._lost_why is not None:
                why, self._lost_why = self._lost_why, None
                self._lost(why)
            with self._lock:
                self._wake_pending = False
                batch = list(self._outbox)
                self._outbox.clear()
                closing = self._closing
            if batch:
                self._send_batch(batch)
            if self._sock is not None and events.get(self._sock):
                self._receive()
            if self._monitor is not None and events.get(self._monitor):
                self._read_monitor()
            if self._lost_why is not None:
                why, self._lost_why = self._lost_why, None
                self._lost(why)
            if closing:
                return
            self._tick()
            if not self._connected or self._pending or self._outbox or self._wake_pending:
                continue
            # -- parked: the socket is free for caller threads
            self._parked = True
            self._io_held = False
            self._io_lock.release()
            self._park()
            self._io_held = True       # _park returns holding _io_lock
            self._parked = False

    def _park(self) -> None:
        """Sleep on the pipes and the monitor until the socket is needed
        back; returns holding _io_lock. While parked, it takes the socket
        for a moment when a heartbeat is due (and reads what waits)."""
        poll = zmq.zmq_poll
        wake_r, kick_r = self._wake_r, self._kick_r
        monitor = self._monitor
        items = [(wake_r, _POLLIN), (kick_r, _POLLIN)]
        if monitor is not None:
            items.append((monitor, _POLLIN))
        interval = self.heartbeat_ms / 1000.0
        lock = self._io_lock
        while True:
            due = min(self._last_tx + interval, self._last_rx + interval * HEARTBEAT_MISSES)
            timeout_ms = max(0, int((due - time.monotonic()) * 1000) + 1)
            events = dict(poll(items, timeout_ms))
            if wake_r in events or (monitor is not None and monitor in events):
                break           # a queued request, shutdown, or the monitor
            if kick_r in events:
                _drain_pipe(kick_r)
                self._kicked = False
                if self._attention and not self._leading:
                    break
                continue
            due = min(self._last_tx + interval, self._last_rx + interval * HEARTBEAT_MISSES)
            if time.monotonic() < due:
                continue        # a leader sent or heard something meanwhile
            if not lock.acquire(False):
                break           # a leader stuck on a long call: take over
            # Heartbeat, and read what came while parked (ERRORs, BYE)
            self._io_held = True
            if self._sock is not None:
                self._receive()
            self._tick()
            if not self._connected or self._lost_why is not None or self._attention \
                    or self._closing:
                return
            self._io_held = False
            lock.release()
        # Take the socket: a leader sees the wake pipe and lets go
        if not lock.acquire(False):
            self._wake()
            lock.acquire()

    def _tick(self) -> None:
        if not self._connected:
            return
        now = time.monotonic()
        interval = self.heartbeat_ms / 1000.0
        if now - self._last_rx >= interval * HEARTBEAT_MISSES:
            self._lost("no heartbeat from the broker")
        elif now - self._last_tx >= interval:
            self._send_frames([SIGNATURE, b"HEARTBEAT"])

    def _send_batch(self, batch: List[Tuple[Any, ...]]) -> None:
        error: Optional[ZafError] = None
        if not self._connected and time.monotonic() >= self._retry_at:
            error = self._dial()
            if error is not None:
                log.warning("zaf: %s", error)
        for item in batch:
            frames, ref = item[0], item[1]
            extra = item[2] if len(item) > 2 else None
            if not self._connected:
                if ref is not None:
                    if isinstance(error, UnauthorizedError):
                        # The broker refused the handshake: say why
                        ref._resolve(error=UnauthorizedError(
                            f"{error.message}; the request was not sent"))
                    else:
                        ref._resolve(error=BrokerLostError(
                            f"no broker at {self.address}; the request was not sent"))
                continue
            self._send_one(frames, ref, extra)

    def _send_one(self, frames: List[Any], ref: Optional[ObjectRef], extra: Any) -> None:
        """Send one request on the connected socket (holding _io_lock)."""
        if ref is not None:
            self._pending[frames[3]] = ref
            if extra is not None:
                self._extra[frames[3]] = extra
        if extra is not None and frames[1] == b"KILL":
            self._owned.discard(extra)
        if not self._send_frames(frames):
            if ref is not None:
                self._pending.pop(frames[3], None)
                self._extra.pop(frames[3], None)
                ref._resolve(error=OverloadedError(
                    "the client's send queue to the broker is full"))

    def _send_frames(self, frames: List[Any]) -> bool:
        sock = self._sock
        assert sock is not None
        send = _zmq_send
        sent = 0
        try:
            # Small frames are copied; blobs go without a copy. Once the
            # first part is queued, libzmq takes the rest of the message.
            for part in frames[:-1]:
                if type(part) is bytes and len(part) < _COPY_BELOW:
                    send(sock, part, _MORE_NOBLOCK)
                else:
                    send(sock, part, _MORE_NOBLOCK, False)
                sent += 1
            part = frames[-1]
            if type(part) is bytes and len(part) < _COPY_BELOW:
                send(sock, part, _NOBLOCK)
            else:
                send(sock, part, _NOBLOCK, False)
        except zmq.Again:
            return False
        except zmq.ZMQError as exc:
            log.warning("zaf: cannot send: %s", exc)
            return False
        except BaseException:
            # KeyboardInterrupt on a caller thread between two frames: end
            # the message, or the next one would be glued to it
            if 0 < sent < len(frames):
                for part in frames[sent:-1]:
                    send(sock, part, _MORE_NOBLOCK, False)
                send(sock, frames[-1], _NOBLOCK, False)
            raise
        self._last_tx = time.monotonic()
        return True

    def _receive(self, until: Optional[ObjectRef] = None) -> None:
        """Read and dispatch what waits on the socket. Once ``until`` is
        resolved, look at ZMQ_EVENTS before reading on: a sync call then
        ends without a read that fails with zmq.Again (a raised exception,
        several times dearer)."""
        sock = self._sock
        recv, get = _zmq_recv, _zmq_get
        for _ in range(10_000):
            if sock is None or sock is not self._sock:
                return
            try:
                frames: List[Any] = [recv(sock, _NOBLOCK)]
            except zmq.Again:
                return
            try:
                while get(sock, _RCVMORE):
                    if len(frames) < _COPIED_FRAMES:
                        frames.append(recv(sock, 0))
                    else:
                        frames.append(recv(sock, 0, False))
            except BaseException:
                # KeyboardInterrupt on a caller thread inside a message:
                # read the rest and deliver it, so that its future ends and
                # the next read starts a message
                while get(sock, _RCVMORE):
                    frames.append(recv(sock, 0, len(frames) < _COPIED_FRAMES))
                self._dispatch(frames)
                raise
            self._last_rx = time.monotonic()
            self._dispatch(frames)
            if until is not None and until._done:
                until = None
                if not get(sock, _EVENTS) & _POLLIN:
                    return

    def _dispatch(self, frames: List[Any]) -> None:
        """One message from the broker: frames 0-5 are bytes, later ones
        zmq.Frame (REPLY attachments, and the body of a SPAWNED)."""
        if len(frames) < 2 or frames[0] != SIGNATURE:
            log.warning("zaf: malformed message from the broker dropped")
            return
        command = frames[1]
        if command == b"REPLY" or command == b"SPAWNED":
            if len(frames) < 6:
                log.warning("zaf: malformed %s dropped", command.decode())
                return
            corr = frames[3]
            ref = self._pending.pop(corr, None)
            extra = self._extra.pop(corr, None)
            if ref is None:
                self.late_replies += 1
                return
            if command == b"SPAWNED":
                self._spawned(ref, frames, extra)
            else:
                self._replied(ref, frames, extra)
        elif command == b"HEARTBEAT" or command == b"WELCOME":
            return
        elif command == b"BYE":
            reason = "no reason given"
            try:
                body = json.loads(frames[2]) if len(frames) > 2 and frames[2] else {}
                reason = str(body.get("reason", reason))
            except (ValueError, AttributeError):
                pass
            self._lost(f"broker said BYE: {reason}")
        elif command == b"ERROR":
            error = _error_of(frames[2] if len(frames) > 2 else b"")
            if error.code == "BROKER_LOST":
                self._lost(error.message)
                return
            log.warning("zaf: error from broker: %s", error)
            self.errors.append(error)
            if self.on_error is not None:
                try:
                    self.on_error(error)
                except Exception:  # pragma: no cover - a user callback
                    log.exception("zaf: on_error failed")
        else:
            log.warning("zaf: unexpected %r from the broker dropped", command)

    def _spawned(self, ref: ObjectRef, frames: List[Any], extra: Any) -> None:
        if len(frames) != 7:
            ref._resolve(error=ProtocolError("malformed SPAWNED"))
            return
        actor_id = frames[4].decode("ascii", "replace")
        text = frames[6].bytes
        if frames[5] != b"ok":
            ref._resolve(error=_error_of(text))
            return
        existing = False
        try:
            body = json.loads(text) if text else {}
            existing = isinstance(body, dict) and body.get("existing") is True
        except ValueError:
            pass
        owned = not existing and not ref._detached
        if ref._abandoned:
            if not existing:
                self._send_frames([SIGNATURE, b"KILL", _EMPTY, _EMPTY,
                                   frames[4], b'{"reason":"killed"}'])
            return
        if owned:
            self._owned.add(actor_id)
        cls, name = extra if isinstance(extra, tuple) else (None, None)
        ref._resolve(ActorHandle(self, actor_id, class_name=cls, name=name, owned=owned))

    def _replied(self, ref: ObjectRef, frames: List[Any], extra: Any) -> None:
        status = frames[4]
        body = frames[5]
        if status != b"ok":
            ref._resolve(error=_error_of(body))
            return
        try:
            value = _decode(self, body, frames[6:])
        except ValueError as exc:
            ref._resolve(error=ProtocolError(f"answer is not JSON: {exc}"))
            return
        if ref._kind == "lookup" and isinstance(value, dict) and isinstance(value.get("actor"), str):
            value = ActorHandle(self, value["actor"], class_name=value.get("class"),
                                name=extra if isinstance(extra, str) else None,
                                node=value.get("node"))
        ref._resolve(value)

    def _read_monitor(self) -> None:
        from zmq.utils.monitor import recv_monitor_message
        while self._monitor is not None:
            try:
                event = recv_monitor_message(self._monitor, flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            except zmq.ZMQError:
                return
            if event.get("event") == zmq.EVENT_DISCONNECTED and self._connected:
                self._lost("connection closed")
                return

    # -- connection -------------------------------------------------------

    @property
    def secure(self) -> bool:
        """True if the link uses CURVE."""
        return self._curve is not None

    def _configure_socket(self, sock: zmq.Socket) -> None:
        """Socket options, and the CURVE keys when there are any."""
        sock.setsockopt(zmq.HANDSHAKE_IVL, HANDSHAKE_MS)
        if self._curve is not None:
            server_public, public, secret = self._curve
            sock.setsockopt(zmq.CURVE_SERVERKEY, server_public)
            sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
            sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
            # With keys a peer names its own connection: 16 random bytes,
            # the first never 0, as the C link does (docs/SECURITY.md)
            sock.setsockopt(zmq.ROUTING_ID, b"Z" + os.urandom(15))
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDHWM, HWM)
        sock.setsockopt(zmq.RCVHWM, HWM)
        sock.setsockopt(zmq.RECONNECT_IVL, 100)
        sock.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
        sock.setsockopt(zmq.HEARTBEAT_IVL, self.heartbeat_ms)
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, self.heartbeat_ms * HEARTBEAT_MISSES)

    def _close_socket(self) -> None:
        if self._sock is not None:
            if self._monitor is not None:
                try:
                    self._sock.disable_monitor()
                except zmq.ZMQError:
                    pass
                self._monitor.close(0)
                self._monitor = None
            self._sock.close(0)
            self._sock = None
        self._connected = False

    def _dial(self) -> Optional[ZafError]:
        """Connect, say HELLO and wait for WELCOME. Returns the error, or
        None once connected."""
        self._close_socket()
        sock = self._ctx.socket(zmq.DEALER)
        self._configure_socket(sock)
        try:
            events = zmq.EVENT_DISCONNECTED
            if self.address.startswith("tcp://"):
                events |= (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
                           | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                           | zmq.EVENT_HANDSHAKE_FAILED_AUTH)
            monitor = sock.get_monitor_socket(events)
        except zmq.ZMQError:
            monitor = None
        try:
            sock.connect(self.address)
        except zmq.ZMQError as exc:
            if monitor is not None:
                sock.disable_monitor()
                monitor.close(0)
            sock.close(0)
            return BadArgsError(f"cannot connect to {self.address}: {exc}")
        self._sock, self._monitor = sock, monitor
        hello: Dict[str, Any] = {"name": self.label, "host": _socket.gethostname(),
                                 "pid": os.getpid(), "version": 1}
        if self.session:
            # Dialing again: if the broker restarted, claim what we own
            hello["session"] = self.session
            hello["owns"] = sorted(self._owned)
        sock.send_multipart([SIGNATURE, b"HELLO", self.role.encode(),
                             json.dumps(hello).encode()])
        deadline = time.monotonic() + self.connect_timeout
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        if monitor is not None:
            poller.register(monitor, zmq.POLLIN)
        while True:
            left = deadline - time.monotonic()
            ready = dict(poller.poll(int(left * 1000) + 1)) if left > 0 else {}
            if not ready:
                if time.monotonic() < deadline:
                    continue
                break
            if monitor is not None and monitor in ready:
                failure = self._handshake_failure(monitor)
                if failure is not None:
                    self._close_socket()
                    self._retry_at = time.monotonic() + self._retry_s
                    self._retry_s = min(self._retry_s * 2, 2.0)
                    return UnauthorizedError(failure)
            if sock not in ready:
                continue
            frames = sock.recv_multipart()
            if len(frames) >= 3 and frames[0] == SIGNATURE and frames[1] == b"WELCOME":
                try:
                    welcome = json.loads(frames[2]) if frames[2] else {}
                except ValueError:
                    welcome = {}
                heartbeat_ms = welcome.get("heartbeat_ms", DEFAULT_HEARTBEAT_MS)
                if not isinstance(heartbeat_ms, int) or heartbeat_ms < 10:
                    heartbeat_ms = DEFAULT_HEARTBEAT_MS
                self.heartbeat_ms = heartbeat_ms
                self.session = str(welcome.get("session", ""))
                self.peer = str(welcome.get("peer", ""))
                sock.setsockopt(zmq.HEARTBEAT_IVL, heartbeat_ms)
                self._connected = True
                self._retry_s = 0.1
                self._last_rx = self._last_tx = time.monotonic()
                return None
            if len(frames) >= 3 and frames[0] == SIGNATURE and frames[1] == b"ERROR":
                refusal = _error_of(frames[2])
                self._close_socket()
                self._retry_at = time.monotonic() + self._retry_s
                refusal.message = f"broker at {self.address} refused us: {refusal.message}"
                return refusal
            # Anything else before WELCOME is stale: drop it
        self._close_socket()
        self._retry_at = time.monotonic() + self._retry_s
        self._retry_s = min(self._retry_s * 2, 2.0)
        return BrokerLostError(f"no answer from a broker at {self.address} "
                               f"within {self.connect_timeout} s")

    def _handshake_failure(self, monitor: zmq.Socket) -> Optional[str]:
        """Read the monitor's events while dialing: why the handshake
        failed (the C link's words), or None."""
        from zmq.utils.monitor import recv_monitor_message
        failure: Optional[str] = None
        dropped = False
        while True:
            try:
                event = recv_monitor_message(monitor, flags=zmq.NOBLOCK)
            except zmq.ZMQError:
                break
            number = event.get("event")
            if number == zmq.EVENT_DISCONNECTED:
                dropped = True
            elif number == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
                failure = (f"the broker at {self.address} refused our key "
                           f"(status {event.get('value')}): unknown or revoked key")
            elif number and self._curve is not None:
                failure = (f"the CURVE handshake with {self.address} failed: wrong broker "
                           "key, or the broker does not use CURVE")
            elif (number == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
                  and event.get("value") == _MECHANISM_MISMATCH):
                # Only a mechanism mismatch says so: a handshake cut short
                # without detail is a broker that went away
                failure = (f"the handshake with {self.address} failed: the broker requires "
                           "keys (CURVE; give zaf.SecurityOptions(broker_key=..., key=...), "
                           "or ZAF_KEY_DIR)")
        if failure is None and dropped and self._curve is not None:
            failure = (f"the broker at {self.address} closed the connection during the "
                       "handshake: wrong broker key, or the broker does not use CURVE")
        return failure

    def _lost(self, why: str) -> None:
        if threading.get_ident() != self._io_ident:
            # A leader read a BYE: the I/O thread closes and fails the futures
            self._lost_why = why
            self._wake()
            return
        if self._connected:
            log.warning("zaf: broker lost endpoint=%s reason=%s", self.address, why)
        self._close_socket()
        self._fail_pending(BrokerLostError(
            f"broker lost ({why}); the call may or may not have run"))
        self._retry_at = 0.0

    def _fail_pending(self, error: ZafError) -> None:
        pending, self._pending = self._pending, {}
        self._extra = {}
        for ref in pending.values():
            ref._resolve(error=error)

    def _close(self) -> None:
        if self._connected and self._sock is not None:
            for actor_id in sorted(self._owned):
                self._send_frames([SIGNATURE, b"KILL", _EMPTY, _EMPTY,
                                   actor_id.encode(), b'{"reason":"killed"}'])
            self._send_frames([SIGNATURE, b"BYE", b'{"reason":"leaving"}'])
            self._sock.setsockopt(zmq.LINGER, 200)
            if self._monitor is not None:
                try:
                    self._sock.disable_monitor()
                except zmq.ZMQError:
                    pass
                self._monitor.close(0)
                self._monitor = None
            self._sock.close(200)
            self._sock = None
        self._close_socket()
        self._owned.clear()
        error = BrokerLostError("connection closed before the answer came")
        self._fail_pending(error)
        with self._lock:
            self._closing = True
            batch = list(self._outbox)
            self._outbox.clear()
        for item in batch:
            if item[1] is not None:
                item[1]._resolve(error=error)
        self._release()

    def _release(self) -> None:
        if self._closed:
            return
        self._closed = True
        for fd in (self._wake_r, self._wake_w, self._kick_r, self._kick_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._ctx.term()


_ascii_seen: Dict[str, bytes] = {}


def _drain_pipe(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except (BlockingIOError, OSError):
        pass


def _ascii(text: str, what: str) -> bytes:
    """A name or id frame: 1-255 printable ASCII bytes, no space."""
    data = _ascii_seen.get(text) if type(text) is str else None
    if data is not None:
        return data
    data = _ascii_check(text, what)
    if len(_ascii_seen) >= 4096:
        _ascii_seen.clear()
    _ascii_seen[text] = data
    return data


def _ascii_check(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise BadArgsError(f"{what} must be a string")
    data = text.encode("ascii", "replace")
    if not 1 <= len(data) <= 255 or any(b < 0x21 or b > 0x7E for b in data):
        raise BadArgsError(f"{what} {text!r} is not 1-255 printable ASCII characters without spaces")
    return data


def _actor_id(actor: Union[ActorHandle, str]) -> str:
    if isinstance(actor, ActorHandle):
        return actor.id
    if isinstance(actor, str):
        return actor
    raise BadArgsError("expected an actor handle")


def _error_of(body: bytes) -> ZafError:
    try:
        return ZafError.from_wire(json.loads(body) if body else None)
    except ValueError:
        return ProtocolError("unreadable error object")


# ---------------------------------------------------------------------------
# Waiting on many futures

def get(refs: Union[ObjectRef, Sequence[ObjectRef]], timeout: Optional[float] = None) -> Any:
    """The value of one future, or the list of values of a list of them
    (like ``ray.get``), waiting at most ``timeout`` seconds in all.

    Raises the first error met in list order, or :class:`zaf.TimeoutError`.
    """
    if isinstance(refs, ObjectRef):
        return refs.result(timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    values = []
    for ref in refs:
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        values.append(ref.result(left))
    return values


def wait(refs: Sequence[ObjectRef], num_returns: int = 1,
         timeout: Optional[float] = None) -> Tuple[List[ObjectRef], List[ObjectRef]]:
    """Wait until ``num_returns`` of ``refs`` are resolved or ``timeout``
    seconds pass; returns ``(ready, pending)``, each in the order of
    ``refs`` (like ``ray.wait``). A failed future counts as ready."""
    refs = list(refs)
    if num_returns < 0 or num_returns > len(refs):
        raise ValueError("num_returns must be from 0 to len(refs)")
    condition = threading.Condition()

    def notify(_ref: ObjectRef) -> None:
        with condition:
            condition.notify_all()

    for ref in refs:
        ref.add_done_callback(notify)
    deadline = None if timeout is None else time.monotonic() + timeout
    with condition:
        while sum(1 for ref in refs if ref.done()) < num_returns:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                break
            condition.wait(left)
    ready: List[ObjectRef] = []
    pending: List[ObjectRef] = []
    for ref in refs:
        (ready if ref.done() and len(ready) < max(num_returns, 0) else pending).append(ref)
    return ready, pending
