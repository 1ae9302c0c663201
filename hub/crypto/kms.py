"""Key providers: where the master key lives, and the one interface the hub uses to reach it.

The master key is the root of the hierarchy (master key → tenant keys → data keys → fields). It
only ever wraps and unwraps tenant keys (a few per tenant, cached in memory), so a provider call
is never on the per-object hot path. Two providers:

* ``local`` (:mod:`hub.crypto.kms_local`) — the embedded default: master keys in the keyring file
  that `fusion-hub init` creates (mode 0600), or one key given as ``HUB_MASTER_KEY``.
* ``pkcs11`` (:mod:`hub.crypto.kms_pkcs11`) — the master key is a non-extractable AES key inside
  an HSM; wrapping happens in the token.

A wrapped key is the binary envelope of :mod:`hub.crypto.envelope`; it names the master key that
wrapped it, so master keys rotate without a flag day.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, SecretStr

from hub.crypto.envelope import parse

__all__ = ["KeyProvider", "KmsConfig", "build_key_provider", "wrapping_key_id"]


@runtime_checkable
class KeyProvider(Protocol):
    """A key management service holding master keys that never reach the database."""

    #: ``local`` or ``pkcs11``.
    name: str

    @property
    def key_id(self) -> str:
        """The id of the current master key (the one :meth:`wrap` uses)."""
        ...

    def wrap(self, plaintext_key: bytes, aad: bytes) -> bytes:
        """Wrap a key under the current master key, bound to `aad` (RFC 5116 AEAD)."""
        ...

    def unwrap(self, wrapped: bytes, aad: bytes) -> bytes:
        """Unwrap with the master key the envelope names; any failure is ``DecryptionFailed``."""
        ...

    def rotate(self) -> str:
        """Create a new master key and make it current; returns its id. Old keys still unwrap."""
        ...

    def key_ids(self) -> list[str]:
        """Every master key the provider holds."""
        ...

    def destroy(self, key_id: str) -> None:
        """Delete a retired master key for good (never the current one)."""
        ...


def wrapping_key_id(wrapped: bytes) -> str:
    """The id of the key that wrapped `wrapped` (master key id, or tenant key id)."""
    return parse(wrapped).kid


class KmsConfig(BaseModel):
    """How to reach the master key. The hub builds it from its settings (``HUB_KMS_*``)."""

    model_config = ConfigDict(frozen=True)

    provider: Literal["local", "pkcs11"] = "local"
    #: ``HUB_MASTER_KEY``: a base64 256-bit master key instead of the keyring file's.
    master_key: SecretStr | None = None
    #: Master keys being rotated away from (base64), still accepted for unwrapping.
    previous_master_keys: tuple[SecretStr, ...] = ()
    pkcs11_library: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_token_label: str = "fusion-hub"  # noqa: S105 - a token label, not a secret
    pkcs11_pin: SecretStr | None = None
    pkcs11_key_label: str = "fusion-hub-master"
    pkcs11_pool_size: int = 4


def build_key_provider(config: KmsConfig, data_dir: Path) -> KeyProvider:
    """The configured provider. Connects to nothing until first use."""
    if config.provider == "pkcs11":
        from hub.crypto.errors import KeyUnavailable
        from hub.crypto.kms_pkcs11 import Pkcs11KeyProvider

        if config.pkcs11_pin is None:
            raise KeyUnavailable("the pkcs11 key provider needs HUB_PKCS11_PIN")
        return Pkcs11KeyProvider(
            library=config.pkcs11_library,
            token_label=config.pkcs11_token_label,
            pin=config.pkcs11_pin.get_secret_value(),
            key_label=config.pkcs11_key_label,
            pool_size=config.pkcs11_pool_size,
        )
    from hub.crypto.kms_local import LocalKeyProvider

    if config.master_key is not None:
        return LocalKeyProvider.from_master_key(
            config.master_key.get_secret_value(),
            previous=[k.get_secret_value() for k in config.previous_master_keys],
        )
    return LocalKeyProvider.from_data_dir(data_dir)
