"""`fusion-hub clients …`: the operator's commands for API clients and token signing keys."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.exc import SQLAlchemyError

from hub.clitools import settings_or_exit as _settings
from hub.errors import HubError
from hub.store.db import Database

__all__ = ["clients_app", "signing_keys_app"]

clients_app = typer.Typer(help="API clients of tenants: create, list, revoke, rotate secrets.")
signing_keys_app = typer.Typer(help="The keys that sign access tokens.")
clients_app.add_typer(signing_keys_app, name="signing-keys")
console = Console(stderr=True)
out = Console()


@contextmanager
def _database() -> Iterator[Database]:
    db = Database(_settings().database_url)
    try:
        yield db
    except (HubError, ValueError, LookupError) as exc:
        console.print(f"[red]error:[/red] {getattr(exc, 'description', None) or exc}")
        raise typer.Exit(1) from None
    except SQLAlchemyError as exc:
        name = type(exc).__name__
        console.print(f"[red]database error:[/red] {name}; did `fusion-hub init` run?")
        raise typer.Exit(1) from None
    finally:
        db.dispose()


def _print_secret(client_id: str, secret: str, as_json: bool, extra: dict[str, Any]) -> None:
    if as_json:
        out.print_json(json.dumps({"client_id": client_id, "client_secret": secret, **extra}))
        return
    out.print(f"client_id:     {client_id}")
    out.print(f"client_secret: {secret}")
    console.print("[yellow]The secret is shown only once; the hub keeps just a hash.[/yellow]")


@clients_app.command("create")
def create(
    tenant: Annotated[str, typer.Option("--tenant", "-t", help="Slug of the client's tenant.")],
    scope: Annotated[list[str], typer.Option("--scope", "-s", help="A scope; repeat for more.")],
    name: Annotated[str, typer.Option("--name", "-n", help="A label for the operator.")] = "",
    jwks: Annotated[
        Path | None,
        typer.Option(help="Public JWK set file: the client uses private_key_jwt, no secret."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Register a client. Prints its secret once (none with --jwks)."""
    from hub.auth.clients import create_client, register_key_client

    keyset: Any = None
    if jwks is not None:
        try:
            keyset = json.loads(jwks.read_text())
        except (OSError, ValueError) as exc:
            console.print(f"[red]error:[/red] cannot read {jwks}: {exc}")
            raise typer.Exit(1) from None
    with _database() as db:
        if keyset is not None:
            client_id = register_key_client(db, tenant, scope, keyset, name=name)
        else:
            client_id, secret = create_client(db, tenant, scope, name=name)
    if keyset is not None:
        if as_json:
            out.print_json(json.dumps({"client_id": client_id, "auth": "private_key_jwt"}))
        else:
            out.print(f"client_id: {client_id} (private_key_jwt)")
        return
    _print_secret(client_id, secret, as_json, {"tenant": tenant, "scopes": scope})


@clients_app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List clients (never their secrets)."""
    from hub.auth.clients import list_clients

    with _database() as db:
        rows = list_clients(db, tenant)
    if as_json:
        out.print_json(
            json.dumps(
                [
                    {
                        "client_id": r.client_id,
                        "tenant": r.tenant,
                        "name": r.name,
                        "scopes": r.scopes,
                        "auth_method": r.auth_method,
                        "created_at": r.created_at.isoformat(),
                        "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
                    }
                    for r in rows
                ]
            )
        )
        return
    table = Table("tenant", "name", "scopes", "auth", "created", "revoked")
    table.columns.insert(0, Column("client_id", no_wrap=True))
    for r in rows:
        table.add_row(
            r.client_id,
            r.tenant,
            r.name,
            " ".join(r.scopes),
            r.auth_method,
            r.created_at.strftime("%Y-%m-%d %H:%M"),
            r.revoked_at.strftime("%Y-%m-%d %H:%M") if r.revoked_at else "",
        )
    out.print(table)


@clients_app.command("revoke")
def revoke(client_id: Annotated[str, typer.Argument()]) -> None:
    """Revoke a client: its secret, cached logins and access tokens stop working (≤ 5 s)."""
    from hub.auth.clients import revoke_client

    with _database() as db:
        changed = revoke_client(db, client_id)
    console.print(f"revoked {client_id}" if changed else f"{client_id} was already revoked")


@clients_app.command("rotate-secret")
def rotate_secret(
    client_id: Annotated[str, typer.Argument()],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Give a client a new secret (printed once); the old one stops working."""
    from hub.auth.clients import rotate_secret as rotate

    with _database() as db:
        secret = rotate(db, client_id)
    _print_secret(client_id, secret, as_json, {})


@signing_keys_app.command("rotate")
def rotate_signing_key() -> None:
    """Make a new token signing key; the previous one verifies until its tokens expire."""
    from hub.auth.signing import SigningKeys

    s = _settings()
    s.ensure_data_dir()
    try:
        key = SigningKeys.for_data_dir(s.data_dir).rotate(s.access_token_ttl)
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    console.print(f"new signing key {key.kid}; running hubs switch to it within a second")


@signing_keys_app.command("list")
def list_signing_keys(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the public signing keys (creating the first one if there is none)."""
    from hub.auth.signing import SigningKeys

    s = _settings()
    s.ensure_data_dir()
    try:
        jwks = SigningKeys.for_data_dir(s.data_dir).public_jwks()
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    if as_json:
        out.print_json(json.dumps(jwks))
        return
    for i, key in enumerate(jwks["keys"]):
        out.print(f"{key['kid']}  {key['alg']}  {'current' if i == 0 else 'verify-only'}")
