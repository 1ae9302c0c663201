"""Makers of valid SCOs (§6) for the corpus: a mixin of ``stix_corpus.Factory``."""

from __future__ import annotations

import base64
from typing import Any

Obj = dict[str, Any]

SHA256 = "6db12788c37247f2316052e142f42f4b259d6561751e5f401a1ae2a6df9c674b"
MD5 = "cead3f77f6cda6ec00f57d76c9a6879f"


class ScoMakers:
    """``make_<type>`` for every SCO; uses the factory's primitives (``self.sco`` etc.)."""

    r: Any
    sco: Any
    opt: Any
    text: Any
    id: Any
    ts: Any
    when: Any
    later: Any
    pair: Any
    maybe: Any

    # ---- SCOs (§6) --------------------------------------------------------------------------
    def make_artifact(self) -> Obj:
        if self.maybe():
            o: Obj = {
                "payload_bin": base64.b64encode(self.text().encode()).decode(),
                "mime_type": "text/plain",
            }
        else:
            o = {"url": "https://example.org/sample.bin", "hashes": {"SHA-256": SHA256}}
        return self.sco("artifact", **o)

    def make_autonomous_system(self) -> Obj:
        return self.sco(
            "autonomous-system",
            **self.opt({"number": self.r.randint(1, 65000)}, name="ACME-AS", rir="ARIN"),
        )

    def make_directory(self) -> Obj:
        return self.sco(
            "directory",
            **self.opt(
                {"path": "C:\\Windows\\Temp"}, contains_refs=[self.id("file")], ctime=self.ts()
            ),
        )

    def make_domain_name(self) -> Obj:
        return self.sco(
            "domain-name",
            **self.opt({"value": "evil.example.com"}, resolves_to_refs=[self.id("ipv4-addr")]),
        )

    def make_email_addr(self) -> Obj:
        return self.sco(
            "email-addr",
            **self.opt(
                {"value": "a@example.org"},
                display_name="A B",
                belongs_to_ref=self.id("user-account"),
            ),
        )

    def make_email_message(self) -> Obj:
        if self.maybe():
            o: Obj = {"is_multipart": False, "body": self.text()}
        else:
            o = {
                "is_multipart": True,
                "body_multipart": [
                    {"body": self.text(), "content_type": "text/plain"},
                    {"body_raw_ref": self.id("artifact")},
                ],
            }
        self.opt(
            o,
            subject=self.text(),
            from_ref=self.id("email-addr"),
            to_refs=[self.id("email-addr")],
            date=self.ts(),
            additional_header_fields={"X-Mailer": "acme"},
        )
        return self.sco("email-message", **o)

    def make_file(self) -> Obj:
        o: Obj = (
            {"name": "payload.exe"} if self.maybe() else {"hashes": {"SHA-256": SHA256, "MD5": MD5}}
        )
        self.opt(
            o,
            size=self.r.randint(0, 10**6),
            parent_directory_ref=self.id("directory"),
            magic_number_hex="4D5A",
        )
        if self.maybe(0.3):
            o["extensions"] = self.r.choice(
                (
                    {"ntfs-ext": {"sid": "S-1-5-21"}},
                    {"pdf-ext": {"version": "1.7", "is_optimized": True}},
                    {
                        "windows-pebinary-ext": {
                            "pe_type": "exe",
                            "number_of_sections": 4,
                            "sections": [{"name": ".text", "entropy": 6.1}],
                        }
                    },
                )
            )
        return self.sco("file", **o)

    def make_ipv4_addr(self) -> Obj:
        return self.sco(
            "ipv4-addr",
            **self.opt(
                {"value": "198.51.100.3"},
                resolves_to_refs=[self.id("mac-addr")],
                belongs_to_refs=[self.id("autonomous-system")],
            ),
        )

    def make_ipv6_addr(self) -> Obj:
        return self.sco(
            "ipv6-addr",
            **self.opt({"value": "2001:db8::1"}, resolves_to_refs=[self.id("mac-addr")]),
        )

    def make_mac_addr(self) -> Obj:
        return self.sco("mac-addr", value="d2:fb:49:24:37:18")

    def make_mutex(self) -> Obj:
        return self.sco("mutex", name="__CLEANSWEEP__")

    def make_network_traffic(self) -> Obj:
        start = self.when()
        o = self.opt(
            {"protocols": ["ipv4", "tcp"], "src_ref": self.id("ipv4-addr")},
            dst_ref=self.id("ipv4-addr"),
            src_port=self.r.randint(0, 65535),
            dst_port=443,
            start=self.ts(start),
        )
        if "start" in o and self.maybe(0.3):
            o.update(end=self.ts(self.later(start)), is_active=False)
        if self.maybe(0.3):
            o["extensions"] = self.r.choice(
                (
                    {"tcp-ext": {"src_flags_hex": "00000002"}},
                    {"http-request-ext": {"request_method": "get", "request_value": "/"}},
                    {"socket-ext": {"address_family": "AF_INET", "options": {"SO_TEST": 1}}},
                )
            )
        return self.sco("network-traffic", **o)

    def make_process(self) -> Obj:
        if self.maybe(0.2):
            return self.sco(
                "process",
                extensions={
                    "windows-process-ext": {"aslr_enabled": True, "integrity_level": "high"}
                },
            )
        return self.sco(
            "process",
            **self.opt(
                {"pid": self.r.randint(1, 65000)},
                command_line="cmd.exe /c whoami",
                image_ref=self.id("file"),
                environment_variables={"PATH": "C:\\"},
            ),
        )

    def make_software(self) -> Obj:
        return self.sco(
            "software",
            **self.opt(
                {"name": "Word"},
                vendor="Microsoft",
                version="2002",
                cpe="cpe:2.3:a:microsoft:word:2000:*:*:*:*:*:*:*",
                languages=["en"],
            ),
        )

    def make_url(self) -> Obj:
        return self.sco("url", value="https://evil.example.com/a")

    def make_user_account(self) -> Obj:
        o = self.opt(
            {"user_id": "1001"},
            account_login="jdoe",
            account_type="unix",
            is_privileged=False,
            account_created=self.ts(),
        )
        if self.maybe(0.3):
            o["extensions"] = {
                "unix-account-ext": {"gid": 1001, "groups": ["wheel"], "shell": "/bin/bash"}
            }
        return self.sco("user-account", **o)

    def make_windows_registry_key(self) -> Obj:
        o = self.opt(
            {"key": "HKEY_LOCAL_MACHINE\\System\\Foo"},
            values=[{"name": "Foo", "data": "qwerty", "data_type": "REG_SZ"}],
            number_of_subkeys=2,
            modified_time=self.ts(),
        )
        return self.sco("windows-registry-key", **o)

    def make_x509_certificate(self) -> Obj:
        before, after = self.pair()
        o = self.opt(
            {"serial_number": "36:f7:d4:32:f4:ab:70:ea:d3:ce:98:6e:ea:99:93:49"},
            issuer="C=ZA, O=Thawte",
            validity_not_before=before,
            validity_not_after=after,
            x509_v3_extensions={"basic_constraints": "critical,CA:TRUE"},
        )
        return self.sco("x509-certificate", **o)
