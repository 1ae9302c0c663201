"""The declarative files under ``tenants/``: models that validate them (and export JSON Schema).

The same models are used by ``fusion-hub tenants check`` and by the sync, so a file that checks
is a file that syncs.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = [
    "AUDIENCE_PATTERN",
    "CollectionSpec",
    "CollectionsFile",
    "CommunitiesFile",
    "CommunitySpec",
    "TenantKind",
    "TenantSpec",
]

TenantKind = Literal["national-cell", "partner", "operator"]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,62}[a-z0-9]$")]
AUDIENCE_PATTERN = (
    r"^(\*|tenant:[a-z0-9-]+|community:[a-z0-9-]+|kind:(national-cell|partner|operator))$"
)
Audience = Annotated[str, StringConstraints(pattern=AUDIENCE_PATTERN)]

# ISO 3166-1 alpha-2 codes (officially assigned), for national cells' `country`.
_ISO3166 = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI
    BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN
    CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK
    FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM
    HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK
    ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP
    NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW
    SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF
    TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905
)
_IDENTITY_RE = re.compile(
    r"^identity--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TenantSpec(_Strict):
    """One tenant: ``tenants/<slug>.yaml``."""

    slug: Slug = Field(description="Short stable name, used in URLs, policies and selectors.")
    name: str = Field(min_length=2, max_length=200, description="Display name.")
    kind: TenantKind = Field(description="national-cell, partner or operator.")
    country: str | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code; required for national cells."
    )
    identity_id: str = Field(description="The STIX identity this tenant publishes as.")
    communities: list[Slug] = Field(default_factory=list)
    description: str = Field(default="", max_length=2000)
    contact: str = Field(default="", max_length=500, description="Public contact point.")
    sectors: list[str] = Field(default_factory=lambda: ["government"])
    public_keys: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Public JWKs (RFC 7517) for fields delivered to this tenant encrypted "
        "(JWE ECDH-ES+A256KW, RFC 7518 §4.6): X25519 (kty OKP) or P-256 (kty EC), use enc. "
        "The first is used; put a new key first to rotate. Never a private key.",
        json_schema_extra={
            "items": {
                "type": "object",
                "required": ["kty", "crv", "x"],
                "properties": {
                    "kty": {"enum": ["OKP", "EC"]},
                    "crv": {"enum": ["X25519", "P-256"]},
                    "x": {"type": "string"},
                    "y": {"type": "string"},
                    "kid": {"type": "string"},
                    "use": {"const": "enc"},
                    "alg": {"const": "ECDH-ES+A256KW"},
                },
                "not": {"required": ["d"]},
            }
        },
    )

    @field_validator("country")
    @classmethod
    def _country_is_iso3166(cls, value: str | None) -> str | None:
        if value is not None and value not in _ISO3166:
            raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return value

    @field_validator("identity_id")
    @classmethod
    def _identity_is_stix_id(cls, value: str) -> str:
        if not _IDENTITY_RE.match(value):
            raise ValueError("must be a STIX identity id: identity--<lowercase UUID>")
        uuid.UUID(value.split("--", 1)[1])
        return value

    @field_validator("public_keys")
    @classmethod
    def _public_keys_are_usable(cls, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        from hub.crypto.delivery import recipient_key
        from hub.crypto.errors import InvalidValue

        for i, jwk in enumerate(value):
            try:
                recipient_key(jwk)
            except InvalidValue as exc:
                raise ValueError(f"public_keys[{i}]: {exc.description}") from None
        return value

    @model_validator(mode="after")
    def _national_cell_has_country(self) -> TenantSpec:
        if self.kind == "national-cell" and self.country is None:
            raise ValueError("a national cell needs its ISO 3166-1 `country`")
        return self


class CommunitySpec(_Strict):
    """One community: an entry of ``tenants/communities.yaml``."""

    slug: Slug
    name: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=2000)


class CommunitiesFile(_Strict):
    """``tenants/communities.yaml``."""

    communities: list[CommunitySpec]


class CollectionSpec(_Strict):
    """One TAXII collection and its audiences (TAXII 2.1 §5.2)."""

    id: uuid.UUID = Field(description="Stable collection id (a UUID), as TAXII clients see it.")
    alias: Slug = Field(description="Short name for operators and the CLI.")
    title: str = Field(min_length=2, max_length=200)
    description: str = Field(default="", max_length=2000)
    readers: list[Audience] = Field(description="Who may read: *, tenant:, community:, kind:.")
    writers: list[Audience] = Field(description="Who may write: *, tenant:, community:, kind:.")
    allow_custom: bool = Field(
        default=False, description="Accept custom STIX objects and properties."
    )


class CollectionsFile(_Strict):
    """``tenants/collections.yaml``."""

    collections: list[CollectionSpec]
