"""Property tables of the STIX Cyber-observable Objects (§6), after ``stix2.v21.observables``.

SCOs carry only ``type``, ``spec_version`` (optional), ``id``, ``object_marking_refs``,
``granular_markings``, ``defanged`` and ``extensions`` of the common properties (§3.2).
"""

from __future__ import annotations

from hub.stix import _constraints as cc
from hub.stix import vocab
from hub.stix._checkers import (
    BINARY,
    BOOLEAN,
    DICTIONARY,
    HEX,
    STRING,
    TIMESTAMP,
    Checker,
    Constraint,
    Schema,
    at_least_one,
    enum,
    hashes,
    integer,
    list_of,
)
from hub.stix._embedded import (
    EMAIL_MIME_COMPONENTS,
    GRANULAR_MARKINGS,
    STRINGS,
    WINDOWS_REGISTRY_VALUES,
    X509_V3_EXTENSIONS_TYPE,
    refs_to,
)
from hub.stix._sdo_schemas import FIXED, MARKING_REFS, SPEC_VERSION
from hub.stix.extensions import EXTENSIONS

__all__ = ["SCO_COMMON", "SCO_SCHEMAS"]

#: §3.2 common properties of SCOs.
SCO_COMMON: dict[str, Checker] = {
    "type": FIXED,
    "spec_version": SPEC_VERSION,
    "id": FIXED,
    "object_marking_refs": MARKING_REFS,
    "granular_markings": GRANULAR_MARKINGS,
    "defanged": BOOLEAN,
    "extensions": EXTENSIONS,
}
_REQUIRED = frozenset({"type", "id"})
HASHES = hashes()
UINT = integer(0)
EMAIL_ADDR = refs_to("email-addr")
USER_ACCOUNT = refs_to("user-account")
ARTIFACT = refs_to("artifact")
ADDRESS = refs_to("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")


def _sco(
    props: dict[str, Checker], required: tuple[str, ...] = (), constraint: Constraint | None = None
) -> Schema:
    return Schema(SCO_COMMON | props, _REQUIRED | frozenset(required), constraint)


def _ip() -> Schema:
    return _sco(
        {
            "value": STRING,
            "resolves_to_refs": list_of(refs_to("mac-addr")),
            "belongs_to_refs": list_of(refs_to("autonomous-system")),
        },
        ("value",),
    )


_X509_PROPS: dict[str, Checker] = {
    "is_self_signed": BOOLEAN,
    "hashes": HASHES,
    "version": STRING,
    "serial_number": STRING,
    "signature_algorithm": STRING,
    "issuer": STRING,
    "validity_not_before": TIMESTAMP,
    "validity_not_after": TIMESTAMP,
    "subject": STRING,
    "subject_public_key_algorithm": STRING,
    "subject_public_key_modulus": STRING,
    "subject_public_key_exponent": integer(),
    "x509_v3_extensions": X509_V3_EXTENSIONS_TYPE,
}

