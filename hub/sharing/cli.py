"""`fusion-hub policy …`: check, preview, apply, show, history, explain, sync.

The command line is a trusted entry point (whoever runs it holds the database): it acts for any
tenant, and records ``cli:<login>`` as the author of what it applies. ``check`` validates a file
against the tenants directory (``HUB_TENANTS_DIR``) without a database; ``apply`` and
``preview`` validate against the tenants in the database, as the API does.

Exit codes: 0 success, 1 a policy does not validate or the command failed, 2 bad configuration.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.clitools import settings_or_exit as _settings

if TYPE_CHECKING:
    from hub.sharing.loader import PolicyError
    from hub.store.db import Database

__all__ = ["policy_app"]

policy_app = typer.Typer(help="Sharing policies: check, preview, apply, history, explain.")
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

FileArg = Annotated[Path, typer.Argument(help="A policy file, named <tenant>.yaml.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _database() -> Iterator[Database]:
    """The configured database; hub errors end the command with exit code 1."""
    from hub.errors import HubError
    from hub.sharing.loader import PolicyError
    from hub.store.db import Database

    db = Database(_settings().database_url)
    try:
        yield db
    except PolicyError as exc:
        raise _problems(exc) from None
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    except LookupError as exc:
        console.print(f"[red]error:[/red] {exc.args[0] if exc.args else exc}")
        raise typer.Exit(1) from None
    finally:
        db.dispose()


def _problems(exc: PolicyError) -> typer.Exit:
    for p in exc.problems:
        console.print(str(p), style="red", markup=False, highlight=False, soft_wrap=True)
    console.print("[red]the policy does not validate; nothing was applied[/red]")
    return typer.Exit(1)


def _tenant_id(db: Database, slug: str) -> int:
    from hub.store.tenants import tenant_by_slug

    with db.session() as session:
        row = tenant_by_slug(session, slug)
    if row is None or row.id is None:
        raise LookupError(f"no tenant {slug!r}")
    return row.id


def _load(db: Database, path: Path) -> Any:
    """Validate a file against the tenants in the database."""
    from hub.sharing.documents import directory_from_db
    from hub.sharing.loader import load_policy

    with db.session() as session:
        directory = directory_from_db(session)
    return load_policy(path, directory)


@policy_app.command("check")
def check(path: FileArg) -> None:
    """Validate a policy file against HUB_TENANTS_DIR; write nothing."""
    from hub.sharing.loader import PolicyError, load_policy
    from hub.tenancy.loader import DirectoryError, load_directory

    try:
        policy = load_policy(path, load_directory(_settings().tenants_dir))
    except PolicyError as exc:
        raise _problems(exc) from None
    except DirectoryError as exc:
        for p in exc.problems:
            console.print(str(p), style="red", markup=False, highlight=False)
        raise typer.Exit(2) from None
    console.print(f"{path}: policy of {policy.tenant}, {len(policy.rules)} rules: valid")


@policy_app.command("apply")
def apply(
    path: FileArg,
    comment: Annotated[str, typer.Option(help="Why this version (kept in the history).")] = "",
    wait: Annotated[bool, typer.Option(help="Re-evaluate the grants here, now.")] = True,
) -> None:
    """Validate, store a new version and re-decide the tenant's grants (all or nothing)."""
    from hub.sharing.service import apply_policy, cli_author

    with _database() as db:
        policy = _load(db, path)
        applied = apply_policy(db, policy, author=cli_author(), comment=comment, wait=wait)
    if not applied.changed:
        console.print(f"{applied.tenant}: identical to version {applied.seq}; nothing changed")
    elif applied.grants is None:
        console.print(f"{applied.tenant}: version {applied.seq} in force; job {applied.job_id}")
    else:
        console.print(
            f"{applied.tenant}: version {applied.seq} in force; {applied.grants} grants "
            f"re-decided (job {applied.job_id})"
        )


@policy_app.command("preview")
def preview(
    path: FileArg,
    limit: Annotated[int, typer.Option(min=0, help="Ids listed per change.")] = 10,
    as_json: AsJson = False,
) -> None:
    """What applying the file would change, per recipient (nothing is written)."""
    from hub.sharing.preview import preview_policy

    with _database() as db:
        policy = _load(db, path)
        with db.session() as session:
            report = preview_policy(session, policy, limit=limit)
    if as_json:
        out.print_json(json.dumps(report))
        return
    if report["identical"]:
        console.print(f"identical to version {report['current_version']} in force")
    table = Table("recipient", "gains", "loses", "changes", "keeps", title=(
        f"{report['tenant']}: version {report['current_version']} → proposed, "
        f"{report['objects']} objects"
    ))  # fmt: skip
    for r in report["recipients"]:
        table.add_row(
            r["tenant"],
            _ids(r["gain"]),
            _ids(r["lose"]),
            _ids(r["change"]),
            str(r["keep"]),
        )
    out.print(table)


