"""Field protection for one hub process: the switch and the key service, found from the database.

Publishing, grant re-evaluation (run by jobs, the tenant sync or the policy service) and reading
all seal, verify and unseal with one :class:`hub.crypto.KeyService` per process. They reach it
through the database they work on — :func:`protection_for` accepts a :class:`Database`, an
engine or any session bound to one, and finds the protection registered for that database's
URL — so callers that hold only a session need no new parameter.
:class:`hub.runtime.Hub` registers its own at creation; a process without a Hub (a CLI command)
gets one built from the environment's settings, and only when a protected row needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from hub.crypto import EXTENSION_ID, KeyService, KeyUnavailable, build_key_provider
from hub.crypto.delivery import RecipientKey, recipient_key
from hub.crypto.errors import InvalidValue
from hub.sharing.extension import RED_RECIPIENTS_EXTENSION_ID
from hub.stix import register_hub_extension
from hub.store.db import Database
from hub.store.sealed import public_keys

__all__ = [
    "FieldProtection",
    "forget_cached_keys",
    "protection_for",
    "recipient_for",
    "register",
    "register_extensions",
    "registered",
]


class FieldProtection:
    """Whether this process seals protected fields, and its key service (built on first use)."""

    def __init__(self, *, enabled: bool, keys: Callable[[], KeyService]) -> None:
        self.enabled = enabled
        self._factory = keys
        self._keys: KeyService | None = None
        self._lock = threading.Lock()

    @property
    def keys(self) -> KeyService:
        """The key service; :class:`hub.crypto.KeyUnavailable` if the KMS cannot be reached."""
        if self._keys is None:
            with self._lock:
                if self._keys is None:
                    self._keys = self._factory()
        return self._keys

    @property
    def ready(self) -> bool:
        """True once the key service was built (nothing connects before)."""
        return self._keys is not None


#: Database URL → protection: every engine on one database shares its process's key service.
_registry: dict[str, FieldProtection] = {}
_registry_lock = threading.Lock()


def _engine(target: Database | Session | Engine) -> Engine:
    if isinstance(target, Database):
        return target.engine
    if isinstance(target, Engine):
        return target
    bind = target.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def register(db: Database, protection: FieldProtection) -> None:
    """Make `protection` the one every caller working on `db` uses."""
    register_extensions()
    with _registry_lock:
        _registry[_key(db.engine)] = protection


def registered(target: Database | Session | Engine) -> FieldProtection | None:
    """The protection registered for this database, if any (never builds one)."""
    with _registry_lock:
        return _registry.get(_key(_engine(target)))


def forget_cached_keys() -> None:
    """Drop the cached tenant keys of every registered protection (after a database restore)."""
    with _registry_lock:
        protections = list(_registry.values())
    for protection in protections:
        if protection.ready:
            protection.keys.forget()


def protection_for(target: Database | Session | Engine) -> FieldProtection:
    """The protection of this database: the registered one, else one from the environment."""
    engine = _engine(target)
    with _registry_lock:
        found = _registry.get(_key(engine))
        if found is None:
            found = _registry[_key(engine)] = _from_environment(engine)
    return found


def _from_environment(engine: Engine) -> FieldProtection:
    from hub.settings import Settings

    try:
        settings = Settings()
    except ValueError as exc:
        problem = str(exc).splitlines()[0]

        def unavailable() -> KeyService:
            raise KeyUnavailable(f"the hub's settings are invalid: {problem}")

        return FieldProtection(enabled=True, keys=unavailable)

    def build() -> KeyService:
        db = Database(engine.url.render_as_string(hide_password=False), pool_size=2)
        provider = build_key_provider(settings.kms_config(), settings.data_dir)
        return KeyService(db, provider, cache_ttl=settings.key_cache_ttl)

    return FieldProtection(enabled=settings.field_encryption, keys=build)


def register_extensions() -> None:
    """Declare the hub's own extension definitions to the validator (STIX 2.1 §7.3)."""
    register_hub_extension(EXTENSION_ID)
    register_hub_extension(RED_RECIPIENTS_EXTENSION_ID)


def recipient_for(session: Session, tenant_id: int) -> RecipientKey | None:
    """The tenant's key for fields delivered encrypted: its first usable registered JWK."""
    for jwk in public_keys(session, tenant_id):
        try:
            return recipient_key(jwk)
        except InvalidValue:
            continue
    return None
