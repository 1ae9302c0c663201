"""Makers of valid SDOs (§4) for the corpus: a mixin of ``stix_corpus.Factory``."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

VALID_PATTERNS = (
    "[ipv4-addr:value = '198.51.100.1']",
    "[domain-name:value = 'evil.example.com']",
    "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
    "[url:value = 'http://x.example/a'] OR [ipv4-addr:value = '203.0.113.0/24']",
    "[email-addr:value LIKE '%@example.com'] AND [file:name MATCHES '^a.*\\\\.exe$']",
    "[file:size > 1024 AND file:name = 'payload.bin']",
    "([ipv4-addr:value = '198.51.100.5'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.10'])"
    " WITHIN 300 SECONDS",
    "[process:command_line = 'cmd.exe /c whoami']",
    "[network-traffic:dst_port = 443 AND network-traffic:protocols[*] = 'tcp']",
    "[windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\SOFTWARE\\\\x']",
)


class SdoMakers:
    """``make_<type>`` for every SDO; uses the factory's primitives (``self.sdo`` etc.)."""

    r: Any
    sdo: Any
    opt: Any
    text: Any
    words: Any
    id: Any
    ts: Any
    when: Any
    later: Any
    pair: Any
    maybe: Any
    kill_chain: Any

    # ---- SDOs (§4) --------------------------------------------------------------------------
    def make_attack_pattern(self) -> Obj:
        o = self.opt(
            {"name": self.text()},
            description=self.text(),
            aliases=self.words(),
            kill_chain_phases=self.kill_chain(),
        )
        return self.sdo("attack-pattern", **o)

    def make_campaign(self) -> Obj:
        first, last = self.pair()
        o = self.opt(
            {"name": self.text()},
            description=self.text(),
            objective=self.text(),
            aliases=self.words(),
        )
        if self.maybe():
            o.update(first_seen=first, last_seen=last)
        return self.sdo("campaign", **o)

    def make_course_of_action(self) -> Obj:
        return self.sdo(
            "course-of-action", **self.opt({"name": self.text()}, description=self.text())
        )

    def make_grouping(self) -> Obj:
        refs = [self.id("indicator"), self.id("ipv4-addr"), self.id("relationship")]
        o = self.opt(
            {
                "context": self.r.choice(("suspicious-activity", "unspecified", "x-custom")),
                "object_refs": refs,
            },
            name=self.text(),
        )
        return self.sdo("grouping", **o)

    def make_identity(self) -> Obj:
        o = self.opt(
            {"name": self.text()},
            identity_class="organization",
            sectors=["government-national"],
            roles=self.words(),
            contact_information="cell@example.org",
            description=self.text(),
        )
        return self.sdo("identity", **o)

    def make_incident(self) -> Obj:
        return self.sdo(
            "incident",
            **self.opt(
                {"name": self.text()}, kill_chain_phases=self.kill_chain(), description=self.text()
            ),
        )

    def make_indicator(self) -> Obj:
        start = self.when()
        o: Obj = {
            "pattern": self.r.choice(VALID_PATTERNS),
            "pattern_type": "stix",
            "valid_from": self.ts(start),
        }
        if self.maybe(0.15):
            o.update(pattern='alert tcp any any -> any 80 (msg:"x";)', pattern_type="snort")
        if self.maybe(0.3):
            o["valid_until"] = self.ts(self.later(start))
        if self.maybe(0.2) and o["pattern_type"] == "stix":
            o["pattern_version"] = "2.1"
        self.opt(
            o,
            name=self.text(),
            description=self.text(),
            indicator_types=["malicious-activity"],
            kill_chain_phases=self.kill_chain(),
        )
        return self.sdo("indicator", **o)

    def make_infrastructure(self) -> Obj:
        first, last = self.pair()
        o = self.opt(
            {"name": self.text()},
            infrastructure_types=["command-and-control"],
            first_seen=first,
            description=self.text(),
        )
        if "first_seen" in o and self.maybe():
            o["last_seen"] = last
        return self.sdo("infrastructure", **o)

    def make_intrusion_set(self) -> Obj:
        o = self.opt(
            {"name": self.text()},
            aliases=self.words(),
            goals=self.words(),
            resource_level="organization",
            primary_motivation="ideology",
            secondary_motivations=["dominance"],
        )
        return self.sdo("intrusion-set", **o)

    def make_location(self) -> Obj:
        kind = self.r.randrange(3)
        if kind == 0:
            o: Obj = {"region": self.r.choice(("africa", "eastern-africa", "western-asia"))}
        elif kind == 1:
            o = {"country": self.r.choice(("KE", "NG", "FR"))}
        else:
            o = {
                "latitude": round(self.r.uniform(-90, 90), 4),
                "longitude": round(self.r.uniform(-180, 180), 4),
            }
            if self.maybe():
                o["precision"] = float(self.r.randint(1, 5000))
        return self.sdo("location", **self.opt(o, name=self.text(), city="Nairobi"))

    def make_malware(self) -> Obj:
        family = self.maybe()
        o: Obj = {"is_family": family}
        if family or self.maybe():
            o["name"] = self.text()
        self.opt(
            o,
            malware_types=["trojan"],
            operating_system_refs=[self.id("software")],
            sample_refs=[self.id("file")],
            capabilities=["exfiltrates-data"],
            kill_chain_phases=self.kill_chain(),
        )
        return self.sdo("malware", **o)

    def make_malware_analysis(self) -> Obj:
        o: Obj = {"product": "acme-sandbox"}
        if self.maybe():
            o["result"] = self.r.choice(("malicious", "benign"))
        else:
            o["analysis_sco_refs"] = [self.id("file")]
        self.opt(
            o,
            submitted=self.ts(),
            host_vm_ref=self.id("software"),
            modules=self.words(),
            sample_ref=self.id("file"),
        )
        return self.sdo("malware-analysis", **o)

    def make_note(self) -> Obj:
        o = self.opt(
            {"content": self.text(), "object_refs": [self.id("report")]},
            abstract=self.text(),
            authors=["analyst"],
        )
        return self.sdo("note", **o)

    def make_observed_data(self) -> Obj:
        first, last = self.pair()
        o: Obj = {
            "first_observed": first,
            "last_observed": last,
            "number_observed": self.r.randint(1, 1000),
        }
        if self.maybe(0.85):
            o["object_refs"] = [self.id("ipv4-addr"), self.id("network-traffic")]
        else:
            o["objects"] = {
                "0": {"type": "ipv4-addr", "value": "198.51.100.7"},
                "1": {"type": "domain-name", "value": "x.example"},
            }
        return self.sdo("observed-data", **o)

    def make_opinion(self) -> Obj:
        o = self.opt(
            {
                "opinion": self.r.choice(("agree", "disagree", "neutral")),
                "object_refs": [self.id("indicator")],
            },
            explanation=self.text(),
            authors=["analyst"],
        )
        return self.sdo("opinion", **o)

    def make_report(self) -> Obj:
        o = self.opt(
            {
                "name": self.text(),
                "published": self.ts(),
                "object_refs": [self.id("indicator"), self.id("malware")],
            },
            report_types=["threat-report"],
            description=self.text(),
        )
        return self.sdo("report", **o)

    def make_threat_actor(self) -> Obj:
        first, last = self.pair()
        o = self.opt(
            {"name": self.text()},
            threat_actor_types=["terrorist"],
            roles=["agent"],
            sophistication="minimal",
            goals=self.words(),
            personal_motivations=["revenge"],
        )
        if self.maybe():
            o.update(first_seen=first, last_seen=last)
        return self.sdo("threat-actor", **o)

    def make_tool(self) -> Obj:
        return self.sdo(
            "tool",
            **self.opt(
                {"name": self.text()},
                tool_types=["remote-access"],
                tool_version="1.0",
                kill_chain_phases=self.kill_chain(),
            ),
        )

    def make_vulnerability(self) -> Obj:
        return self.sdo(
            "vulnerability", **self.opt({"name": "CVE-2021-44228"}, description=self.text())
        )
