"""Embedded STIX 2.1 types and the predefined SCO extensions, as checker tables.

External reference (§2.5), kill-chain phase (§2.11), granular marking (§7.2.3.1), email MIME
component (§6.6.2), the Windows PE types (§6.7.6.2-3), alternate data stream (§6.7.3.2), registry
value (§6.17.2), X.509 v3 extensions (§6.18.2), and the extensions of §6.7.2-6 (file), §6.12.2-5
(network-traffic), §6.13.2-3 (process) and §6.16.2 (user-account). Tables follow the classes of
``stix2.v21.common`` and ``stix2.v21.observables`` property by property.
"""

from __future__ import annotations

from typing import Any

from hub.stix import vocab
from hub.stix._checkers import (
    BOOLEAN,
    DICTIONARY,
    HEX,
    SELECTOR,
    STRING,
    TIMESTAMP,
    Checker,
    Ctx,
    Schema,
    at_least_one,
    embedded,
    enum,
    exactly_one,
    hashes,
    integer,
    list_of,
    number,
    ref,
    show,
)
from hub.stix.identifiers import RefSpec

__all__ = [
    "EXTERNAL_REFERENCES",
    "GRANULAR_MARKINGS",
    "KILL_CHAIN_PHASES",
    "SCO_EXTENSIONS",
    "STRINGS",
    "refs_to",
]

INT = integer()
UINT = integer(0)
STRINGS = list_of(STRING)
HASHES = hashes()


def refs_to(*types: str, classes: tuple[str, ...] = ()) -> Checker:
    """A reference to an object of one of ``types`` or of the type ``classes`` (SDO/SCO/SRO)."""
    return ref(RefSpec(frozenset(classes), frozenset(types)))


EXTERNAL_REFERENCE = Schema(
    {
        "source_name": STRING,
        "description": STRING,
        "url": STRING,
        "hashes": hashes(vocabulary_only=True),
        "external_id": STRING,
    },
    frozenset({"source_name"}),
    at_least_one("description", "external_id", "url"),
)
KILL_CHAIN_PHASE = Schema(
    {"kill_chain_name": STRING, "phase_name": STRING},
    frozenset({"kill_chain_name", "phase_name"}),
)
GRANULAR_MARKING = Schema(
    {
        "lang": STRING,
        "marking_ref": refs_to("marking-definition"),
        "selectors": list_of(SELECTOR),
    },
    frozenset({"selectors"}),
    exactly_one("lang", "marking_ref"),
)
EXTERNAL_REFERENCES = list_of(embedded(EXTERNAL_REFERENCE))
KILL_CHAIN_PHASES = list_of(embedded(KILL_CHAIN_PHASE))
GRANULAR_MARKINGS = list_of(embedded(GRANULAR_MARKING))

EMAIL_MIME_COMPONENT = Schema(
    {
        "body": STRING,
        "body_raw_ref": refs_to("artifact", "file"),
        "content_type": STRING,
        "content_disposition": STRING,
    },
    constraint=at_least_one("body", "body_raw_ref"),
)
WINDOWS_REGISTRY_VALUE = Schema(
    {"name": STRING, "data": STRING, "data_type": enum(vocab.WINDOWS_REGISTRY_DATATYPE)}
)
X509_V3_EXTENSIONS = Schema(
    {
        name: TIMESTAMP if name.startswith("private_key_usage_period") else STRING
        for name in (
            "basic_constraints",
            "name_constraints",
            "policy_constraints",
            "key_usage",
            "extended_key_usage",
            "subject_key_identifier",
            "authority_key_identifier",
            "subject_alternative_name",
            "issuer_alternative_name",
            "subject_directory_attributes",
            "crl_distribution_points",
            "inhibit_any_policy",
            "private_key_usage_period_not_before",
            "private_key_usage_period_not_after",
            "certificate_policies",
            "policy_mappings",
        )
    }
)
ALTERNATE_DATA_STREAM = Schema({"name": STRING, "hashes": HASHES, "size": INT}, frozenset({"name"}))
WINDOWS_PE_SECTION = Schema(
    {"name": STRING, "size": UINT, "entropy": number(), "hashes": HASHES}, frozenset({"name"})
)
_PE_OPTIONAL_HEADER_PROPS: dict[str, Checker] = {
    "magic_hex": HEX,
    "major_linker_version": INT,
    "minor_linker_version": INT,
    "size_of_code": UINT,
    "size_of_initialized_data": UINT,
    "size_of_uninitialized_data": UINT,
    "address_of_entry_point": INT,
    "base_of_code": INT,
    "base_of_data": INT,
    "image_base": INT,
    "section_alignment": INT,
    "file_alignment": INT,
    "major_os_version": INT,
    "minor_os_version": INT,
    "major_image_version": INT,
    "minor_image_version": INT,
    "major_subsystem_version": INT,
    "minor_subsystem_version": INT,
    "win32_version_value_hex": HEX,
    "size_of_image": UINT,
    "size_of_headers": UINT,
    "checksum_hex": HEX,
    "subsystem_hex": HEX,
    "dll_characteristics_hex": HEX,
    "size_of_stack_reserve": UINT,
    "size_of_stack_commit": UINT,
    "size_of_heap_reserve": UINT,
    "size_of_heap_commit": UINT,
    "loader_flags_hex": HEX,
    "number_of_rva_and_sizes": INT,
    "hashes": HASHES,
}
WINDOWS_PE_OPTIONAL_HEADER = Schema(
    _PE_OPTIONAL_HEADER_PROPS, constraint=at_least_one(*_PE_OPTIONAL_HEADER_PROPS)
)