SCO_SCHEMAS: dict[str, Schema] = {
    "artifact": _sco(
        {
            "mime_type": STRING,
            "payload_bin": BINARY,
            "url": STRING,
            "hashes": HASHES,
            "encryption_algorithm": enum(vocab.ENCRYPTION_ALGORITHM),
            "decryption_key": STRING,
        },
        constraint=cc.artifact,
    ),
    "autonomous-system": _sco({"number": integer(), "name": STRING, "rir": STRING}, ("number",)),
    "directory": _sco(
        {
            "path": STRING,
            "path_enc": STRING,
            "ctime": TIMESTAMP,
            "mtime": TIMESTAMP,
            "atime": TIMESTAMP,
            "contains_refs": list_of(refs_to("file", "directory")),
        },
        ("path",),
    ),
    "domain-name": _sco(
        {
            "value": STRING,
            "resolves_to_refs": list_of(refs_to("ipv4-addr", "ipv6-addr", "domain-name")),
        },
        ("value",),
    ),
    "email-addr": _sco(
        {"value": STRING, "display_name": STRING, "belongs_to_ref": USER_ACCOUNT}, ("value",)
    ),
    "email-message": _sco(
        {
            "is_multipart": BOOLEAN,
            "date": TIMESTAMP,
            "content_type": STRING,
            "from_ref": EMAIL_ADDR,
            "sender_ref": EMAIL_ADDR,
            "to_refs": list_of(EMAIL_ADDR),
            "cc_refs": list_of(EMAIL_ADDR),
            "bcc_refs": list_of(EMAIL_ADDR),
            "message_id": STRING,
            "subject": STRING,
            "received_lines": STRINGS,
            "additional_header_fields": DICTIONARY,
            "body": STRING,
            "body_multipart": EMAIL_MIME_COMPONENTS,
            "raw_email_ref": ARTIFACT,
        },
        ("is_multipart",),
        cc.email_message,
    ),
    "file": _sco(
        {
            "hashes": HASHES,
            "size": UINT,
            "name": STRING,
            "name_enc": STRING,
            "magic_number_hex": HEX,
            "mime_type": STRING,
            "ctime": TIMESTAMP,
            "mtime": TIMESTAMP,
            "atime": TIMESTAMP,
            "parent_directory_ref": refs_to("directory"),
            "contains_refs": list_of(refs_to(classes=("SCO",))),
            "content_ref": ARTIFACT,
        },
        constraint=at_least_one("hashes", "name"),
    ),
    "ipv4-addr": _ip(),
    "ipv6-addr": _ip(),
    "mac-addr": _sco({"value": STRING}, ("value",)),
    "mutex": _sco({"name": STRING}, ("name",)),
    "network-traffic": _sco(
        {
            "start": TIMESTAMP,
            "end": TIMESTAMP,
            "is_active": BOOLEAN,
            "src_ref": ADDRESS,
            "dst_ref": ADDRESS,
            "src_port": integer(0, 65535),
            "dst_port": integer(0, 65535),
            "protocols": STRINGS,
            "src_byte_count": UINT,
            "dst_byte_count": UINT,
            "src_packets": UINT,
            "dst_packets": UINT,
            "ipfix": DICTIONARY,
            "src_payload_ref": ARTIFACT,
            "dst_payload_ref": ARTIFACT,
            "encapsulates_refs": list_of(refs_to("network-traffic")),
            "encapsulated_by_ref": refs_to("network-traffic"),
        },
        ("protocols",),
        cc.network_traffic,
    ),
    "process": _sco(
        {
            "is_hidden": BOOLEAN,
            "pid": integer(),
            "created_time": TIMESTAMP,
            "cwd": STRING,
            "command_line": STRING,
            "environment_variables": DICTIONARY,
            "opened_connection_refs": list_of(refs_to("network-traffic")),
            "creator_user_ref": USER_ACCOUNT,
            "image_ref": refs_to("file"),
            "parent_ref": refs_to("process"),
            "child_refs": list_of(refs_to("process")),
        },
        constraint=cc.process,
    ),
    "software": _sco(
        {
            "name": STRING,
            "cpe": STRING,
            "swid": STRING,
            "languages": STRINGS,
            "vendor": STRING,
            "version": STRING,
        },
        ("name",),
    ),
    "url": _sco({"value": STRING}, ("value",)),
    "user-account": _sco(
        {
            "user_id": STRING,
            "credential": STRING,
            "account_login": STRING,
            "account_type": STRING,
            "display_name": STRING,
            "is_service_account": BOOLEAN,
            "is_privileged": BOOLEAN,
            "can_escalate_privs": BOOLEAN,
            "is_disabled": BOOLEAN,
            "account_created": TIMESTAMP,
            "account_expires": TIMESTAMP,
            "credential_last_changed": TIMESTAMP,
            "account_first_login": TIMESTAMP,
            "account_last_login": TIMESTAMP,
        }
    ),
    "windows-registry-key": _sco(
        {
            "key": STRING,
            "values": WINDOWS_REGISTRY_VALUES,
            "modified_time": TIMESTAMP,
            "creator_user_ref": USER_ACCOUNT,
            "number_of_subkeys": integer(),
        }
    ),
    "x509-certificate": _sco(_X509_PROPS, constraint=at_least_one(*_X509_PROPS)),
}
