"""STIX 2.1 for the hub: object validation, timestamps, patterns and TLP markings.

``validate_object`` checks one object against the STIX 2.1 specification the way the ``stix2``
library does (with the few, documented, specification-backed differences in
``tests/stix/test_equivalence.py``), fast enough for the publish path, and returns the
``ObjectInfo`` the store indexes.
"""

from hub.stix.errors import StixValidationError
from hub.stix.extensions import hub_extension_ids, register_hub_extension
from hub.stix.patterns import pattern_cache_clear, pattern_cache_info, validate_pattern
from hub.stix.selectors import select, selects
from hub.stix.timestamps import format_timestamp, parse_timestamp
from hub.stix.tlp import (
    TLP2_EXTENSION_ID,
    TLP_DEFINITIONS,
    TLP_MARKING_IDS,
    TLP_ORDER,
    tlp_level,
)
from hub.stix.validate import ObjectInfo, validate_object

__all__ = [
    "TLP2_EXTENSION_ID",
    "TLP_DEFINITIONS",
    "TLP_MARKING_IDS",
    "TLP_ORDER",
    "ObjectInfo",
    "StixValidationError",
    "format_timestamp",
    "hub_extension_ids",
    "parse_timestamp",
    "pattern_cache_clear",
    "pattern_cache_info",
    "register_hub_extension",
    "select",
    "selects",
    "tlp_level",
    "validate_object",
    "validate_pattern",
]
