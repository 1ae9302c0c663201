"""Configuration: one `Settings` object, read from the environment with the ``HUB_`` prefix."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    @model_validator(mode="after")
    def _refuse_dangerous_defaults(self) -> Settings:
        """Outside development the hub must not run on the embedded demo defaults."""
        if self.environment == "production":
            if self.database_url.startswith("sqlite"):
                raise ValueError(
                    "HUB_DATABASE_URL points at SQLite; production runs on PostgreSQL "
                    "(set HUB_ENVIRONMENT=development for a single-process embedded hub)"
                )
            if self.host in {"0.0.0.0", "::"} and not self.public_url.startswith("https://"):  # noqa: S104
                raise ValueError("HUB_PUBLIC_URL must be an https:// URL when listening publicly")
        return self

    @property
    def base_url(self) -> str:
        """The externally visible base URL, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"http://{self.host}:{self.port}"

    def ensure_data_dir(self) -> Path:
        """Create the data directory (mode 0700) if needed and return it."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        return self.data_dir