def _ids(change: dict[str, Any]) -> str:
    shown = "\n".join(change["ids"])
    more = change["count"] - len(change["ids"])
    return (
        f"{change['count']}"
        + (f"\n{shown}" if shown else "")
        + (f"\n… {more} more" if more > 0 else "")
    )


@policy_app.command("show")
def show(
    tenant: Annotated[str, typer.Argument(help="Tenant slug.")],
    as_json: AsJson = False,
) -> None:
    """The policy in force for TENANT (YAML, with its version, author and time)."""
    import yaml

    from hub.sharing.versions import current_policy

    with _database() as db:
        tenant_id = _tenant_id(db, tenant)
        with db.session() as session:
            body = current_policy(session, tenant_id, tenant)
    if as_json:
        out.print_json(json.dumps(body))
        return
    console.print(
        f"# {tenant}: version {body['version']} by {body['author'] or '-'} at "
        f"{body['created_at'] or '-'}"
    )
    print(yaml.safe_dump(body["policy"], sort_keys=False, allow_unicode=True), end="")


@policy_app.command("history")
def history(
    tenant: Annotated[str, typer.Argument(help="Tenant slug.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    diff: Annotated[bool, typer.Option(help="Show each version's diff.")] = True,
    as_json: AsJson = False,
) -> None:
    """TENANT's policy versions, newest first, with author, time, hash and diff."""
    from hub.sharing.versions import policy_history

    with _database() as db:
        tenant_id = _tenant_id(db, tenant)
        with db.session() as session:
            body = policy_history(session, tenant_id, tenant, limit=limit)
    if as_json:
        out.print_json(json.dumps(body))
        return
    if not body["items"]:
        console.print(f"{tenant} never applied a policy")
    for item in body["items"]:
        out.print(
            f"[bold]version {item['version']}[/bold] {item['created_at']} by {item['author']}"
            f" sha256:{item['content_hash'][:16]}"
            + (f" - {item['comment']}" if item["comment"] else "")
        )
        if diff:
            print(item["diff"])


@policy_app.command("explain")
def explain(
    object_id: Annotated[str, typer.Argument(metavar="OBJECT", help="A STIX id.")],
    recipient: Annotated[str, typer.Argument(help="Tenant slug.")],
    as_json: AsJson = False,
) -> None:
    """What RECIPIENT gets of OBJECT, and why: rule by rule, field by field, and its grant."""
    from hub.errors import NotFound
    from hub.sharing.preview import explain_object
    from hub.store.lifecycle import object_owners
    from hub.store.tenants import tenant_by_id
    from hub.tenancy.service import tenant_scope_for_cli

    with _database() as db:
        with db.session() as session:
            owners = [tenant_by_id(session, o) for o in sorted(object_owners(session, object_id))]
        scopes = [tenant_scope_for_cli(db, o.slug) for o in owners if o is not None]
        if not scopes:
            raise NotFound(f"no object {object_id}")
        with db.session() as session:
            bodies = [explain_object(session, s, object_id, recipient) for s in scopes]
    if as_json:
        out.print_json(json.dumps(bodies[0] if len(bodies) == 1 else bodies))
        return
    for body in bodies:
        for entry in body["explanations"]:
            grant = entry["grant"]
            state = "no grant stored"
            if grant["stored"]:
                state = "grant stored, " + ("in force" if grant["in_force"] else "NOT in force")
                state += f" ({grant['view']})"
            out.print(
                f"[bold]{entry['collection']['alias']}[/bold] version {entry['version']}, "
                f"policy version {entry['policy_version']}: {state}"
            )
            for line in entry["explanation"]:
                print(line)


@policy_app.command("sync")
def sync(
    directory: Annotated[Path | None, typer.Argument(help="Defaults to HUB_POLICIES_DIR.")] = None,
    wait: Annotated[bool, typer.Option(help="Re-evaluate the grants here, now.")] = True,
) -> None:
    """Apply every file of the policies directory: all validate, or nothing is applied."""
    from hub.sharing.service import cli_author, sync_policies

    s = _settings()
    with _database() as db:
        applied = sync_policies(
            db, directory or s.policies_dir, s.tenants_dir, author=cli_author(), wait=wait
        )
    changed = [a for a in applied if a.changed]
    for a in changed:
        grants = "" if a.grants is None else f", {a.grants} grants"
        console.print(f"{a.tenant}: version {a.seq}{grants}")
    if not changed:
        console.print(f"{len(applied)} policies already in force; nothing changed")


@policy_app.command("schema")
def schema(
    output: Annotated[Path, typer.Option("--output", "-o")] = Path("policies/schema.json"),
) -> None:
    """Write the JSON Schema of policy files (for editors)."""
    from hub.sharing.policy import policy_json_schema

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(policy_json_schema(), indent=2) + "\n")
    console.print(f"wrote {output}")
