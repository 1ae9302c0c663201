"""Configuration: one `Settings` object, read from the environment with the ``HUB_`` prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from hub.crypto.kms import KmsConfig

__all__ = ["Settings"]

Environment = Literal["development", "test", "production"]


class Settings(BaseSettings):
    """Every knob of the hub. Nothing reads the environment except this class."""

    model_config = SettingsConfigDict(env_prefix="HUB_", extra="ignore")

    environment: Environment = "development"
    database_url: str = "sqlite:///var/hub.db"
    data_dir: Path = Path("var")
    tenants_dir: Path = Path("tenants")
    policies_dir: Path = Path("policies")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_content_length: int = Field(
        default=50 * 1024 * 1024,
        ge=1024,
        description="Largest request body the hub accepts, in bytes (TAXII max_content_length).",
    )
    public_url: str = Field(
        default="",
        description="Base URL partners use to reach the hub; derived from host and port if empty.",
    )
    title: str = "Fusion Hub"
    contact: str = "hub-operator@fusion-hub.example"
    access_token_ttl: int = Field(default=900, ge=30, le=86400)
    page_size_default: int = Field(default=100, ge=1, le=10000)
    page_size_max: int = Field(default=1000, ge=1, le=10000)
    db_pool_size: int = Field(default=10, ge=1, le=200)
    jobs_enabled: bool = Field(default=True, description="Run a job runner thread in `serve`.")
    audit_retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Days of audit trail to keep; older entries are pruned behind a signed "
        "checkpoint. None (the default) keeps everything.",
    )

    # The console (hub/console): people's sessions.
    console_idle_timeout: int = Field(
        default=900, ge=60, le=86400, description="Seconds without a request that end a session."
    )
    console_session_lifetime: int = Field(
        default=12 * 3600, ge=300, le=7 * 86400, description="Seconds after sign-in a session ends."
    )
    # Console sign-in through an OpenID Connect provider: off unless an issuer is set.
    oidc_issuer: str = Field(
        default="",
        description="Issuer URL of the identity provider (discovery at "
        "<issuer>/.well-known/openid-configuration); empty turns OpenID Connect sign-in off.",
    )
    oidc_client_id: str = Field(default="", description="The console's client id at the provider.")
    oidc_client_secret: SecretStr | None = Field(
        default=None, description="The console's client secret (none: a public client, PKCE only)."
    )
    oidc_username_claim: str = Field(
        default="preferred_username",
        min_length=1,
        description="ID token claim holding the console user name the person signs in as.",
    )
    oidc_require_mfa: bool = Field(
        default=True,
        description="Accept only ID tokens whose `amr` names a second factor "
        "(mfa, otp, hwk, swk, fido), as the console's own sign-in demands a TOTP code.",
    )
    oidc_label: str = Field(
        default="single sign-on",
        min_length=1,
        max_length=64,
        description='The sign-in button reads "Sign in with <label>".',
    )
    # Field-level encryption (docs/crypto.md): where the master key lives, and the switch.
    kms_provider: Literal["local", "pkcs11"] = Field(
        default="local",
        description="Master key provider: the local keyring (or HUB_MASTER_KEY), or an HSM.",
    )
    master_key: SecretStr | None = Field(
        default=None,
        description="Base64 of a 256-bit master key, instead of the keyring file's (local).",
    )
    previous_master_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated base64 master keys being rotated away from (local); "
        "they still unwrap until `fusion-hub keys rotate-master` rewrapped every tenant key.",
    )
    pkcs11_library: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_token_label: str = "fusion-hub"  # noqa: S105 - a label, not a secret
    pkcs11_pin: SecretStr | None = None
    pkcs11_key_label: str = "fusion-hub-master"
    key_cache_ttl: float = Field(
        default=60.0,
        gt=0,
        le=3600,
        description="Seconds an unwrapped tenant key is cached; another process's rotation or "
        "shredding takes effect here within this time.",
    )
    field_encryption: bool = Field(
        default=True,
        description="Seal protected fields at rest (on). Off is for measuring its cost only: "
        "protected fields are then stored in clear; refused in production.",
    )
    audit_trail: bool = Field(
        default=True,
        description="Record every TAXII publish, read and delete in the audit trail (on). Off "
        "is for measuring its cost only: those requests then leave no entry (authentication "
        "failures, policy, key and client changes are still recorded); refused in production.",
    )

    @model_validator(mode="after")
    def _oidc_complete(self) -> Settings:
        """An identity provider needs the console's client id, and TLS unless on loopback."""
        if not self.oidc_issuer:
            return self
        if not self.oidc_client_id:
            raise ValueError("HUB_OIDC_ISSUER is set but HUB_OIDC_CLIENT_ID is not")
        issuer = urlsplit(self.oidc_issuer)
        loopback = issuer.scheme == "http" and issuer.hostname in ("127.0.0.1", "::1", "localhost")
        secure = issuer.scheme == "https" or (loopback and self.environment != "production")
        if not secure or not issuer.hostname or issuer.query or issuer.fragment:
            raise ValueError("HUB_OIDC_ISSUER must be an https:// URL without query or fragment")
        return self

    @model_validator(mode="after")
    def _refuse_dangerous_defaults(self) -> Settings:
        """Outside development the hub must not run on the embedded demo defaults."""
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError(
                    "HUB_DATABASE_URL points at SQLite; production runs on PostgreSQL "
                    "(set HUB_ENVIRONMENT=development for a single-process embedded hub)"
                )
            if not self.field_encryption:
                raise ValueError("HUB_FIELD_ENCRYPTION=off stores protected fields in clear")
            if not self.audit_trail:
                raise ValueError("HUB_AUDIT_TRAIL=off leaves publishes and reads unaudited")
            if self.host in {"0.0.0.0", "::"} and not self.public_url.startswith("https://"):  # noqa: S104
                raise ValueError("HUB_PUBLIC_URL must be an https:// URL when listening publicly")
        return self

    @property
    def base_url(self) -> str:
        """The externally visible base URL, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    def kms_config(self) -> KmsConfig:
        """The key provider's configuration (:class:`hub.crypto.kms.KmsConfig`)."""
        from hub.crypto.kms import KmsConfig

        previous = self.previous_master_keys.get_secret_value() if self.previous_master_keys else ""
        return KmsConfig(
            provider=self.kms_provider,
            master_key=self.master_key,
            previous_master_keys=tuple(
                SecretStr(k.strip()) for k in previous.split(",") if k.strip()
            ),
            pkcs11_library=self.pkcs11_library,
            pkcs11_token_label=self.pkcs11_token_label,
            pkcs11_pin=self.pkcs11_pin,
            pkcs11_key_label=self.pkcs11_key_label,
        )

    def ensure_data_dir(self) -> Path:
        """Create the data directory (mode 0700) if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        return self.data_dir
