"""`fusion-hub users …`: people's console accounts (the first ones, and the rest)."""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hub.auth.cli import _database
from hub.clitools import settings_or_exit as _settings
from hub.console.accounts import ROLES, create_user, disable_user, list_users
from hub.crypto.keyring import LocalKeyring

__all__ = ["users_app"]

users_app = typer.Typer(help="Console accounts of people: policy officers, analysts, operators.")
console = Console(stderr=True)
out = Console()


@users_app.command("create")
def create(
    tenant: Annotated[str, typer.Option(help="The tenant's slug.")],
    username: Annotated[str, typer.Option(help="The user name they sign in with.")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")] = "policy-officer",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_env: Annotated[
        str | None,
        typer.Option(help="Read the password from this environment variable (else generated)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a console account. The password and the TOTP secret are printed once: hand them
    over in person; the TOTP secret goes into the person's authenticator app."""
    password = os.environ.get(password_env) if password_env else None
    if password_env and not password:
        console.print(f"[red]error:[/red] {password_env} is empty or unset")
        raise typer.Exit(1)
    settings = _settings()
    keyring = LocalKeyring.create_or_open(settings.ensure_data_dir())
    with _database() as db:
        made = create_user(
            db,
            keyring,
            tenant=tenant,
            username=username,
            role=role,
            display_name=name,
            password=password,
            issuer=settings.title,
        )
    body = {
        "username": made.username,
        "tenant": made.tenant,
        "role": made.role,
        "password": made.password,
        "totp_secret": made.totp_secret,
        "totp_uri": made.totp_uri,
        "sign_in": f"{settings.base_url}/console/sign-in",
    }
    if as_json:
        out.print_json(json.dumps(body))
        return
    for key, value in body.items():
        out.print(f"{key + ':':13} {value}", soft_wrap=True)


@users_app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's accounts.")] = None,
) -> None:
    """Every console account: user name, tenant, role, created, disabled."""
    with _database() as db:
        rows = list_users(db, tenant)
    table = Table("user", "tenant", "role", "name", "created", "disabled")
    for r in rows:
        table.add_row(
            *(
                str(r[k])
                for k in ("username", "tenant", "role", "display_name", "created_at", "disabled")
            )
        )
    out.print(table)


@users_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The user name.")]) -> None:
    """Disable an account and end its sessions at once."""
    with _database() as db:
        if not disable_user(db, username):
            console.print(f"[red]error:[/red] no account {username!r}")
            raise typer.Exit(1)
    out.print(f"disabled {username}")
