"""Table tests of validate_object: granular markings, extensions and custom content (§7, §11)."""

from __future__ import annotations

from typing import Any

import pytest
from stix_minimal import (
    DELETE,
    EXT_DEF,
    IDENTITY,
    MINIMAL,
    OK,
    SHA256,
    TLP_GREEN,
    check,
    sid,
    variant,
)

GRANULAR = [
    pytest.param(
        variant("tool", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["name"]}]),
        False,
        OK,
        id="gm",
    ),
    pytest.param(
        variant("tool", granular_markings=[{"lang": "fr", "selectors": ["name"]}]),
        False,
        OK,
        id="gm-lang",
    ),
    pytest.param(
        variant(
            "tool",
            granular_markings=[{"lang": "fr", "marking_ref": TLP_GREEN, "selectors": ["name"]}],
        ),
        False,
        ("granular_markings[0]", "exactly one of"),
        id="gm-both",
    ),
    pytest.param(
        variant("tool", granular_markings=[{"selectors": ["name"]}]),
        False,
        ("granular_markings[0]", "exactly one of"),
        id="gm-neither",
    ),
    pytest.param(
        variant("tool", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": []}]),
        False,
        ("granular_markings[0].selectors", "empty list"),
        id="gm-no-selectors",
    ),
    pytest.param(
        variant("tool", granular_markings=[{"marking_ref": IDENTITY, "selectors": ["name"]}]),
        False,
        ("granular_markings[0].marking_ref", "marking-definition"),
        id="gm-ref-identity",
    ),
    pytest.param(
        variant("tool", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["Name"]}]),
        False,
        ("granular_markings[0].selectors[0]", "selector"),
        id="gm-bad-syntax",
    ),
    pytest.param(
        variant(
            "tool", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["description"]}]
        ),
        False,
        ("granular_markings[0].selectors[0]", "selects nothing"),
        id="gm-absent",
    ),
    pytest.param(
        variant(
            "tool",
            aliases=["a"],
            granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["aliases.[1]"]}],
        ),
        False,
        ("granular_markings[0].selectors[0]", "selects nothing"),
        id="gm-index-out",
    ),
    pytest.param(
        variant(
            "tool",
            aliases=["a"],
            granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["aliases.[0]"]}],
        ),
        False,
        OK,
        id="gm-index",
    ),
    pytest.param(
        variant(
            "tool",
            external_references=[{"source_name": "s", "url": "u"}],
            granular_markings=[
                {"marking_ref": TLP_GREEN, "selectors": ["external_references.[0].source_name"]}
            ],
        ),
        False,
        OK,
        id="gm-nested",
    ),
    pytest.param(
        variant("tool", granular_markings=[{"marking_ref": TLP_GREEN, "selectors": ["name.[0]"]}]),
        False,
        ("granular_markings[0].selectors[0]", "selects nothing"),
        id="gm-index-into-string",
    ),
]
EXTENSIONS = [
    pytest.param(
        variant("tool", extensions={EXT_DEF: {"extension_type": "property-extension", "rank": 1}}),
        False,
        OK,
        id="ext-def",
    ),
    pytest.param(
        variant("tool", extensions={"extension-definition--1234": {}}),
        False,
        ("extensions.extension-definition--1234", "identifier"),
        id="ext-def-bad-id",
    ),
    pytest.param(
        variant("tool", extensions={EXT_DEF: "x"}),
        False,
        (f"extensions.{EXT_DEF}", "JSON object"),
        id="ext-not-object",
    ),
    pytest.param(variant("tool", extensions={}), False, ("extensions", "empty"), id="ext-empty"),
    pytest.param(
        variant("tool", extensions=[]), False, ("extensions", "dictionary"), id="ext-list"
    ),
    pytest.param(
        variant("tool", extensions={"x-acme-ext": {"a": 1}}),
        False,
        ("extensions.x-acme-ext", "allow_custom"),
        id="ext-custom",
    ),
    pytest.param(
        variant("tool", extensions={"x-acme-ext": {"a": 1}}), True, OK, id="ext-custom-allowed"
    ),
    pytest.param(
        variant("file", extensions={"ntfs-ext": {"sid": "S-1"}}), False, OK, id="ntfs-ext"
    ),
    pytest.param(
        variant("file", extensions={"ntfs-ext": {}}),
        False,
        ("extensions.ntfs-ext", "at least one"),
        id="ntfs-ext-empty",
    ),
    pytest.param(
        variant("file", extensions={"archive-ext": {"comment": "c"}}),
        False,
        ("extensions.archive-ext.contains_refs", "is required"),
        id="archive-ext",
    ),
    pytest.param(
        variant(
            "network-traffic",
            extensions={"socket-ext": {"address_family": "AF_INET", "options": {"SO_X": 1}}},
        ),
        False,
        OK,
        id="socket-ext",
    ),
    pytest.param(
        variant(
            "network-traffic",
            extensions={"socket-ext": {"address_family": "AF_INET", "options": {"BAD": 1}}},
        ),
        False,
        ("extensions.socket-ext.options", "option"),
        id="socket-ext-option",
    ),
    pytest.param(
        variant("network-traffic", extensions={"socket-ext": {"address_family": "AF_X"}}),
        False,
        ("extensions.socket-ext.address_family", "must be one of"),
        id="socket-ext-enum",
    ),
    pytest.param(
        variant(
            "network-traffic",
            extensions={"icmp-ext": {"icmp_type_hex": "0g", "icmp_code_hex": "00"}},
        ),
        False,
        ("extensions.icmp-ext.icmp_type_hex", "hexadecimal"),
        id="icmp-hex",
    ),
    pytest.param(
        variant(
            "process", extensions={"windows-process-ext": {"integrity_level": "high"}}, pid=DELETE
        ),
        False,
        OK,
        id="process-only-extension",
    ),
]
CUSTOM = [
    pytest.param(
        variant("tool", x_acme_rank=3),
        False,
        ("x_acme_rank", "allow_custom"),
        id="custom-prop-denied",
    ),
    pytest.param(variant("tool", x_acme_rank=3), True, OK, id="custom-prop-allowed"),
    pytest.param(variant("tool", acme_rank=3), True, OK, id="custom-prop-no-x-prefix"),
    pytest.param(
        variant("tool", **{"x-acme": 3}),
        True,
        ("x-acme", "custom property name"),
        id="custom-prop-hyphen",
    ),
    pytest.param(
        variant("tool", xy=3), True, ("xy", "custom property name"), id="custom-prop-short"
    ),
    pytest.param(variant("tool", x_acme=None), True, ("x_acme", "null"), id="custom-prop-null"),
    pytest.param(
        variant(
            "tool", rank=1, extensions={EXT_DEF: {"extension_type": "toplevel-property-extension"}}
        ),
        False,
        OK,
        id="toplevel-ext",
    ),
    pytest.param(
        variant(
            "tool", Rank=1, extensions={EXT_DEF: {"extension_type": "toplevel-property-extension"}}
        ),
        False,
        ("Rank", "property name"),
        id="toplevel-ext-name",
    ),
    pytest.param(
        {**MINIMAL["tool"], "type": "x-acme-tool", "id": sid("x-acme-tool")},
        False,
        ("type", "allow_custom"),
        id="custom-type-denied",
    ),
    pytest.param(
        {**MINIMAL["tool"], "type": "x-acme-tool", "id": sid("x-acme-tool")},
        True,
        OK,
        id="custom-type-allowed",
    ),
    pytest.param(
        {**MINIMAL["tool"], "type": "x-acme-tool", "id": sid("x-acme-tool"), "created": "x"},
        True,
        ("created", "timestamp"),
        id="custom-type-checked",
    ),
    pytest.param(
        {**MINIMAL["tool"], "type": "X_Acme", "id": sid("x-acme")},
        True,
        ("type", "type name"),
        id="custom-type-name",
    ),
    pytest.param(
        {**MINIMAL["tool"], "type": "x--acme", "id": sid("x-acme")},
        True,
        ("type", "type name"),
        id="custom-type-double-hyphen",
    ),
    pytest.param(
        {
            **MINIMAL["tool"],
            "type": "my-sdo",
            "id": sid("my-sdo"),
            "extensions": {EXT_DEF: {"extension_type": "new-sdo"}},
        },
        False,
        OK,
        id="new-sdo",
    ),
    pytest.param(
        {
            "type": "my-sco",
            "id": sid("my-sco"),
            "value": "v",
            "extensions": {EXT_DEF: {"extension_type": "new-sco"}},
        },
        False,
        OK,
        id="new-sco",
    ),
    pytest.param(
        {
            **MINIMAL["tool"],
            "type": "my-sdo",
            "id": sid("my-sdo"),
            "extensions": {EXT_DEF: {"extension_type": "property-extension"}},
        },
        False,
        ("type", "not a STIX 2.1 object type"),
        id="property-ext-not-new-type",
    ),
    pytest.param(
        variant("grouping", object_refs=[sid("x-acme-thing")]),
        False,
        ("object_refs[0]", "custom object type"),
        id="ref-custom-denied",
    ),
    pytest.param(
        variant("grouping", object_refs=[sid("x-acme-thing")]), True, OK, id="ref-custom-allowed"
    ),
    pytest.param(
        variant("file", hashes={"x_acme": "1"}),
        False,
        ("hashes", "custom hash"),
        id="custom-hash-denied",
    ),
    pytest.param(variant("file", hashes={"x_acme": "1"}), True, OK, id="custom-hash-allowed"),
    pytest.param(variant("file", hashes={"sha256": SHA256}), False, OK, id="hash-name-normalised"),
    pytest.param(
        variant("file", hashes={"SHA-256": "abc"}),
        False,
        ("hashes.SHA-256", "not a valid"),
        id="hash-value",
    ),
]


@pytest.mark.parametrize(("obj", "allow_custom", "expected"), GRANULAR + EXTENSIONS + CUSTOM)
def test_marking_extension_and_custom_rules(
    obj: Any, allow_custom: bool, expected: tuple[str, str] | None
) -> None:
    check(obj, allow_custom, expected)
