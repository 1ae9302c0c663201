"""The hub's process-wide parts, built once by `create_app` and reached through dependencies."""

from __future__ import annotations

from functools import cached_property

from hub.crypto import KeyService, build_key_provider
from hub.crypto.keyring import LocalKeyring
from hub.objects.protection import FieldProtection
from hub.objects.protection import register as register_protection
from hub.settings import Settings
from hub.store.db import Database
from hub.taxii.pagination import PageTokens

__all__ = ["Hub"]


class Hub:
    """Settings, database and key material of one hub process. Connects nothing on creation."""

    def __init__(self, settings: Settings, *, database: Database | None = None) -> None:
        self.settings = settings
        self.db = database or Database(settings.database_url, pool_size=settings.db_pool_size)
        #: Field protection of this process; every domain function working on `db` finds it.
        self.protection = FieldProtection(enabled=settings.field_encryption, keys=lambda: self.keys)
        register_protection(self.db, self.protection)

    @cached_property
    def keys(self) -> KeyService:
        """The process's key service (docs/crypto.md): tenant keys unwrapped by the configured
        KMS (``HUB_KMS_PROVIDER``), cached for ``HUB_KEY_CACHE_TTL`` seconds. Built on first use."""
        provider = build_key_provider(self.settings.kms_config(), self.settings.data_dir)
        return KeyService(self.db, provider, cache_ttl=self.settings.key_cache_ttl)

    @cached_property
    def keyring(self) -> LocalKeyring:
        """The local keyring (created by `fusion-hub init`), loaded on first use."""
        keyring = LocalKeyring(self.settings.data_dir / "keyring.json")
        keyring.load()
        return keyring

    @cached_property
    def page_tokens(self) -> PageTokens:
        """Issuer of the TAXII `next` tokens, keyed from the keyring."""
        return PageTokens(self.keyring.secret("pagination"))

    def close(self) -> None:
        """Release the database pool."""
        self.db.dispose()
