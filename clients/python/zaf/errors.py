"""Errors: one :class:`ZafError` subclass per protocol error code.

Every failure a request can meet is an error object on the wire,
``{"code": "NO_SUCH_ACTOR", "message": "..."}`` (docs/PROTOCOL.md, section
6). The client raises it as the subclass named after its code, so that
``except zaf.ActorDiedError`` catches ``ACTOR_DIED``. ``TIMEOUT``,
``BROKER_LOST`` and ``INTERRUPTED`` are also raised locally by the client.
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, Type


class ZafError(Exception):
    """A zaf request failed. ``code`` is the protocol's error code."""

    code: str = "PROTOCOL"

    def __init__(self, message: str = "", code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.message else self.code

    @staticmethod
    def from_wire(error: Any) -> "ZafError":
        """Build the error an error object names. An unknown code, or an
        object that is not ``{"code": str, "message": str}``, reads as
        PROTOCOL (as the protocol requires)."""
        if not isinstance(error, dict):
            return ProtocolError(f"unreadable error object: {error!r}")
        code = error.get("code")
        message = error.get("message")
        if not isinstance(message, str):
            message = ""
        cls = ERRORS.get(code) if isinstance(code, str) else None
        if cls is None:
            return ProtocolError(f"unknown error code {code!r}: {message}")
        return cls(message)


class TimeoutError(ZafError, builtins.TimeoutError):
    """TIMEOUT: a wait ran out of time (raised locally by ``get``), or a
    method ran past its ``call_deadline_ms``."""
    code = "TIMEOUT"


class ActorDiedError(ZafError):
    """ACTOR_DIED: the actor ended before or while serving the request."""
    code = "ACTOR_DIED"


class NoSuchActorError(ZafError):
    """NO_SUCH_ACTOR: no actor was ever known by that id, or no live actor
    has that name."""
    code = "NO_SUCH_ACTOR"


class NoSuchClassError(ZafError):
    """NO_SUCH_CLASS: no live node serves the class."""
    code = "NO_SUCH_CLASS"


class NoSuchMethodError(ZafError):
    """NO_SUCH_METHOD: the actor's class has no method of that name."""
    code = "NO_SUCH_METHOD"


class NoSuchFunctionError(ZafError):
    """NO_SUCH_FUNCTION: no live node serves the remote function."""
    code = "NO_SUCH_FUNCTION"


class NoSuchNodeError(ZafError):
    """NO_SUCH_NODE: no live node has the name the spawn asked for."""
    code = "NO_SUCH_NODE"


class BadArgsError(ZafError):
    """BAD_ARGS: arguments or options were refused."""
    code = "BAD_ARGS"


class MethodFailedError(ZafError):
    """METHOD_FAILED: the method or task failed without a code of its own."""
    code = "METHOD_FAILED"


class NodeLostError(ZafError):
    """NODE_LOST: the node serving the request was lost."""
    code = "NODE_LOST"


class BrokerLostError(ZafError):
    """BROKER_LOST: the broker went away; the request may or may not have
    run. Raised locally."""
    code = "BROKER_LOST"


class NameTakenError(ZafError):
    """NAME_TAKEN: a live actor already holds the name."""
    code = "NAME_TAKEN"


class ProtocolError(ZafError):
    """PROTOCOL: a peer broke the protocol, or an unknown error code."""
    code = "PROTOCOL"


class OverloadedError(ZafError):
    """OVERLOADED: a queue on the path is full; try again later."""
    code = "OVERLOADED"


class UnauthorizedError(ZafError):
    """UNAUTHORIZED: the peer may not do that."""
    code = "UNAUTHORIZED"


class InterruptedError(ZafError):
    """INTERRUPTED: the client is shutting down."""
    code = "INTERRUPTED"


class CancelledError(ZafError):
    """CANCELLED: the caller cancelled the call."""
    code = "CANCELLED"


class NoResourcesError(ZafError):
    """NO_RESOURCES: no live node has the resources or labels asked for."""
    code = "NO_RESOURCES"


#: Error class by protocol code.
ERRORS: Dict[str, Type[ZafError]] = {
    cls.code: cls
    for cls in (
        TimeoutError, ActorDiedError, NoSuchActorError, NoSuchClassError,
        NoSuchMethodError, NoSuchFunctionError, NoSuchNodeError, BadArgsError,
        MethodFailedError, NodeLostError, BrokerLostError, NameTakenError,
        ProtocolError, OverloadedError, UnauthorizedError, InterruptedError,
        CancelledError,
        NoResourcesError,
    )
}
