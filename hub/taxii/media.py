"""TAXII 2.1 content negotiation (§1.6.8): what the hub serves and what it accepts."""

from __future__ import annotations

from hub.errors import NotAcceptable, UnsupportedMediaType

__all__ = ["TAXII_MEDIA_TYPE", "check_accept", "check_content_type"]

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"


def _parse(value: str) -> tuple[str, dict[str, str]]:
    parts = [p.strip() for p in value.split(";")]
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        params[k.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def _acceptable(media_range: str) -> bool:
    mtype, params = _parse(media_range)
    if params.get("q") in {"0", "0.0", "0.00", "0.000"}:
        return False
    if mtype in {"*/*", "application/*"}:
        return True
    if mtype == "application/taxii+json":
        return params.get("version", "2.1") == "2.1"
    return False


def check_accept(header: str | None) -> None:
    """Raise 406 unless the Accept header admits ``application/taxii+json;version=2.1``.

    A missing header is treated as ``*/*`` (RFC 9110 §12.5.1). ``application/taxii+json``
    without a version means the newest the server supports, 2.1 (TAXII 2.1 §1.6.8.1).
    """
    if not header:
        return
    if any(_acceptable(r) for r in header.split(",")):
        return
    raise NotAcceptable(
        f"This endpoint serves {TAXII_MEDIA_TYPE}; the Accept header was {header!r}"
    )


def check_content_type(header: str | None) -> None:
    """Raise 415 unless a POST body is ``application/taxii+json`` for version 2.1."""
    if header:
        mtype, params = _parse(header)
        if mtype == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return
    raise UnsupportedMediaType(
        f"Send the envelope as Content-Type: {TAXII_MEDIA_TYPE} (got {header or 'none'!r})"
    )
