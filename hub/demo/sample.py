"""A deterministic, realistic counter-terrorism STIX 2.1 sample, as national cells publish it.

`build_sample` returns, per publisher, the objects that publisher would POST: threat actors,
intrusion sets, campaigns, malware, ATT&CK attack patterns, infrastructure, locations, targeted
sectors, indicators, sightings, relationships, notes and reports, with TLP 2.0 markings, granular
markings, second versions and revocations. Everything is fictional: groups, malware and case
numbers are invented, addresses and domains come from documentation ranges (see `generate`).

The publishers' own identity objects are not part of the sample: the hub publishes tenant
identities itself (DESIGN.md, "Ownership"), so `created_by_ref` and `where_sighted_refs` point at
identities the hub already holds. Every other reference stays within the publisher's objects
(or names a TLP marking definition), and never points at an object marked more strictly than the
referring object: a relationship, sighting or note is as strict as what it refers to, and a
report lists only what its own TLP may show.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.demo.generate import (
    TLP_AMBER,
    TLP_AMBER_STRICT,
    TLP_CLEAR,
    TLP_GREEN,
    TLP_RANK,
    TLP_RED,
    format_ms,
    make_pattern,
    to_ms,
    uuid4,
)
from hub.sharing.floor import DEFAULT_TLP
from hub.stix.tlp import TLP_ORDER

__all__ = ["RED_RECIPIENTS_EXTENSION", "Publisher", "build_sample"]

RED_RECIPIENTS_EXTENSION = "extension-definition--a5302270-d6f9-4551-ac93-4deea2d3079c"
"""Property extension naming the recipients of TLP:RED content (``recipient_refs``: identity ids).

