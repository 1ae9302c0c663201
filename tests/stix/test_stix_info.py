"""What validate_object reports of a valid object (ObjectInfo), and TLP levels (§7.2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import stix2
from stix_minimal import EXT_DEF, IDENTITY, TLP1_AMBER, TLP1_WHITE, TLP_GREEN, TLP_RED, variant

from hub.stix import (
    TLP2_EXTENSION_ID,
    TLP_DEFINITIONS,
    TLP_MARKING_IDS,
    TLP_ORDER,
    ObjectInfo,
    register_hub_extension,
    select,
    selects,
    tlp_level,
    validate_object,
)

TLP2 = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
TLP1 = {
    "white": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}


def test_sdo_info() -> None:
    obj = variant(
        "indicator",
        created_by_ref=IDENTITY,
        modified="2022-01-02T03:04:05.123456Z",
        revoked=True,
        object_marking_refs=[TLP_GREEN],
    )
    info = validate_object(obj)
    assert info == ObjectInfo(
        id=obj["id"],
        type="indicator",
        spec_version="2.1",
        created=datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC),
        modified=datetime(2022, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        created_by_ref=IDENTITY,
        revoked=True,
        tlp="green",
        is_sco=False,
        custom=False,
    )
    assert info.created is not None and info.created.utcoffset() is not None


def test_sco_and_meta_info() -> None:
    sco = validate_object(variant("ipv4-addr"))
    assert (sco.is_sco, sco.created, sco.modified, sco.spec_version) == (True, None, None, "2.1")
    marking = validate_object(variant("marking-definition"))
    assert marking.modified is None and marking.created is not None and not marking.is_sco


def test_custom_flag() -> None:
    assert validate_object(variant("tool", x_acme=1), allow_custom=True).custom
    assert not validate_object(variant("tool"), allow_custom=True).custom
    ext = {EXT_DEF: {"extension_type": "property-extension", "rank": 1}}
    assert validate_object(variant("tool", extensions=ext)).custom
    tlp2 = {TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": "red"}}
    assert not validate_object(variant("tool", extensions=tlp2)).custom
    assert not validate_object(variant("file", extensions={"ntfs-ext": {"sid": "S-1"}})).custom


def test_hub_extension_is_not_custom() -> None:
    own = "extension-definition--9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    ext = {own: {"extension_type": "property-extension", "x": 1}}
    assert validate_object(variant("tool", extensions=ext)).custom
    register_hub_extension(own)
    assert not validate_object(variant("tool", extensions=ext)).custom


@pytest.mark.parametrize(
    ("refs", "level"),
    [
        ([], None),
        ([TLP2["clear"]], "clear"),
        ([TLP1["white"]], "clear"),
        ([TLP1["green"]], "green"),
        ([TLP2["amber+strict"]], "amber+strict"),
        ([TLP2["green"], TLP2["red"]], "red"),
        ([TLP2["amber+strict"], TLP1["amber"]], "amber+strict"),
        ([TLP1["red"], TLP2["clear"]], "red"),
        (["marking-definition--0b0b4a67-7b5d-4c2c-9a4d-1b0fbd2c1a11"], None),
        (["marking-definition--0b0b4a67-7b5d-4c2c-9a4d-1b0fbd2c1a11", TLP1["amber"]], "amber"),
    ],
)
def test_tlp_level_is_the_most_restrictive(refs: list[str], level: str | None) -> None:
    assert tlp_level(refs) == level
    obj = variant("tool", object_marking_refs=refs) if refs else variant("tool")
    assert validate_object(obj).tlp == level


def test_tlp_constants() -> None:
    assert TLP_ORDER == ("clear", "green", "amber", "amber+strict", "red")
    expected = {mid: level for level, mid in TLP2.items()}
    expected |= {mid: "clear" if c == "white" else c for c, mid in TLP1.items()}
    assert expected == TLP_MARKING_IDS
    assert (TLP1["white"], TLP1["amber"], TLP2["red"]) == (TLP1_WHITE, TLP1_AMBER, TLP_RED)


def test_tlp_definitions_are_the_published_objects() -> None:
    assert [d["id"] for d in TLP_DEFINITIONS] == [*TLP2.values(), *TLP1.values()]
    for definition in TLP_DEFINITIONS[:5]:
        level = TLP_MARKING_IDS[definition["id"]]
        assert definition == {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": definition["id"],
            "created": "2022-10-01T00:00:00.000Z",
            "name": f"TLP:{level.upper()}",
            "extensions": {
                TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}
            },
        }
    for definition in TLP_DEFINITIONS[5:]:
        colour = definition["definition"]["tlp"]
        assert definition == {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": TLP1[colour],
            "created": "2017-01-20T00:00:00.000Z",
            "definition_type": "tlp",
            "name": f"TLP:{colour.upper()}",
            "definition": {"tlp": colour},
        }


def test_tlp1_definitions_match_stix2() -> None:
    for definition in TLP_DEFINITIONS[5:]:
        published = getattr(stix2, f"TLP_{definition['definition']['tlp'].upper()}")
        assert json.loads(published.serialize()) == definition


@pytest.mark.parametrize(
    ("selector", "found"),
    [
        ("name", True),
        ("labels.[1]", True),
        ("labels.[2]", False),
        ("external_references.[0].source_name", True),
        ("external_references.[0].url", False),
        ("extensions.x-ext.deep.[0]", True),
        ("name.[0]", False),
        ("labels.name", False),
        ("labels.[x]", False),
        ("labels.[1", False),
        ("", False),
        ("a..b", False),
    ],
)
def test_selects(selector: str, found: bool) -> None:
    obj = {
        "name": "n",
        "labels": ["a", "b"],
        "external_references": [{"source_name": "s"}],
        "extensions": {"x-ext": {"deep": [0]}},
    }
    assert selects(obj, selector) is found
    if found:
        assert select(obj, selector) is not None
