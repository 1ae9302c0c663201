"""STIX identity objects of tenants, as the hub publishes them (STIX 2.1 §4.5)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from hub.tenancy.schemas import TenantSpec

__all__ = ["identity_content", "identity_object", "stix_time"]

_IDENTITY_CLASS = {"national-cell": "organization", "partner": "organization", "operator": "system"}


def stix_time(dt: datetime) -> str:
    """A STIX 2.1 timestamp (§3.2) with millisecond precision."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def identity_object(
    spec: TenantSpec, *, created: datetime, modified: datetime, operator_identity: str | None
) -> dict[str, Any]:
    """The identity object for `spec`; created by the hub operator's identity if there is one."""
    obj: dict[str, Any] = {
        "type": "identity",
        "spec_version": "2.1",
        "id": spec.identity_id,
        "created": stix_time(created),
        "modified": stix_time(modified),
        "name": spec.name,
        "identity_class": _IDENTITY_CLASS[spec.kind],
        "sectors": list(spec.sectors),
    }
    if operator_identity and operator_identity != spec.identity_id:
        obj["created_by_ref"] = operator_identity
    if spec.description:
        obj["description"] = spec.description
    if spec.contact:
        obj["contact_information"] = spec.contact
    return obj


def identity_content(obj: dict[str, Any]) -> dict[str, Any]:
    """The identity without its timestamps: what decides whether a new version is needed."""
    return {k: v for k, v in obj.items() if k not in {"created", "modified"}}
