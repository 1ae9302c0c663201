"""Deterministic factories of valid STIX 2.1 objects of every type, for the equivalence corpus.

``Factory(seed)`` draws every random choice from one seeded ``random.Random``, so a seed always
gives the same objects. Every object a factory makes is valid for ``stix2.parse`` and for
``hub.stix.validate_object`` alike (custom-type objects under ``allow_custom`` only).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from stix_corpus_sco import SHA256, ScoMakers
from stix_corpus_sdo import SdoMakers

from hub.stix import TLP_DEFINITIONS, TLP_MARKING_IDS

Obj = dict[str, Any]

INVALID_PATTERNS = (
    "ipv4-addr:value = '1.2.3.4'",
    "[ipv4-addr:value = ]",
    "[ipv4-addr:value = '1.2.3.4'",
    "[file:hashes.'SHA-256' == 'abc']",
    "[]",
    "",
    "[ipv4-addr:value = '1.2.3.4'] WITHIN -5 SECONDS",
    "[x:y = 1] REPEATS -1 TIMES",
)
TLP_IDS = tuple(TLP_MARKING_IDS)
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel")


class Factory(SdoMakers, ScoMakers):
    """Makes valid objects; every random choice comes from ``self.r``."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.makers: dict[str, Callable[[], Obj]] = {
            name.replace("make_", "").replace("_", "-"): getattr(self, name)
            for name in dir(self)
            if name.startswith("make_")
        }

    # ---- primitives -------------------------------------------------------------------------
    def uuid4(self) -> str:
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def id(self, type_name: str) -> str:
        return f"{type_name}--{self.uuid4()}"

    def when(self) -> datetime:
        start = datetime(2015, 1, 1, tzinfo=UTC)
        return start + timedelta(
            seconds=self.r.randrange(10 * 365 * 86400), milliseconds=self.r.randrange(1000)
        )

    def ts(self, dt: datetime | None = None) -> str:
        dt = dt or self.when()
        if self.r.random() < 0.2:
            return dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"

    def later(self, dt: datetime) -> datetime:
        return dt + timedelta(seconds=self.r.randrange(1, 400 * 86400))

    def pair(self) -> tuple[str, str]:
        a = self.when()
        return self.ts(a), self.ts(self.later(a))

    def words(self, n: int = 0) -> list[str]:
        return self.r.sample(WORDS, n or self.r.randint(1, 3))

    def text(self) -> str:
        return " ".join(self.words(4))

    def maybe(self, p: float = 0.5) -> bool:
        return self.r.random() < p

    # ---- common properties ------------------------------------------------------------------
    def sdo(self, type_name: str, **props: Any) -> Obj:
        created = self.when()
        stamp = self.ts(created)
        obj: Obj = {
            "type": type_name,
            "spec_version": "2.1",
            "id": self.id(type_name),
            "created": stamp,
            "modified": self.ts(self.later(created)) if self.maybe() else stamp,
        }
        if self.maybe(0.4):
            obj["created_by_ref"] = self.id("identity")
        if self.maybe(0.3):
            obj["labels"] = self.words()
        if self.maybe(0.3):
            obj["confidence"] = self.r.randint(0, 100)
        if self.maybe(0.2):
            obj["lang"] = self.r.choice(("en", "fr", "ar"))
        if self.maybe(0.3):
            obj["external_references"] = [self.external_reference()]
        if self.maybe(0.6):
            obj["object_marking_refs"] = self.r.sample(TLP_IDS, self.r.randint(1, 2))
        if self.maybe(0.1):
            obj["revoked"] = self.r.choice((True, False))
        if self.maybe(0.1):
            obj["extensions"] = {
                self.id("extension-definition"): {"extension_type": "property-extension", "rank": 5}
            }
        obj.update(props)
        self.granular(obj)
        return obj

    def sco(self, type_name: str, **props: Any) -> Obj:
        obj: Obj = {"type": type_name, "id": self.id(type_name)}
        if self.maybe(0.7):
            obj["spec_version"] = "2.1"
        if self.maybe(0.3):
            obj["object_marking_refs"] = [self.r.choice(TLP_IDS)]
        if self.maybe(0.2):
            obj["defanged"] = self.r.choice((True, False))
        obj.update(props)
        self.granular(obj)
        return obj

    def granular(self, obj: Obj) -> None:
        """Mark a present, non-empty top-level string (stix2 selects nothing else reliably)."""
        targets = [k for k in ("description", "name", "value", "content") if obj.get(k)]
        if targets and self.maybe(0.3):
            marking: Obj = {"selectors": [self.r.choice(targets)]}
            if self.maybe(0.8):
                marking["marking_ref"] = self.r.choice(TLP_IDS)
            else:
                marking["lang"] = "fr"
            obj["granular_markings"] = [marking]

    def external_reference(self) -> Obj:
        ref: Obj = {"source_name": self.r.choice(("capec", "cve", "veris", "acme"))}
        choice = self.r.randrange(3)
        if choice == 0:
            ref["url"] = f"https://example.org/{self.r.choice(WORDS)}"
            if self.maybe():
                ref["hashes"] = {"SHA-256": SHA256}
        elif choice == 1:
            ref["external_id"] = f"CAPEC-{self.r.randint(1, 999)}"
        else:
            ref["description"] = self.text()
        return ref

    def kill_chain(self) -> list[Obj]:
        return [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}]

    def opt(self, obj: Obj, p: float = 0.5, **props: Any) -> Obj:
        """Add each of ``props`` with probability ``p``."""
        for key, value in props.items():
            if self.maybe(p):
                obj[key] = value
        return obj

    # ---- SROs (§5) --------------------------------------------------------------------------
    def make_relationship(self) -> Obj:
        start = self.when()
        o = self.opt(
            {
                "relationship_type": "indicates",
                "source_ref": self.id("indicator"),
                "target_ref": self.id("malware"),
            },
            description=self.text(),
        )
        if self.maybe(0.3):
            o.update(start_time=self.ts(start), stop_time=self.ts(self.later(start)))
        return self.sdo("relationship", **o)

    def make_sighting(self) -> Obj:
        first, last = self.pair()
        o = self.opt(
            {"sighting_of_ref": self.id(self.r.choice(("indicator", "malware")))},
            count=self.r.randint(0, 50),
            where_sighted_refs=[self.id("identity"), self.id("location")],
            observed_data_refs=[self.id("observed-data")],
            summary=False,
        )
        if self.maybe():
            o.update(first_seen=first, last_seen=last)
        return self.sdo("sighting", **o)

    # ---- meta objects (§7) ------------------------------------------------------------------
    def make_language_content(self) -> Obj:
        o = self.opt(
            {"object_ref": self.id("report"), "contents": {"fr": {"name": "Rapport"}}},
            object_modified=self.ts(),
        )
        obj = self.sdo("language-content", **o)
        obj.pop("lang", None)
        return obj

    def make_marking_definition(self) -> Obj:
        if self.maybe(0.4):
            return dict(self.r.choice(TLP_DEFINITIONS))
        obj: Obj = {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": self.id("marking-definition"),
            "created": self.ts(),
        }
        obj.update(definition_type="statement", definition={"statement": "Copyright 2026 ACME"})
        return self.opt(obj, name="ACME copyright", created_by_ref=self.id("identity"))

    def make_extension_definition(self) -> Obj:
        o = {
            "created_by_ref": self.id("identity"),
            "name": "hub field encryption",
            "schema": "https://example.org/schema.json",
            "version": "1.0.0",
            "extension_types": [self.r.choice(("property-extension", "new-sdo"))],
        }
        obj = self.sdo("extension-definition", **o)
        for key in ("confidence", "lang", "extensions"):
            obj.pop(key, None)
        return obj

    # ---- extension-defined and custom types (§7.3, §11.2) ----------------------------------
    def new_sdo(self) -> Obj:
        """An object of a type an extension definition defines (valid without allow_custom)."""
        obj = self.sdo("my-favorite-sdo", some_property="value")
        obj["extensions"] = {self.id("extension-definition"): {"extension_type": "new-sdo"}}
        return obj

    def custom_sdo(self) -> Obj:
        """A custom (x-) object type: valid under allow_custom only."""
        obj = self.sdo("x-acme-widget", x_acme_size=self.r.randint(1, 9))
        obj.pop("extensions", None)
        return obj
