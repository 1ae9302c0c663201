"""What every `fusion-hub` sub-command shares."""

from __future__ import annotations

import typer
from rich.console import Console

from hub.settings import Settings

__all__ = ["settings_or_exit"]


def settings_or_exit() -> Settings:
    """Settings from the environment; a configuration error ends the command with exit code 2."""
    try:
        return Settings()
    except ValueError as exc:
        Console(stderr=True).print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None
