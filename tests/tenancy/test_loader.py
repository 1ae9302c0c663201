"""The tenants directory: the example validates; bad files are refused with file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.tenancy.loader import DirectoryError, load_directory
from hub.tenancy.schemas import CollectionsFile, TenantSpec

EXAMPLE = Path(__file__).resolve().parents[2] / "tenants"


def test_example_directory_is_realistic() -> None:
    d = load_directory(EXAMPLE)
    kinds = [t.kind for t in d.tenants]
    assert kinds.count("national-cell") >= 5
    assert {"interpol", "unpol", "cted", "acsrt", "hub-operator"} <= {t.slug for t in d.tenants}
    assert all(t.country for t in d.tenants if t.kind == "national-cell")
    assert {"all-partners", "ecowas", "sahel"} <= {c.slug for c in d.communities}
    aliases = {c.alias for c in d.collections}
    assert {"shared-exchange", "interpol-broadcast", "interpol-inbox"} <= aliases
    assert sum(1 for a in aliases if a.endswith("-workspace")) >= 5


def _problems(directory: Path) -> list[str]:
    with pytest.raises(DirectoryError) as info:
        load_directory(directory)
    return [str(p) for p in info.value.problems]


def test_bad_field_named_with_file_and_line(tenants_copy: Path) -> None:
    path = tenants_copy / "ng-nctc.yaml"
    text = path.read_text().replace("country: NG", "country: XX")
    path.write_text(text)
    line = text.splitlines().index("country: XX") + 1
    problems = _problems(tenants_copy)
    assert any(p.startswith(f"{path}:{line}: country:") and "ISO 3166" in p for p in problems)


def test_unknown_property_is_refused(tenants_copy: Path) -> None:
    path = tenants_copy / "interpol.yaml"
    path.write_text(path.read_text() + "secret_key: hunter2\n")
    problems = _problems(tenants_copy)
    assert any(f"{path}:" in p and "secret_key" in p for p in problems)


def test_yaml_syntax_error_names_line(tenants_copy: Path) -> None:
    path = tenants_copy / "cted.yaml"
    path.write_text("slug: cted\nname: [unclosed\nkind: partner\n")
    problems = _problems(tenants_copy)
    assert any(p.startswith(f"{path}:") and "not valid YAML" in p for p in problems)


def test_national_cell_needs_country(tenants_copy: Path) -> None:
    path = tenants_copy / "ke-nctc.yaml"
    path.write_text(
        "\n".join(line for line in path.read_text().splitlines() if not line.startswith("country"))
    )
    assert any("country" in p for p in _problems(tenants_copy))


def test_unknown_community_and_audience_are_located(tenants_copy: Path) -> None:
    path = tenants_copy / "gh-ctfc.yaml"
    text = path.read_text().replace("[ecowas, african-union]", "[ecowas, atlantis]")
    path.write_text(text)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "atlantis" in t)
    cols = tenants_copy / "collections.yaml"
    cols.write_text(cols.read_text().replace("tenant:interpol]", "tenant:nobody]", 1))
    problems = _problems(tenants_copy)
    assert f"{path}:{line}: communities.1: unknown community 'atlantis'" in problems
    assert any(str(cols) in p and "unknown tenant 'nobody'" in p for p in problems)


def test_duplicate_identity_and_misnamed_file(tenants_copy: Path) -> None:
    ng = (tenants_copy / "ng-nctc.yaml").read_text()
    identity = next(line for line in ng.splitlines() if line.startswith("identity_id"))
    gh = tenants_copy / "gh-ctfc.yaml"
    gh.write_text(
        "\n".join(
            identity if line.startswith("identity_id") else line
            for line in gh.read_text().splitlines()
        )
    )
    (tenants_copy / "renamed.yaml").write_text((tenants_copy / "cted.yaml").read_text())
    (tenants_copy / "cted.yaml").unlink()
    problems = _problems(tenants_copy)
    assert any("identity_id" in p and "another tenant" in p for p in problems)
    assert any("renamed.yaml" in p and "cted.yaml" in p for p in problems)


def test_bad_audience_selector(tenants_copy: Path) -> None:
    cols = tenants_copy / "collections.yaml"
    cols.write_text(
        cols.read_text().replace("readers: [tenant:interpol]", "readers: [everyone]", 1)
    )
    assert any("readers" in p for p in _problems(tenants_copy))


def test_json_schemas_export() -> None:
    schema = TenantSpec.model_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) >= {"slug", "name", "kind", "identity_id"}
    assert "collections" in CollectionsFile.model_json_schema()["properties"]


def test_committed_json_schemas_are_current() -> None:
    import json

    from hub.tenancy.schemas import CommunitiesFile

    for name, model in (
        ("tenant", TenantSpec),
        ("communities", CommunitiesFile),
        ("collections", CollectionsFile),
    ):
        committed = json.loads((EXAMPLE / "schema" / f"{name}.schema.json").read_text())
        assert committed == model.model_json_schema(), f"run: fusion-hub tenants schema ({name})"
