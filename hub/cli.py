"""`fusion-hub`: the operator's command line (Typer)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.audit.cli import audit_app
from hub.auth.cli import clients_app
from hub.clitools import settings_or_exit as _settings
from hub.console.cli import users_app
from hub.errors import HubError
from hub.jobs.cli import jobs_app
from hub.objects.keys_cli import decrypt, keys_app
from hub.settings import Settings
from hub.sharing.cli import policy_app

__all__ = ["app", "main"]

app = typer.Typer(
    name="fusion-hub",
    help="Fusion Hub: STIX 2.1 / TAXII 2.1 sharing for counter-terrorism fusion cells.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tenants_app = typer.Typer(help="Tenants, communities and collections (the tenants/ directory).")
app.add_typer(tenants_app, name="tenants")
app.add_typer(clients_app, name="clients")
app.add_typer(audit_app, name="audit")
app.add_typer(policy_app, name="policy")
app.add_typer(jobs_app, name="jobs")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
app.command("decrypt")(decrypt)
console = Console(stderr=True)
out = Console()


def _fail(exc: HubError | Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {getattr(exc, 'description', None) or exc}")
    return typer.Exit(1)


@app.command()
def init() -> None:
    """Create or upgrade the database and create the keyring. Harmless to run twice."""
    from hub.auth.signing import SigningKeys
    from hub.crypto.keyring import LocalKeyring
    from hub.store.db import Database
    from hub.store.migrate import upgrade

    s = _settings()
    data_dir = s.ensure_data_dir()
    db = Database(s.database_url)
    try:
        db.ping()
        before, after = upgrade(db)
        LocalKeyring.create_or_open(data_dir)
        SigningKeys.for_data_dir(data_dir).ensure()
        master = _ensure_master_key(s)
    except HubError as exc:
        raise _fail(exc) from None
    finally:
        db.dispose()
    if before == after:
        console.print(f"database already at schema {after}; nothing to do")
    else:
        console.print(f"database schema {before or 'empty'} → {after}")
    console.print(f"master key: {master} ({s.kms_provider})")


def _ensure_master_key(s: Settings) -> str:
    """The master key id, creating it in the HSM if the token has none (docs/crypto.md)."""
    from hub.crypto import build_key_provider

    provider = build_key_provider(s.kms_config(), s.data_dir)
    if s.kms_provider == "pkcs11":
        from hub.crypto.kms_pkcs11 import Pkcs11KeyProvider

        assert isinstance(provider, Pkcs11KeyProvider)
        return provider.ensure_key()
    return provider.key_id  # the keyring's (created above) or HUB_MASTER_KEY's


@tenants_app.command("check")
def tenants_check(
    directory: Annotated[Path | None, typer.Argument(help="Defaults to HUB_TENANTS_DIR.")] = None,
) -> None:
    """Validate the tenants directory without writing anything."""
    from hub.tenancy.loader import DirectoryError, load_directory

    path = directory or _settings().tenants_dir
    try:
        d = load_directory(path)
    except DirectoryError as exc:
        for p in exc.problems:
            console.print(f"[red]{p}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"{path}: {len(d.tenants)} tenants, {len(d.communities)} communities, "
        f"{len(d.collections)} collections: valid"
    )


@tenants_app.command("sync")
def tenants_sync(
    directory: Annotated[Path | None, typer.Argument(help="Defaults to HUB_TENANTS_DIR.")] = None,
) -> None:
    """Apply the tenants directory to the database (idempotent; all or nothing)."""
    from hub.runtime import Hub
    from hub.store.db import Database
    from hub.tenancy.loader import DirectoryError
    from hub.tenancy.service import sync_directory

    s = _settings()
    db = Database(s.database_url)
    Hub(s, database=db)  # its key service creates the tenants' keys
    try:
        report = sync_directory(db, directory or s.tenants_dir)
    except DirectoryError as exc:
        for p in exc.problems:
            console.print(f"[red]{p}[/red]")
        raise typer.Exit(1) from None
    except HubError as exc:
        raise _fail(exc) from None
    finally:
        db.dispose()
    if not report.changed:
        console.print("tenants already in sync; nothing changed")
    for label, items in (
        ("created", report.created),
        ("updated", report.updated),
        ("deactivated", report.deactivated),
    ):
        if items:
            console.print(f"{label}: {', '.join(items)}")
    if report.published:
        console.print(f"published {report.published} directory objects")


@tenants_app.command("list")
def tenants_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the tenants in the database."""
    from hub.store.db import Database
    from hub.store.tenants import communities_of, list_tenants

    s = _settings()
    db = Database(s.database_url)
    try:
        with db.session() as session:
            rows: list[dict[str, Any]] = [
                {
                    "slug": t.slug,
                    "name": t.name,
                    "kind": t.kind,
                    "country": t.country,
                    "identity_id": t.identity_id,
                    "communities": sorted(communities_of(session, t.id or 0)),
                }
                for t in list_tenants(session)
            ]
    except HubError as exc:
        raise _fail(exc) from None
    finally:
        db.dispose()
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table("slug", "kind", "country", "name", "communities")
    for r in rows:
        table.add_row(
            r["slug"], r["kind"], r["country"] or "", r["name"], ", ".join(r["communities"])
        )
    out.print(table)


@tenants_app.command("schema")
def tenants_schema(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("tenants/schema"),
) -> None:
    """Write the JSON Schemas of the tenants directory's files (for editors)."""
    from hub.tenancy.schemas import CollectionsFile, CommunitiesFile, TenantSpec

    output.mkdir(parents=True, exist_ok=True)
    for name, model in (
        ("tenant", TenantSpec),
        ("communities", CommunitiesFile),
        ("collections", CollectionsFile),
    ):
        path = output / f"{name}.schema.json"
        path.write_text(json.dumps(model.model_json_schema(), indent=2) + "\n")
        console.print(f"wrote {path}")


@app.command()
def demo(
    skip_sample: Annotated[bool, typer.Option(help="Only tenants and credentials.")] = False,
) -> None:
    """Sync the example tenants, create one client per tenant, publish the sample through TAXII."""
    from hub.demo.run import run_demo

    s = _settings()
    try:
        summary = run_demo(s, publish_sample_data=not skip_sample)
    except HubError as exc:
        raise _fail(exc) from None
    typer.echo(summary)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Defaults to HUB_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Defaults to HUB_PORT.")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the hub (whatever `init` and `demo` prepared) with uvicorn."""
    import uvicorn

    s = _settings()
    if host:
        os.environ["HUB_HOST"] = host
    if port:
        os.environ["HUB_PORT"] = str(port)
    uvicorn.run(
        "hub.app:create_app",
        factory=True,
        host=host or s.host,
        port=port or s.port,
        workers=workers,
        log_config=None,
        proxy_headers=True,
        server_header=False,
    )


def main() -> None:
    """Entry point of the `fusion-hub` console script."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
