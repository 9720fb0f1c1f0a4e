"""zaf: a Python client for zaf, the ZeroMQ actor framework.

Speaks the ZAF1 wire protocol (docs/PROTOCOL.md) to a zaf broker, so that a
Python program can spawn and call the C actors of a running cluster the way
Ray's users do::

    import zaf
    zaf.init("tcp://127.0.0.1:5555")
    ps = zaf.spawn("ParameterServer", 10)
    print(zaf.get(ps.get_params.remote(), timeout=5))
    zaf.kill(ps)
    zaf.shutdown()

The module-level functions use one default :class:`Client`, made by
:func:`init`; make more ``zaf.Client(address)`` objects for other
connections. Everything here is thread-safe.
"""

from __future__ import annotations

import threading
from typing import Any, Dict, Optional, Sequence, Union

from .client import (ActorHandle, ActorMethod, Blob, Client, ObjectRef,
                     SecurityOptions, get, wait)
from .errors import (ERRORS, ActorDiedError, BadArgsError, BrokerLostError,
                     CancelledError, InterruptedError, MethodFailedError, NameTakenError,
                     NodeLostError, NoSuchActorError, NoSuchClassError,
                     NoSuchFunctionError, NoSuchMethodError, NoSuchNodeError,
                     OverloadedError, ProtocolError, TimeoutError,
                     UnauthorizedError, ZafError)
from .errors import NoResourcesError

__version__ = "0.1.0"

__all__ = [
    "init", "shutdown", "is_initialized", "default_client", "spawn", "get_actor",
    "get", "wait", "submit", "kill", "monitor", "cluster_info",
    "Client", "ObjectRef", "ActorHandle", "ActorMethod", "Blob",
    "SecurityOptions", "ERRORS", "ZafError", "TimeoutError",
    "ActorDiedError", "NoSuchActorError", "NoSuchClassError",
    "NoSuchMethodError", "NoSuchFunctionError", "NoSuchNodeError",
    "BadArgsError", "MethodFailedError", "NodeLostError", "BrokerLostError",
    "NameTakenError", "ProtocolError", "OverloadedError",
    "UnauthorizedError", "InterruptedError", "CancelledError",
    "NoResourcesError",
]

_default: Optional[Client] = None
_default_lock = threading.Lock()


def init(address: str, *, ignore_reinit_error: bool = False, **options: Any) -> Client:
    """Connect the default client to the broker at ``address`` (like
    ``ray.init(address=...)``) and return it. ``options`` go to
    :class:`Client` (``name``, ``connect_timeout``, ``on_error``,
    ``security``)."""
    global _default
    with _default_lock:
        if _default is not None:
            if ignore_reinit_error:
                return _default
            raise RuntimeError("zaf.init was already called; call zaf.shutdown first")
        _default = Client(address, **options)
        return _default


def is_initialized() -> bool:
    """True between :func:`init` and :func:`shutdown`."""
    return _default is not None


def default_client() -> Client:
    """The default client (raises if :func:`init` was not called)."""
    current = _default
    if current is None:
        raise RuntimeError("call zaf.init(address) first")
    return current


def shutdown() -> None:
    """Close the default client: kill the actors it owns, say BYE."""
    global _default
    with _default_lock:
        current, _default = _default, None
    if current is not None:
        current.shutdown()


def spawn(cls: str, *args: Any, **options: Any) -> ActorHandle:
    """Create an actor of class ``cls``; see :meth:`Client.spawn`."""
    return default_client().spawn(cls, *args, **options)


def get_actor(name: str, timeout: Optional[float] = 10.0) -> ActorHandle:
    """The live actor registered under ``name`` (like ``ray.get_actor``)."""
    return default_client().get_actor(name, timeout=timeout)


def submit(function: str, *args: Any, **placement: Any) -> ObjectRef:
    """Run a registered remote function; returns the future of its result
    (``f.remote(*args)`` in Ray). ``placement``: the keyword options of
    :meth:`Client.submit` (resources, labels, affinity, strategy)."""
    return default_client().submit(function, *args, **placement)


def kill(actor: ActorHandle, *, wait: bool = True, timeout: Optional[float] = 10.0) -> None:
    """End an actor (like ``ray.kill``)."""
    target = actor.client if isinstance(actor, ActorHandle) else default_client()
    target.kill(actor, wait=wait, timeout=timeout)


def monitor(actor: ActorHandle) -> ObjectRef:
    """A future resolved with ``{"actor", "reason"}`` when the actor ends."""
    target = actor.client if isinstance(actor, ActorHandle) else default_client()
    return target.monitor(actor)


def cluster_info() -> Dict[str, Any]:
    """Broker, session and live nodes of the default client's cluster."""
    return default_client().cluster_info()
