"""The policy language: validation with file, line, rule and field; the example policies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from hub.sharing.loader import PolicyError, load_policies, load_policy
from hub.sharing.policy import Policy, policy_json_schema
from hub.tenancy.loader import DirectoryError
from tests.sharing.helpers import POLICIES, directory, example_policies, policy, share


def test_every_publishing_tenant_has_a_valid_policy() -> None:
    policies = example_policies()
    publishing = {t.slug for t in directory().tenants if t.kind != "operator"}
    assert set(policies) == publishing
    for p in policies.values():
        assert p.description and p.rules
        assert all(r.description for r in p.rules)


def test_example_policies_use_every_feature() -> None:
    rules = [r for p in example_policies().values() for r in p.rules]
    effects = {r.effect for r in rules}
    assert effects == {"share", "deny", "restrict"}
    assert any(r.recipients.named_on_object for r in rules)
    assert any(r.recipients.kinds for r in rules)
    assert any(r.recipients.communities for r in rules)
    assert any(r.match.collections for r in rules)
    assert any(r.match.source_types for r in rules)
    assert any(r.match.sighting_of_types for r in rules)
    assert any(r.match.min_age_days or r.match.max_age_days for r in rules)
    assert {a for r in rules for a in r.fields.values()} == {"redact", "encrypt"}


def test_json_schema_file_matches_the_model() -> None:
    on_disk = json.loads((POLICIES / "schema.json").read_text())
    assert on_disk == policy_json_schema(), (
        "regenerate: .venv/bin/python -m hub.sharing.policy > policies/schema.json"
    )
    assert on_disk["properties"]["rules"]["items"] == {"$ref": "#/$defs/Rule"}
    assert on_disk["$defs"]["Rule"]["additionalProperties"] is False


# (rule as YAML would give it, the error's field, part of its message)
INVALID_RULES: list[tuple[dict[str, Any], str, str]] = [
    (
        share("x", match={"types": ["indicator"]}, fields={"pattern": "redact"}),
        "rules.0.fields.pattern",
        "pattern is required by STIX 2.1 for indicator and cannot be redacted",
    ),
    (
        share("x", match={"types": ["report"]}, fields={"object_refs": "encrypt"}),
        "rules.0.fields.object_refs",
        "required by STIX 2.1 for report",
    ),
    (
        share("x", fields={"name": "redact"}),
        "rules.0.fields.name",
        "restrict the rule with match.types",
    ),
    (
        share("x", fields={"granular_markings": "redact"}),
        "rules.0.fields.granular_markings",
        "data markings",
    ),
    (share("x", fields={"external_references..url": "redact"}), "rules.0.fields.", "pattern"),
    (
        {
            "name": "x",
            "effect": "deny",
            "recipients": {"everyone": True},
            "fields": {"description": "redact"},
        },
        "rules.0.fields",
        "a deny rule withholds the whole object",
    ),
    (
        {"name": "x", "effect": "restrict", "recipients": {"everyone": True}},
        "rules.0.fields",
        "a restrict rule needs field actions",
    ),
    (
        share("x", match={"source_types": ["indicator"]}),
        "rules.0.match.source_types",
        "applies to relationships only",
    ),
    (
        share("x", match={"types": ["sighting"], "target_types": ["malware"]}),
        "rules.0.match.target_types",
        "give types: [relationship]",
    ),
    (share("x", match={"tlp": ["red"]}), "rules.0.recipients", "can never share"),
    (share("x", {"everyone": True}, match={"tlp": ["amber"]}), "rules.0.recipients", "never"),
    ({"name": "x", "effect": "share", "recipients": {}}, "rules.0.recipients", "name recipients"),
    (share("x", match={"confidence": {"min": 80, "max": 20}}), "rules.0.match.confidence", "min"),
    (share("x", match={"tlp": ["pink"]}), "rules.0.match.tlp.0", "Input should be"),
    (share("x", {"kinds": ["operator"]}), "rules.0.recipients.kinds.0", "Input should be"),
    (share("Bad Name"), "rules.0.name", "pattern"),
    (share("x", colour="red"), "rules.0.colour", "Extra inputs"),
]


@pytest.mark.parametrize(("rule", "field", "message"), INVALID_RULES)
def test_invalid_rules_are_refused(rule: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        policy(rule)
    errors = [(".".join(map(str, e["loc"])), e["msg"]) for e in info.value.errors()]
    assert any(loc.startswith(field) and message in msg for loc, msg in errors), errors


def test_duplicate_rule_names() -> None:
    with pytest.raises(ValidationError, match="already used by rule 0"):
        policy(share("same"), share("same"))


def test_share_action_and_typed_selectors_are_fine() -> None:
    fields = {
        "name": "redact",
        "pattern": "share",
        "external_references.[0].url": "encrypt",
        "hashes.SHA-256": "redact",
    }
    p = policy(share("x", match={"types": ["indicator"]}, fields=fields))
    assert isinstance(p, Policy)


@pytest.fixture
def policies_copy(tmp_path: Path) -> Path:
    """A writable copy of the example policies."""
    target = tmp_path / "policies"
    shutil.copytree(POLICIES, target)
    return target


def _problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(path, directory())
    assert isinstance(info.value, DirectoryError)
    return [str(p) for p in info.value.problems]


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_errors_name_file_line_rule_and_field(policies_copy: Path) -> None:
    path = policies_copy / "ml-cnlt.yaml"
    text = path.read_text().replace(
        "      external_references: redact\n\n  - name: partners-get-reports",
        "      pattern: redact\n\n  - name: partners-get-reports",
    )
    path.write_text(text)
    line = _line_of(path, "pattern: redact")
    problems = _problems(path)
    assert problems == [
        f"{path}:{line}: rules[7] (interpol-indicators).fields.pattern: pattern is required by "
        "STIX 2.1 for indicator and cannot be redacted"
    ]


def test_unknown_names_are_refused_with_their_line(policies_copy: Path) -> None:
    path = policies_copy / "ml-cnlt.yaml"
    text = path.read_text()
    text = text.replace("recipients: {tenants: [interpol]}", "recipients: {tenants: [interpool]}")
    text = text.replace("communities: [african-union]}", "communities: [african-onion]}")
    text = text.replace("collections: [sahel-exchange]", "collections: [interpol-broadcast]")
    path.write_text(text)
    problems = _problems(path)
    assert (
        f"{path}:{_line_of(path, 'interpool')}: rules[7] (interpol-indicators)."
        "recipients.tenants.0: unknown tenant 'interpool'"
    ) in problems
    assert any("rules[6] (au-threat-picture).recipients.communities.0: unknown community" in p
               for p in problems)  # fmt: skip
    assert any("ml-cnlt cannot publish to 'interpol-broadcast'" in p for p in problems)


def test_policy_of_the_wrong_file_or_tenant(policies_copy: Path) -> None:
    moved = policies_copy / "ne-cclt.yaml"
    moved.write_text((policies_copy / "ml-cnlt.yaml").read_text())
    assert any("file must be named ml-cnlt.yaml" in p for p in _problems(moved))
    operator = policies_copy / "hub-operator.yaml"
    operator.write_text("tenant: hub-operator\nrules: []\n")
    assert any("it has no policy" in p for p in _problems(operator))


def test_yaml_errors_and_all_or_nothing(policies_copy: Path) -> None:
    bad = policies_copy / "cted.yaml"
    bad.write_text("tenant: cted\nrules: [\n")
    assert any(p.startswith(f"{bad}:") and "not valid YAML" in p for p in _problems(bad))
    with pytest.raises(PolicyError) as info:
        load_policies(policies_copy, directory())
    assert all(str(p.file) == str(bad) for p in info.value.problems)


def test_editors_schema_is_closed() -> None:
    """Editors flag typos: every object is closed, field keys must be selectors."""
    schema = policy_json_schema()
    assert schema["additionalProperties"] is False
    assert all(d["additionalProperties"] is False for d in schema["$defs"].values())
    fields = schema["$defs"]["Rule"]["properties"]["fields"]
    assert fields["additionalProperties"] is False and fields["patternProperties"]