TLP:RED goes only to recipients named on the object itself (DESIGN.md); STIX 2.1 has no property
for that, so the sample names them in this extension (STIX 2.1 §7.3) when `recipients_for_red`
lists any for the publisher.
"""


@dataclass(frozen=True)
class Publisher:
    """A national cell that publishes into the hub."""

    slug: str  # e.g. "ng-ctc"
    identity_id: str  # "identity--<uuid>"
    name: str  # e.g. "Nigeria Counter-Terrorism Centre"
    country: str  # ISO 3166-1 alpha-2, e.g. "NG"


_DAY = 86_400_000
_Weights = tuple[tuple[str | None, int], ...]  # (TLP or None for "unmarked", weight)

# fmt: off
_COUNTRIES: dict[str, tuple[str, str]] = {  # ISO 3166-1 alpha-2: (name, UN M49 region)
    "NG": ("Nigeria", "western-africa"), "NE": ("Niger", "western-africa"),
    "ML": ("Mali", "western-africa"), "BF": ("Burkina Faso", "western-africa"),
    "SN": ("Senegal", "western-africa"), "GH": ("Ghana", "western-africa"),
    "BJ": ("Benin", "western-africa"), "TG": ("Togo", "western-africa"),
    "CI": ("Côte d'Ivoire", "western-africa"), "MR": ("Mauritania", "western-africa"),
    "TD": ("Chad", "middle-africa"), "CM": ("Cameroon", "middle-africa"),
    "CF": ("Central African Republic", "middle-africa"), "CD": ("DR Congo", "middle-africa"),
    "KE": ("Kenya", "eastern-africa"), "SO": ("Somalia", "eastern-africa"),
    "ET": ("Ethiopia", "eastern-africa"), "UG": ("Uganda", "eastern-africa"),
    "TZ": ("Tanzania", "eastern-africa"), "MZ": ("Mozambique", "eastern-africa"),
    "DZ": ("Algeria", "northern-africa"), "MA": ("Morocco", "northern-africa"),
    "TN": ("Tunisia", "northern-africa"), "EG": ("Egypt", "northern-africa"),
    "LY": ("Libya", "northern-africa"), "SD": ("Sudan", "northern-africa"),
    "ZA": ("South Africa", "southern-africa"),
}
_GROUPS = ("Sahel Desert Brigade", "Lake Basin Vanguard", "Coastal Crescent Front",
           "Highland Dawn Movement", "Red Dune Collective", "Savanna Shield Network")
_FACILITATORS = ("Caravan Logistics Network", "Blue River Hawala Ring",
                 "Northern Corridor Smuggling Ring", "Oasis Money Couriers")
_CAMPAIGNS = ("Operation Dry Harmattan", "Operation Silent Caravan", "Operation Broken Oasis",
              "Operation Night Baobab", "Operation Tidewater")
_MALWARE = (("HarmattanRAT", ["remote-access-trojan"]), ("BaobabDrop", ["dropper", "downloader"]),
            ("TamarindSpy", ["spyware"]), ("ZebuStealer", ["spyware", "keylogger"]),
            ("KapokLoader", ["downloader"]))
_TECHNIQUES = (  # MITRE ATT&CK (id, name, tactic)
    ("T1566.001", "Spearphishing Attachment", "initial-access"),
    ("T1566.002", "Spearphishing Link", "initial-access"),
    ("T1071.001", "Web Protocols", "command-and-control"),
    ("T1102", "Web Service", "command-and-control"),
    ("T1573", "Encrypted Channel", "command-and-control"),
    ("T1583.001", "Domains", "resource-development"),
    ("T1585.001", "Social Media Accounts", "resource-development"),
    ("T1204.002", "Malicious File", "execution"),
    ("T1027", "Obfuscated Files or Information", "defense-evasion"),
    ("T1598", "Phishing for Information", "reconnaissance"),
)
_SECTORS = (("transportation", "Transport operators"), ("government-national", "Ministries"),
            ("financial-services", "Money transfer operators"),
            ("telecommunications", "Mobile network operators"),
            ("hospitality-leisure", "Hotels and venues"))
_LABELS = ("terrorism", "financing", "recruitment", "propaganda", "attack-planning",
           "travel-facilitation", "online-radicalisation", "logistics")
# The first indicators cover every pattern kind; the rest are drawn at random.
_KINDS = ("ipv4", "ipv6", "domain", "url", "sha256", "md5", "email", "and-observations",
          "file-hashes-or", "followedby-url", "dual-stack", "email-message", "ipv4-port",
          "domain-resolves", "followedby-file", "url-like")
_INDICATORS = 22
# Forced markings (object, granular) of the first indicators: every publisher shows every case.
_FORCED: dict[int, tuple[str | None, tuple[str, str] | None]] = {
    0: (TLP_CLEAR, None), 1: (TLP_GREEN, None), 2: (TLP_AMBER, (TLP_RED, "description")),
    3: (TLP_RED, None), 4: (TLP_AMBER_STRICT, None), 5: (None, None),
    6: (TLP_GREEN, (TLP_AMBER, "external_references")),
}
_W_OPEN: _Weights = ((TLP_CLEAR, 60), (TLP_GREEN, 40))
_W_ENTITY: _Weights = ((TLP_CLEAR, 5), (TLP_GREEN, 40), (TLP_AMBER, 35), (TLP_AMBER_STRICT, 12),
                       (None, 8))
_W_INDICATOR: _Weights = ((TLP_CLEAR, 10), (TLP_GREEN, 35), (TLP_AMBER, 30),
                          (TLP_AMBER_STRICT, 12), (TLP_RED, 3), (None, 7))
_W_SENSITIVE: _Weights = ((TLP_GREEN, 25), (TLP_AMBER, 47), (TLP_AMBER_STRICT, 25), (TLP_RED, 3))
# Relationships between the entities of `_Builder.entities` (source, type, target).
_LINKS = (
    ("actor", "targets", "home"), ("actor", "targets", "sector0"),
    ("actor", "located-at", "home"), ("media", "attributed-to", "actor"),
    ("campaign", "attributed-to", "media"), ("campaign", "targets", "sector1"),
    ("actor", "uses", "family"), ("media", "uses", "implant"), ("actor", "uses", "technique0"),
    ("campaign", "uses", "technique1"), ("family", "uses", "technique2"),
    ("c2", "located-at", "abroad"), ("actor", "uses", "c2"), ("campaign", "uses", "portal"),
    ("network", "targets", "sector0"),
)
_INDICATES = ("family", "implant", "c2", "campaign", "media", "actor", "portal", "network")
# fmt: on
_BY_RANK = {rank: tlp for tlp, rank in TLP_RANK.items()}
_UNMARKED = TLP_ORDER.index(DEFAULT_TLP)  # the hub reads an unmarked object as DEFAULT_TLP


def build_sample(
    publishers: Sequence[Publisher],
    *,
    now: datetime,
    seed: int = 2026,
    recipients_for_red: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """Return {publisher_slug: [stix objects that publisher posts]}, a few hundred objects in total.

    A publisher's objects depend only on `seed`, `now`, that publisher and the next publisher's
    country (its "abroad" location). Later versions (same id, later ``modified``) follow all first
    versions. `recipients_for_red` maps a publisher slug to the identity ids named, through
    `RED_RECIPIENTS_EXTENSION`, on that publisher's objects that carry TLP:RED content.
    """
    slugs = [p.slug for p in publishers]
    if len(set(slugs)) != len(slugs):
        raise ValueError("publisher slugs must be unique")
    recipients = recipients_for_red or {}
    if any(not i.startswith("identity--") for ids in recipients.values() for i in ids):
        raise ValueError("recipients_for_red values must be identity ids")
    sample: dict[str, list[dict[str, Any]]] = {}
    for index, pub in enumerate(publishers):
        rng = random.Random(f"{seed}:{pub.slug}")
        builder = _Builder(pub, to_ms(now), rng, recipients.get(pub.slug, ()))
        sample[pub.slug] = builder.build(publishers[(index + 1) % len(publishers)].country)
    return sample


class _Builder:
    """Builds one publisher's objects; remembers each object's creation time and TLP rank."""

    def __init__(
        self, pub: Publisher, now_ms: int, rng: random.Random, recipients: Sequence[str]
    ) -> None:
        self.pub, self.now, self.rng, self.recipients = pub, now_ms, rng, list(recipients)
        self.objects: list[dict[str, Any]] = []
        self.versions: list[dict[str, Any]] = []
        self.created: dict[str, int] = {}
        self.rank: dict[str, int | None] = {}
        self.latest: dict[str, tuple[dict[str, Any], int]] = {}

    def build(self, abroad: str) -> list[dict[str, Any]]:
        """Every object of the publisher: first versions, then the later versions."""
        e = self.entities(abroad)
        indicators = [self.indicator(i, e["actor"]["name"]) for i in range(_INDICATORS)]
        for source, rtype, target in _LINKS:
            self.relate(e[source], rtype, e[target])
        for ind, key in zip(indicators, _INDICATES, strict=False):
            self.relate(ind, "indicates", e[key])
        unrestricted = [i for i in indicators[:12] if self.rank[i["id"]] != TLP_RANK[TLP_RED]]
        for ind in self.rng.sample(unrestricted, 5):
            self.sighting(ind)
        for noted in (indicators[4], e["actor"], e["campaign"]):
            self.note(noted)
        core = ("actor", "network", "media", "campaign", "family")
        relationships = [o["id"] for o in self.objects if o["type"] == "relationship"]
        assessment = self.report(
            f"{e['actor']['name']}: quarterly threat assessment",
            ["threat-report", "threat-actor"],
            TLP_AMBER,
            [*(e[k]["id"] for k in core), *(i["id"] for i in indicators[:10]), *relationships],
        )
        self.report(
            f"{e['home']['name']}: indicator bulletin",
            ["indicator"],
            TLP_GREEN,
            [o["id"] for o in (*indicators, e["home"], e["abroad"], e["technique0"])],
        )
        confidence = min(indicators[1]["confidence"] + 10, 100)
        self.revise(indicators[1], " Confirmed by a second source.", confidence=confidence)
        self.revise(
            indicators[7], " Validity extended.", valid_until=format_ms(self.now + 30 * _DAY)
        )
        for ind in indicators[9:11]:
            self.revise(ind, revoked=True)  # taken down, or a false positive
        alias = f"{e['actor']['name'].split()[0]} Fighters"
        aliases = [*e["actor"]["aliases"], alias]
        self.revise(e["actor"], " Leadership change reported.", aliases=aliases)
        self.revise(e["campaign"], last_seen=format_ms(self.now - 2 * _DAY))
        self.revise(assessment, " Updated after review.")
        return self.objects + self.versions

    # -- the objects ------------------------------------------------------------------------

    def entities(self, abroad: str) -> dict[str, dict[str, Any]]:
        """The SDOs that indicators, relationships and reports refer to, by role."""
        rng, pub = self.rng, self.pub
        group, network = rng.choice(_GROUPS), rng.choice(_FACILITATORS)
        family, family_types = rng.choice(_MALWARE)
        ent = {"home": self.location(pub.country)}
        country = ent["home"]["name"]
        ent["abroad"] = ent["home"] if abroad == pub.country else self.location(abroad)
        for n, (sector, label) in enumerate(rng.sample(_SECTORS, 2)):
            ent[f"sector{n}"] = self.add("identity", (180, 150), self.tlp(_W_OPEN), {
                "name": f"{label} in {country}", "identity_class": "class", "sectors": [sector],
                "description": f"{label} in {country}, reported as targets."})  # fmt: skip
        ent["actor"] = self.add("threat-actor", (175, 120), self.tlp(_W_ENTITY), {
            "name": group, "aliases": ["".join(word[0] for word in group.split())],
            "threat_actor_types": ["terrorist"], "roles": ["director"],
            "sophistication": "intermediate", "resource_level": "organization",
            "primary_motivation": "ideology",
            "goals": ["Recruit fighters online", "Fund operations through donations and extortion"],
            "description": f"Armed group active in {country} and its border areas."})  # fmt: skip
        ent["network"] = self.add("threat-actor", (175, 120), self.tlp(_W_ENTITY), {
            "name": network, "threat_actor_types": ["crime-syndicate", "criminal"],
            "roles": ["sponsor", "agent"], "primary_motivation": "organizational-gain",
            "description": f"Network moving money and people for {group}."})  # fmt: skip
        ent["media"] = self.add("intrusion-set", (170, 110), self.tlp(_W_ENTITY), {
            "name": f"{group} Media Office", "aliases": [f"{group} online cell"],
            "goals": ["Propaganda distribution", "Online recruitment"], "resource_level": "team",
            "primary_motivation": "ideology", "first_seen": format_ms(self.now - 300 * _DAY),
            "description": f"The online propaganda and recruitment wing of {group}."})  # fmt: skip
        ent["family"] = self.add("malware", (170, 110), self.tlp(_W_ENTITY), {
            "name": family, "is_family": True, "malware_types": family_types,
            "capabilities": ["communicates-with-c2", "exfiltrates-data"],
            "description": f"{family} is used by {group} to watch defectors."})  # fmt: skip
        ent["implant"] = self.add("malware", (100, 60), self.tlp(_W_SENSITIVE), {
            "name": f"{family} implant from a seized handset", "is_family": False,
            "malware_types": family_types,
            "description": "Sample recovered by the forensic unit during a search."})  # fmt: skip
        for n, (tid, name, tactic) in enumerate(rng.sample(_TECHNIQUES, 3)):
            url = "https://attack.mitre.org/techniques/" + tid.replace(".", "/")
            ent[f"technique{n}"] = self.add("attack-pattern", (180, 140), self.tlp(_W_OPEN), {
                "name": name, "description": f"ATT&CK {tid} {name}, as used by {group}.",
                "kill_chain_phases": [{"kill_chain_name": "mitre-attack", "phase_name": tactic}],
                "external_references": [
                    {"source_name": "mitre-attack", "external_id": tid, "url": url}]},
                case=False)  # fmt: skip
        ent["campaign"] = self.add("campaign", (120, 60), self.tlp(_W_SENSITIVE), {
            "name": rng.choice(_CAMPAIGNS), "aliases": [f"Case cluster {rng.randint(2, 9)}"],
            "objective": f"Recruit and move fighters across the borders of {country}.",
            "first_seen": format_ms(self.now - 140 * _DAY),
            "last_seen": format_ms(self.now - 20 * _DAY),
            "description": f"Coordinated recruitment and fundraising by {group}."})  # fmt: skip
        ent["c2"] = self.add("infrastructure", (110, 40), self.tlp(_W_SENSITIVE), {
            "name": f"{family} command servers", "infrastructure_types": ["command-and-control"],
            "first_seen": format_ms(self.now - 120 * _DAY),
            "description": f"Servers that {family} implants beacon to."})  # fmt: skip
        ent["portal"] = self.add("infrastructure", (110, 40), self.tlp(_W_ENTITY), {
            "name": f"{group} donation portals",
            "infrastructure_types": ["phishing", "hosting-malware"],
            "description": "Fake charity sites taking donations, serving a dropper."})  # fmt: skip
        return ent

    def location(self, code: str) -> dict[str, Any]:
        """A country location (with its UN M49 region when known); Africa without a country."""
        name, region = _COUNTRIES.get(code, (code, "")) if code else ("Africa", "africa")
        props: dict[str, Any] = {"name": name}
        if code:
            props["country"] = code
        if region:
            props["region"] = region
        props["description"] = f"{name}, as named in the reporting of {self.pub.name}."
        return self.add("location", (180, 150), self.tlp(_W_OPEN), props, case=False)

    def indicator(self, index: int, group: str) -> dict[str, Any]:
        """The index-th indicator; the first ones cover every pattern kind and marking case."""
        kind = _KINDS[index] if index < len(_KINDS) else None
        pattern, name = make_pattern(self.rng, self.rng.getrandbits(32), kind)
        tlp, granular = _FORCED.get(index) or (self.tlp(_W_INDICATOR), None)
        description = f"{name}. Linked to {group}."
        if granular and granular[1] == "description":
            description += " Source: liaison officer reporting from a detention interview."
        types = self.rng.choice((["malicious-activity"], ["malicious-activity"], ["attribution"]))
        obj = self.add("indicator", (100, 5), tlp, {
            "name": name, "description": description, "indicator_types": types,
            "pattern": pattern, "pattern_type": "stix", "pattern_version": "2.1"},
            granular=granular)  # fmt: skip
        obj["valid_from"] = obj["created"]
        if index % 3 == 0:
            obj["valid_until"] = format_ms(self.created[obj["id"]] + 90 * _DAY)
        return obj

    def relate(self, source: dict[str, Any], rtype: str, target: dict[str, Any]) -> None:
        """A relationship, marked as strictly as the stricter of its two ends."""
        ends = (source["id"], target["id"])
        props = {"relationship_type": rtype, "source_ref": ends[0], "target_ref": ends[1],
                 "description": f"{source['name']} {rtype} {target['name']}."}  # fmt: skip
        self.add("relationship", (150, 1), self.strictest(ends), props, after=ends, case=False)

    def sighting(self, indicator: dict[str, Any]) -> None:
        """The publisher saw `indicator` (STIX 2.1 §5.2) between first_seen and last_seen."""
        tlp = self.strictest([indicator["id"]], self.tlp(_W_SENSITIVE))
        sighting = self.add("sighting", (60, 1), tlp, {
            "sighting_of_ref": indicator["id"], "where_sighted_refs": [self.pub.identity_id],
            "count": self.rng.randint(1, 40),
            "description": f"Seen by {self.pub.name} during monitoring."},
            after=[indicator["id"]])  # fmt: skip
        first = self.rng.randint(self.created[indicator["id"]], self.created[sighting["id"]])
        sighting["first_seen"] = format_ms(first)
        sighting["last_seen"] = format_ms(self.rng.randint(first, self.created[sighting["id"]]))

    def note(self, target: dict[str, Any]) -> None:
        """An analyst's note on `target`."""
        tlp = self.strictest([target["id"]], self.tlp(_W_SENSITIVE))
        self.add("note", (40, 1), tlp, {
            "abstract": f"Analyst comment on {target['name']}",
            "content": "Assessed as reliable; corroborated by a second, independent source.",
            "authors": [f"{self.pub.name} analysis desk"], "object_refs": [target["id"]]},
            after=[target["id"]], case=False)  # fmt: skip

    def report(self, name: str, types: list[str], tlp: str, refs: list[str]) -> dict[str, Any]:
        """A report listing those of `refs` that its own TLP may show."""
        refs = [i for i in refs if (r := self.rank[i]) is not None and r <= TLP_RANK[tlp]]
        report = self.add("report", (30, 1), tlp, {
            "name": name, "report_types": types, "object_refs": refs,
            "description": f"{name}, prepared by {self.pub.name}."}, after=refs)  # fmt: skip
        report["published"] = report["created"]
        return report

    # -- primitives -------------------------------------------------------------------------

    def add(
        self,
        type_: str,
        days: tuple[int, int],
        tlp: str | None,
        props: dict[str, Any],
        *,
        after: Iterable[str] = (),
        granular: tuple[str, str] | None = None,
        case: bool = True,
    ) -> dict[str, Any]:
        """Create and record the first version of an object, `days` (oldest, newest) ago."""
        created = self.moment(days, after)
        stamp = format_ms(created)
        obj: dict[str, Any] = {
            "type": type_,
            "spec_version": "2.1",
            "id": f"{type_}--{uuid4(self.rng)}",
            "created_by_ref": self.pub.identity_id,
            "created": stamp,
            "modified": stamp,
            **props,
        }
        obj["labels"] = self.rng.sample(_LABELS, self.rng.randint(1, 2))
        obj["confidence"] = self.rng.randrange(40, 96, 5)
        if case:  # a reference into the publisher's (fictional) national case system
            number = f"{self.pub.country}-CT-{stamp[:4]}-{len(self.objects) + 1:03d}"
            ref = {"source_name": f"{self.pub.slug}-case-management", "external_id": number}
            obj["external_references"] = [*obj.get("external_references", ()), ref]
        if tlp is not None:
            obj["object_marking_refs"] = [tlp]
        if granular is not None:
            obj["granular_markings"] = [{"marking_ref": granular[0], "selectors": [granular[1]]}]
        if self.recipients and TLP_RED in (tlp, granular and granular[0]):
            ext = {"extension_type": "property-extension", "recipient_refs": self.recipients}
            obj["extensions"] = {RED_RECIPIENTS_EXTENSION: ext}
        self.objects.append(obj)
        self.created[obj["id"]] = created
        levels = [TLP_RANK[m] for m in (tlp, granular and granular[0]) if m]
        self.rank[obj["id"]] = max(levels) if levels else None  # a granular marking raises it
        return obj

    def revise(self, obj: dict[str, Any], addendum: str = "", **changes: Any) -> None:
        """Append a later version (same id, later ``modified``) of `obj`, with `changes`."""
        last, last_ms = self.latest.get(obj["id"], (obj, self.created[obj["id"]]))
        new = copy.deepcopy(last)
        new.update(changes)
        if addendum:
            new["description"] += addendum
        modified = self.rng.randint(last_ms + 1, max(last_ms + 1, self.now - 1))
        new["modified"] = format_ms(modified)
        self.versions.append(new)
        self.latest[obj["id"]] = (new, modified)

    def moment(self, days: tuple[int, int], after: Iterable[str] = ()) -> int:
        """A moment `days` (oldest, newest) days ago, and at least an hour after `after`."""
        lo = max([self.now - days[0] * _DAY, *(self.created[i] + 3_600_000 for i in after)])
        hi = max(self.now - days[1] * _DAY, min(lo + _DAY, self.now - 60_000))
        return self.rng.randint(min(lo, hi), hi)

    def tlp(self, weights: _Weights) -> str | None:
        """A TLP marking (or None: unmarked) drawn with `weights`."""
        return self.rng.choices([w[0] for w in weights], [w[1] for w in weights])[0]

    def strictest(self, ids: Iterable[str], floor: str | None = None) -> str:
        """The strictest TLP among the objects `ids` (unmarked: the hub's default) and `floor`."""
        ranks = [_UNMARKED if (r := self.rank[i]) is None else r for i in ids]
        if floor is not None:
            ranks.append(TLP_RANK[floor])
        return _BY_RANK[max(ranks)]
