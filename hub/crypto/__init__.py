"""Key material and cryptography. Knows no STIX and no HTTP (except :mod:`.extension`, the
recipient-facing STIX property extension).

Public API — see docs/crypto.md for the formats and the key hierarchy:

* keys: :class:`KeyService` (tenant keys from the database, data keys, rotation, shredding),
  :class:`KeyProvider` with :func:`build_key_provider` (``local`` keyring / ``HUB_MASTER_KEY``,
  ``pkcs11`` HSM);
* fields: :func:`encrypt_field`, :func:`decrypt_field`, :class:`ObjectContext`,
  :class:`FieldContext`, :class:`DataKey`;
* integrity and search: :func:`row_mac`, :func:`verify_row_mac`, :class:`BlindIndex`,
  :func:`blind_index`;
* delivery: :func:`encrypt_for_recipient`, :class:`RecipientSealer`, :func:`protect_fields`,
  :func:`open_protected_fields`, :data:`EXTENSION_ID`;
* the one opaque failure: :class:`DecryptionFailed`.

The PKCS#11 provider (and so ``python-pkcs11``) is imported only when configured.
"""

from hub.crypto.blind_index import BlindIndex, FieldKind, blind_index, normalise, plan_bits
from hub.crypto.context import FieldContext, ObjectContext
from hub.crypto.delivery import RecipientSealer, encrypt_for_recipient, recipient_key
from hub.crypto.errors import (
    CryptoError,
    DecryptionFailed,
    InvalidValue,
    KeyStateError,
    KeyUnavailable,
)
from hub.crypto.extension import (
    EXTENSION_ID,
    extension_definition,
    open_protected_fields,
    protect_fields,
)
from hub.crypto.fields import DataKey, decrypt_field, encrypt_field, is_ciphertext
from hub.crypto.kms import KeyProvider, KmsConfig, build_key_provider
from hub.crypto.mac import row_mac, verify_row_mac
from hub.crypto.service import KeyService, MasterRotation
from hub.crypto.tenant_keys import TenantKey, TenantRoot

__all__ = [
    "EXTENSION_ID",
    "BlindIndex",
    "CryptoError",
    "DataKey",
    "DecryptionFailed",
    "FieldContext",
    "FieldKind",
    "InvalidValue",
    "KeyProvider",
    "KeyService",
    "KeyStateError",
    "KeyUnavailable",
    "KmsConfig",
    "MasterRotation",
    "ObjectContext",
    "RecipientSealer",
    "TenantKey",
    "TenantRoot",
    "blind_index",
    "build_key_provider",
    "decrypt_field",
    "encrypt_field",
    "encrypt_for_recipient",
    "extension_definition",
    "is_ciphertext",
    "normalise",
    "open_protected_fields",
    "plan_bits",
    "protect_fields",
    "recipient_key",
    "row_mac",
    "verify_row_mac",
]
