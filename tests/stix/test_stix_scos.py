"""Table tests of the rules of the cyber-observable objects (§6) in validate_object."""

from __future__ import annotations

from typing import Any

import pytest
from stix_minimal import DELETE, OK, SHA256, T0, T1, TLP1_AMBER, check, sid, variant

SCO_RULES = [
    pytest.param(
        variant("artifact", url="https://x"),
        ("payload_bin", "exactly one of the properties 'payload_bin'"),
        id="artifact-both",
    ),
    pytest.param(
        variant("artifact", payload_bin=DELETE),
        ("payload_bin", "exactly one of"),
        id="artifact-neither",
    ),
    pytest.param(
        variant("artifact", payload_bin=DELETE, url="https://x"),
        ("hashes", "'url' is present"),
        id="artifact-url-hashes",
    ),
    pytest.param(
        variant("artifact", payload_bin=DELETE, url="https://x", hashes={"SHA-256": SHA256}),
        OK,
        id="artifact-url",
    ),
    pytest.param(
        variant("artifact", payload_bin="YWJ"), ("payload_bin", "base64"), id="artifact-base64"
    ),
    pytest.param(
        variant("artifact", encryption_algorithm="rot13"),
        ("encryption_algorithm", "must be one of"),
        id="artifact-enum",
    ),
    pytest.param(variant("file", name=DELETE), ("hashes", "'hashes', 'name'"), id="file-neither"),
    pytest.param(variant("file", size=-1), ("size", "at least 0"), id="file-size"),
    pytest.param(
        variant("file", magic_number_hex="4D5"), ("magic_number_hex", "hexadecimal"), id="file-hex"
    ),
    pytest.param(
        variant("file", parent_directory_ref=sid("file")),
        ("parent_directory_ref", "directory"),
        id="file-parent",
    ),
    pytest.param(
        variant("file", contains_refs=[sid("indicator")]),
        ("contains_refs[0]", "SCO"),
        id="file-contains",
    ),
    pytest.param(
        variant("network-traffic", src_ref=DELETE, dst_ref=sid("ipv6-addr")), OK, id="nt-dst"
    ),
    pytest.param(
        variant("network-traffic", src_ref=DELETE),
        ("src_ref", "'src_ref', 'dst_ref'"),
        id="nt-no-ends",
    ),
    pytest.param(
        variant("network-traffic", src_ref=sid("url")), ("src_ref", "ipv4-addr"), id="nt-src-url"
    ),
    pytest.param(
        variant("network-traffic", protocols=DELETE),
        ("protocols", "is required"),
        id="nt-protocols",
    ),
    pytest.param(
        variant("network-traffic", end=T1), ("is_active", "false when 'end'"), id="nt-end-active"
    ),
    pytest.param(variant("network-traffic", end=T1, is_active=False, start=T0), OK, id="nt-end"),
    pytest.param(
        variant("network-traffic", end=T0, is_active=False, start=T1),
        ("end", "later than or equal to 'start'"),
        id="nt-order",
    ),
    pytest.param(
        variant("network-traffic", dst_port=65536),
        ("dst_port", "between 0 and 65535"),
        id="nt-port",
    ),
    pytest.param(
        variant("process", pid=DELETE), ("is_hidden", "at least one of"), id="process-empty"
    ),
    pytest.param(
        variant("process", pid=DELETE, object_marking_refs=[TLP1_AMBER]),
        OK,
        id="process-marking-only",
    ),
    pytest.param(variant("email-message", body="hi"), OK, id="email-body"),
    pytest.param(
        variant("email-message", body_multipart=[{"body": "hi"}]),
        ("body_multipart", "'is_multipart' to be true"),
        id="email-multipart",
    ),
    pytest.param(
        variant("email-message", is_multipart=True, body="hi"),
        ("body", "'is_multipart' is true"),
        id="email-body-multipart",
    ),
    pytest.param(
        variant("email-message", is_multipart=True, body_multipart=[{"content_type": "x"}]),
        ("body_multipart[0]", "'body', 'body_raw_ref'"),
        id="email-mime",
    ),
    pytest.param(
        variant("email-message", from_ref=sid("ipv4-addr")),
        ("from_ref", "email-addr"),
        id="email-from",
    ),
    pytest.param(
        variant("x509-certificate", serial_number=DELETE),
        ("is_self_signed", "at least one of"),
        id="x509-empty",
    ),
    pytest.param(
        variant("x509-certificate", x509_v3_extensions={"basic_constraints": "CA:TRUE"}),
        OK,
        id="x509-v3",
    ),
    pytest.param(variant("ipv4-addr", value=DELETE), ("value", "is required"), id="ipv4-value"),
    pytest.param(
        variant("ipv4-addr", resolves_to_refs=[sid("domain-name")]),
        ("resolves_to_refs[0]", "mac-addr"),
        id="ipv4-resolves",
    ),
    pytest.param(
        variant("domain-name", resolves_to_refs=[sid("domain-name")]), OK, id="domain-resolves"
    ),
    pytest.param(
        variant("autonomous-system", number="15139"), ("number", "integer"), id="as-number"
    ),
    pytest.param(
        variant("windows-registry-key", values=[{"data_type": "REG_FOO"}]),
        ("values[0].data_type", "must be one of"),
        id="wrk-values",
    ),
    pytest.param(
        variant("user-account", is_privileged="yes"),
        ("is_privileged", "true or false"),
        id="ua-bool",
    ),
    pytest.param(variant("url", defanged=True), OK, id="url-defanged"),
    pytest.param(
        variant("software", languages=[]), ("languages", "empty list"), id="software-languages"
    ),
    pytest.param(
        variant("directory", contains_refs=[sid("url")]),
        ("contains_refs[0]", "directory, file"),
        id="dir-contains",
    ),
]


@pytest.mark.parametrize(("obj", "expected"), SCO_RULES)
def test_sco_rules(obj: Any, expected: tuple[str | None, str] | None) -> None:
    check(obj, False, expected)
