"""The smallest valid object of every STIX 2.1 type, and a helper to vary one."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.stix import StixValidationError, validate_object

Obj = dict[str, Any]

U = "8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
T0 = "2021-03-04T05:06:07.000Z"
T1 = "2022-03-04T05:06:07.000Z"
IDENTITY = f"identity--{U}"
TLP_GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
TLP_RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
TLP1_AMBER = "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"
TLP1_WHITE = "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"
SHA256 = "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"
PATTERN = "[ipv4-addr:value = '198.51.100.1']"
DELETE = object()
EXT_DEF = "extension-definition--0b0b4a67-7b5d-4c2c-9a4d-1b0fbd2c1a11"
OK = None


def sid(type_name: str) -> str:
    return f"{type_name}--{U}"


def _sdo(type_name: str, **props: Any) -> Obj:
    return {
        "type": type_name,
        "spec_version": "2.1",
        "id": sid(type_name),
        "created": T0,
        "modified": T0,
        **props,
    }


def _sco(type_name: str, **props: Any) -> Obj:
    return {"type": type_name, "id": sid(type_name), **props}


MINIMAL: dict[str, Obj] = {
    "attack-pattern": _sdo("attack-pattern", name="Spearphishing"),
    "campaign": _sdo("campaign", name="Green Group attacks"),
    "course-of-action": _sdo("course-of-action", name="Block IP"),
    "grouping": _sdo("grouping", context="suspicious-activity", object_refs=[sid("indicator")]),
    "identity": _sdo("identity", name="National CT fusion cell"),
    "incident": _sdo("incident", name="Incident 42"),
    "indicator": _sdo("indicator", pattern=PATTERN, pattern_type="stix", valid_from=T0),
    "infrastructure": _sdo("infrastructure", name="C2 server"),
    "intrusion-set": _sdo("intrusion-set", name="Bravo"),
    "location": _sdo("location", region="eastern-africa"),
    "malware": _sdo("malware", is_family=False),
    "malware-analysis": _sdo("malware-analysis", product="sandbox", result="malicious"),
    "note": _sdo("note", content="seen before", object_refs=[sid("report")]),
    "observed-data": _sdo(
        "observed-data",
        first_observed=T0,
        last_observed=T1,
        number_observed=1,
        object_refs=[sid("ipv4-addr")],
    ),
    "opinion": _sdo("opinion", opinion="agree", object_refs=[sid("indicator")]),
    "report": _sdo("report", name="Weekly", published=T1, object_refs=[sid("indicator")]),
    "threat-actor": _sdo("threat-actor", name="Adversary Bravo"),
    "tool": _sdo("tool", name="VNC"),
    "vulnerability": _sdo("vulnerability", name="CVE-2021-44228"),
    "relationship": _sdo(
        "relationship",
        relationship_type="indicates",
        source_ref=sid("indicator"),
        target_ref=sid("malware"),
    ),
    "sighting": _sdo("sighting", sighting_of_ref=sid("indicator")),
    "language-content": _sdo(
        "language-content", object_ref=sid("report"), contents={"fr": {"name": "Hebdo"}}
    ),
    "marking-definition": {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": sid("marking-definition"),
        "created": T0,
        "definition_type": "statement",
        "definition": {"statement": "Copyright ACME"},
    },
    "extension-definition": _sdo(
        "extension-definition",
        created_by_ref=IDENTITY,
        name="field encryption",
        schema="https://example.org/schema.json",
        version="1.0.0",
        extension_types=["property-extension"],
    ),
    "artifact": _sco("artifact", payload_bin="YWJj"),
    "autonomous-system": _sco("autonomous-system", number=15139),
    "directory": _sco("directory", path="C:\\Windows"),
    "domain-name": _sco("domain-name", value="example.com"),
    "email-addr": _sco("email-addr", value="a@example.com"),
    "email-message": _sco("email-message", is_multipart=False),
    "file": _sco("file", name="a.exe"),
    "ipv4-addr": _sco("ipv4-addr", value="198.51.100.3"),
    "ipv6-addr": _sco("ipv6-addr", value="2001:db8::1"),
    "mac-addr": _sco("mac-addr", value="d2:fb:49:24:37:18"),
    "mutex": _sco("mutex", name="__CLEANSWEEP__"),
    "network-traffic": _sco("network-traffic", src_ref=sid("ipv4-addr"), protocols=["tcp"]),
    "process": _sco("process", pid=1221),
    "software": _sco("software", name="Word"),
    "url": _sco("url", value="https://example.com/"),
    "user-account": _sco("user-account", user_id="1001"),
    "windows-registry-key": _sco("windows-registry-key", key="HKEY_LOCAL_MACHINE\\Foo"),
    "x509-certificate": _sco("x509-certificate", serial_number="01"),
}


def variant(type_name: str, **changes: Any) -> Obj:
    """A copy of the minimal object with ``changes`` (``DELETE`` removes a property)."""
    obj = copy.deepcopy(MINIMAL[type_name])
    for key, value in changes.items():
        if value is DELETE:
            obj.pop(key, None)
        else:
            obj[key] = value
    return obj


def check(obj: Any, allow_custom: bool, expected: tuple[str | None, str] | None) -> None:
    """``obj`` is valid (``expected`` None), or refused for that property with those words."""
    if expected is None:
        validate_object(obj, allow_custom=allow_custom)
        return
    prop, fragment = expected
    with pytest.raises(StixValidationError) as caught:
        validate_object(obj, allow_custom=allow_custom)
    assert caught.value.prop == prop, caught.value.reason
    assert fragment in caught.value.reason
    assert "\n" not in caught.value.reason
