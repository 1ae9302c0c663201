"""The closed STIX 2.1 enumerations (§10) and the hash-algorithm vocabulary (§10.7).

Open vocabularies (``-ov``) accept any string, as in the ``stix2`` library, so only the
enumerations (``-enum``) are listed here. ``tests/stix`` checks these against ``stix2.v21.vocab``.
"""

from __future__ import annotations

__all__ = [
    "ENCRYPTION_ALGORITHM",
    "EXTENSION_TYPE",
    "HASHING_ALGORITHM",
    "NETWORK_SOCKET_ADDRESS_FAMILY",
    "NETWORK_SOCKET_TYPE",
    "OPINION",
    "WINDOWS_INTEGRITY_LEVEL",
    "WINDOWS_REGISTRY_DATATYPE",
    "WINDOWS_SERVICE_START_TYPE",
    "WINDOWS_SERVICE_STATUS",
    "WINDOWS_SERVICE_TYPE",
]

#: §10.4 encryption-algorithm-enum
ENCRYPTION_ALGORITHM = frozenset({"AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"})
#: §10.5 extension-type-enum
EXTENSION_TYPE = frozenset(
    {"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}
)
#: §10.7 hash-algorithm-ov
HASHING_ALGORITHM = frozenset(
    {"MD5", "SHA-1", "SHA-256", "SHA-512", "SHA3-256", "SHA3-512", "SSDEEP", "TLSH"}
)
#: §10.16 network-socket-address-family-enum
NETWORK_SOCKET_ADDRESS_FAMILY = frozenset(
    {
        "AF_UNSPEC",
        "AF_INET",
        "AF_IPX",
        "AF_APPLETALK",
        "AF_NETBIOS",
        "AF_INET6",
        "AF_IRDA",
        "AF_BTH",
    }
)
#: §10.17 network-socket-type-enum
NETWORK_SOCKET_TYPE = frozenset(
    {"SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"}
)
#: §10.18 opinion-enum
OPINION = frozenset({"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})
#: §10.27 windows-integrity-level-enum
WINDOWS_INTEGRITY_LEVEL = frozenset({"low", "medium", "high", "system"})
#: §10.29 windows-registry-datatype-enum
WINDOWS_REGISTRY_DATATYPE = frozenset(
    {
        "REG_NONE",
        "REG_SZ",
        "REG_EXPAND_SZ",
        "REG_BINARY",
        "REG_DWORD",
        "REG_DWORD_BIG_ENDIAN",
        "REG_DWORD_LITTLE_ENDIAN",
        "REG_LINK",
        "REG_MULTI_SZ",
        "REG_RESOURCE_LIST",
        "REG_FULL_RESOURCE_DESCRIPTION",
        "REG_RESOURCE_REQUIREMENTS_LIST",
        "REG_QWORD",
        "REG_INVALID_TYPE",
    }
)
#: §10.30 windows-service-start-type-enum
WINDOWS_SERVICE_START_TYPE = frozenset(
    {
        "SERVICE_AUTO_START",
        "SERVICE_BOOT_START",
        "SERVICE_DEMAND_START",
        "SERVICE_DISABLED",
        "SERVICE_SYSTEM_ALERT",
    }
)
#: §10.31 windows-service-type-enum
WINDOWS_SERVICE_TYPE = frozenset(
    {
        "SERVICE_KERNEL_DRIVER",
        "SERVICE_FILE_SYSTEM_DRIVER",
        "SERVICE_WIN32_OWN_PROCESS",
        "SERVICE_WIN32_SHARE_PROCESS",
    }
)
#: §10.32 windows-service-status-enum
WINDOWS_SERVICE_STATUS = frozenset(
    {
        "SERVICE_CONTINUE_PENDING",
        "SERVICE_PAUSE_PENDING",
        "SERVICE_PAUSED",
        "SERVICE_RUNNING",
        "SERVICE_START_PENDING",
        "SERVICE_STOP_PENDING",
        "SERVICE_STOPPED",
    }
)