_SOCKET_OPTION_PREFIXES = ("SO_", "ICMP_", "ICMP6_", "IP_", "IPV6_", "MCAST_", "TCP_", "IRLMP_")


def _socket_options(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
    """§6.12.4: option names start with a known prefix; option values are integers."""
    for key, value in obj.get("options", {}).items():
        if key[: key.find("_") + 1] not in _SOCKET_OPTION_PREFIXES:
            ctx.fail(f"{prefix}.options", f"has key {show(key)}, not an SO_/IP_/TCP_... option")
        if type(value) is not int:
            ctx.fail(f"{prefix}.options.{key}", f"must be an integer, not {show(value)}")


def _extension(props: dict[str, Checker], required: tuple[str, ...] = ()) -> Schema:
    """A predefined extension: like stix2, it must carry at least one of its properties."""
    one = at_least_one(*props)
    if "options" not in props:
        return Schema(props, frozenset(required), one)

    def both(obj: dict[str, Any], ctx: Ctx, prefix: str) -> None:
        one(obj, ctx, prefix)
        _socket_options(obj, ctx, prefix)

    return Schema(props, frozenset(required), both)


#: The predefined extensions (§3.10), by extension name. Like stix2, the hub accepts them on any
#: object type and checks their content.
SCO_EXTENSIONS: dict[str, Schema] = {
    "archive-ext": _extension(
        {"contains_refs": list_of(refs_to("file", "directory")), "comment": STRING},
        ("contains_refs",),
    ),
    "ntfs-ext": _extension(
        {"sid": STRING, "alternate_data_streams": list_of(embedded(ALTERNATE_DATA_STREAM))}
    ),
    "pdf-ext": _extension(
        {
            "version": STRING,
            "is_optimized": BOOLEAN,
            "document_info_dict": DICTIONARY,
            "pdfid0": STRING,
            "pdfid1": STRING,
        }
    ),
    "raster-image-ext": _extension(
        {"image_height": INT, "image_width": INT, "bits_per_pixel": INT, "exif_tags": DICTIONARY}
    ),
    "windows-pebinary-ext": _extension(
        {
            "pe_type": STRING,
            "imphash": STRING,
            "machine_hex": HEX,
            "number_of_sections": UINT,
            "time_date_stamp": TIMESTAMP,
            "pointer_to_symbol_table_hex": HEX,
            "number_of_symbols": UINT,
            "size_of_optional_header": UINT,
            "characteristics_hex": HEX,
            "file_header_hashes": HASHES,
            "optional_header": embedded(WINDOWS_PE_OPTIONAL_HEADER),
            "sections": list_of(embedded(WINDOWS_PE_SECTION)),
        },
        ("pe_type",),
    ),
    "http-request-ext": _extension(
        {
            "request_method": STRING,
            "request_value": STRING,
            "request_version": STRING,
            "request_header": DICTIONARY,
            "message_body_length": INT,
            "message_body_data_ref": refs_to("artifact"),
        },
        ("request_method", "request_value"),
    ),
    "icmp-ext": _extension(
        {"icmp_type_hex": HEX, "icmp_code_hex": HEX}, ("icmp_type_hex", "icmp_code_hex")
    ),
    "socket-ext": _extension(
        {
            "address_family": enum(vocab.NETWORK_SOCKET_ADDRESS_FAMILY),
            "is_blocking": BOOLEAN,
            "is_listening": BOOLEAN,
            "options": DICTIONARY,
            "socket_type": enum(vocab.NETWORK_SOCKET_TYPE),
            "socket_descriptor": UINT,
            "socket_handle": INT,
        },
        ("address_family",),
    ),
    "tcp-ext": _extension({"src_flags_hex": HEX, "dst_flags_hex": HEX}),
    "windows-process-ext": _extension(
        {
            "aslr_enabled": BOOLEAN,
            "dep_enabled": BOOLEAN,
            "priority": STRING,
            "owner_sid": STRING,
            "window_title": STRING,
            "startup_info": DICTIONARY,
            "integrity_level": enum(vocab.WINDOWS_INTEGRITY_LEVEL),
        }
    ),
    "windows-service-ext": _extension(
        {
            "service_name": STRING,
            "descriptions": STRINGS,
            "display_name": STRING,
            "group_name": STRING,
            "start_type": enum(vocab.WINDOWS_SERVICE_START_TYPE),
            "service_dll_refs": list_of(refs_to("file")),
            "service_type": enum(vocab.WINDOWS_SERVICE_TYPE),
            "service_status": enum(vocab.WINDOWS_SERVICE_STATUS),
        }
    ),
    "unix-account-ext": _extension(
        {"gid": INT, "groups": STRINGS, "home_dir": STRING, "shell": STRING}
    ),
}

EMAIL_MIME_COMPONENTS = list_of(embedded(EMAIL_MIME_COMPONENT))
WINDOWS_REGISTRY_VALUES = list_of(embedded(WINDOWS_REGISTRY_VALUE))
X509_V3_EXTENSIONS_TYPE = embedded(X509_V3_EXTENSIONS)
