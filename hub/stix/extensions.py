"""The ``extensions`` property (§3.2) and extension definitions the hub itself knows (§7.3).

Keys are predefined extension names (§3.10; their content is checked), ids of extension
definitions (any content, as in ``stix2``: the schema is not at hand), or, as custom content
(§11.3), anything else. Extensions of definitions the hub knows (TLP 2.0, and those registered
with :func:`register_hub_extension`, e.g. the hub's field-encryption extension) do not make an
object custom; other extension definitions do.
"""

from __future__ import annotations

from typing import Any

from hub.stix._checkers import Ctx, check_object, show
from hub.stix._embedded import SCO_EXTENSIONS
from hub.stix.errors import StixValidationError
from hub.stix.identifiers import id_type
from hub.stix.tlp import TLP2_EXTENSION_ID

__all__ = [
    "EXTENSIONS",
    "NEW_OBJECT_EXTENSION_TYPES",
    "hub_extension_ids",
    "new_object_extension_type",
    "register_hub_extension",
    "toplevel_extension_present",
]

NEW_OBJECT_EXTENSION_TYPES = frozenset({"new-sdo", "new-sco", "new-sro"})
_TOPLEVEL = "toplevel-property-extension"
_hub_extensions: set[str] = {TLP2_EXTENSION_ID}


def register_hub_extension(extension_id: str) -> None:
    """Declare an extension definition the hub publishes: its use does not make objects custom."""
    if id_type(extension_id) != "extension-definition":
        raise StixValidationError(
            f"{show(extension_id)} is not an extension-definition identifier", prop="id"
        )
    _hub_extensions.add(extension_id)


def hub_extension_ids() -> frozenset[str]:
    """The extension definitions the hub knows."""
    return frozenset(_hub_extensions)


def EXTENSIONS(v: Any, ctx: Ctx, path: str) -> None:
    """§3.2 ``extensions``: a non-empty dictionary of extension instances."""
    if type(v) is not dict:
        ctx.fail(path, f"must be a dictionary, not {show(v)}")
    if not v:
        ctx.fail(path, "must not be an empty dictionary")
    for key, ext in v.items():
        sub = f"{path}.{key}"
        if type(key) is not str:
            ctx.fail(path, f"has a key that is not a string: {show(key)}")
        if type(ext) is not dict:
            ctx.fail(sub, f"must be a JSON object, not {show(ext)}")
        schema = SCO_EXTENSIONS.get(key)
        if schema is not None:
            if ext.get("extension_type") == _TOPLEVEL:
                ctx.fail(sub, "is a predefined extension, not a toplevel-property-extension")
            check_object(schema, ext, ctx, sub)
        elif key.startswith("extension-definition--"):
            if id_type(key) != "extension-definition":
                ctx.fail(sub, "is not keyed by a valid extension-definition identifier")
            if key not in _hub_extensions:
                ctx.custom = True
        elif ctx.allow_custom:
            ctx.custom = True
        else:
            ctx.fail(sub, "is not a STIX 2.1 extension (custom extensions need allow_custom)")


def toplevel_extension_present(extensions: object) -> bool:
    """True if an extension adds top-level properties (§7.3): other properties are then its own.

    As in ``stix2``, which cannot know such a definition's property names, every property the
    object type does not define counts as the extension's.
    """
    if type(extensions) is not dict:
        return False
    for key, ext in extensions.items():
        if (
            type(ext) is dict
            and ext.get("extension_type") == _TOPLEVEL
            and key not in SCO_EXTENSIONS
        ):
            return True
    return False


def new_object_extension_type(extensions: object) -> str | None:
    """The extension type (new-sdo, new-sco, new-sro) that defines a new object type, if any."""
    if type(extensions) is not dict:
        return None
    for key, ext in extensions.items():
        if type(key) is str and key.startswith("extension-definition--") and type(ext) is dict:
            extension_type = ext.get("extension_type")
            if extension_type in NEW_OBJECT_EXTENSION_TYPES:
                return str(extension_type)
    return None
