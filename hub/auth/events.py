"""Authentication events for the audit trail: a tiny publish/subscribe hook plus a log line.

The audit trail subscribes with :func:`subscribe`; every successful or failed authentication
(a TAXII request, a token request) produces one :class:`AuthEvent`. Subscribers run
synchronously in the request's thread; one that raises is logged and does not break the request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Literal

__all__ = ["AuthEvent", "Outcome", "emit", "subscribe", "unsubscribe"]

log = logging.getLogger("hub.auth")

Outcome = Literal["success", "failure", "denied", "throttled"]
Subscriber = Callable[["AuthEvent"], None]


@dataclass(frozen=True, slots=True)
class AuthEvent:
    """One authentication attempt and how it ended.

    `method` is ``basic`` or ``bearer`` on the API, or the RFC 7591 token endpoint
    authentication method (``client_secret_basic``, ``client_secret_post``,
    ``private_key_jwt``) on ``/oauth/token``. `reason` is a short code such as ``ok``,
    ``bad-secret``, ``unknown-client``, ``revoked``, ``token-expired``, ``insufficient-scope``.
    """

    client_id: str | None
    tenant: str | None
    source: str | None
    outcome: Outcome
    reason: str
    method: str
    token_id: str | None = None
    time: datetime = field(default_factory=lambda: datetime.now(UTC))


_subscribers: list[Subscriber] = []
_lock = threading.Lock()


def subscribe(callback: Subscriber) -> Callable[[], None]:
    """Call `callback` with every future event; returns a function that unsubscribes it."""
    with _lock:
        _subscribers.append(callback)
    return lambda: unsubscribe(callback)


def unsubscribe(callback: Subscriber) -> None:
    """Stop calling `callback` (no error if it was not subscribed)."""
    with _lock:
        if callback in _subscribers:
            _subscribers.remove(callback)


def emit(event: AuthEvent) -> None:
    """Log `event` (failures at WARNING) and hand it to every subscriber."""
    level = logging.DEBUG if event.outcome == "success" else logging.WARNING
    if event.outcome == "success" and event.token_id:
        level = logging.INFO  # a token was issued
    if log.isEnabledFor(level):
        extra = {k: v for k, v in asdict(event).items() if k != "time" and v is not None}
        log.log(level, f"authentication {event.outcome}", extra={"auth": extra})
    for callback in tuple(_subscribers):
        try:
            callback(event)
        except Exception:
            log.exception("an authentication event subscriber failed")
