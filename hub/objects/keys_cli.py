"""`fusion-hub keys …` (status, rotate, rewrap, rotate-master, shred) and `fusion-hub decrypt`.

Exit codes: 0 success, 1 failure, 2 bad configuration. Key operations are audited (STIX-free
actions of :mod:`hub.audit`); no command prints a key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from hub.errors import HubError

if TYPE_CHECKING:
    from hub.runtime import Hub

__all__ = ["decrypt", "keys_app"]

keys_app = typer.Typer(help="Field-encryption keys: status, rotation, crypto-shredding.")
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def _hub() -> Hub:
    from hub.runtime import Hub
    from hub.settings import Settings

    try:
        return Hub(Settings())
    except ValueError as exc:
        console.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def _tenant(hub: Hub, slug: str) -> int:
    from hub.store.tenants import tenant_by_slug

    with hub.db.session() as session:
        row = tenant_by_slug(session, slug)
    if row is None or row.id is None:
        console.print(f"[red]error:[/red] no tenant {slug!r}")
        raise typer.Exit(1)
    return row.id


def _audit(hub: Hub, event: Any) -> None:
    from hub.audit import AuditLog

    AuditLog.record(hub.db, event)


@keys_app.command("status")
def status(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant (slug).")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The master key, and per tenant its keys and the versions they protect."""
    from hub.objects.keyops import key_status

    hub = _hub()
    try:
        provider = hub.keys.provider
        master = {"provider": provider.name, "current": provider.key_id, "keys": provider.key_ids()}
        rows = key_status(hub.db, _tenant(hub, tenant) if tenant else None)
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    finally:
        hub.close()
    if as_json:
        out.print_json(json.dumps({"master": master, "tenants": [r.as_dict() for r in rows]}))
        return
    out.print(f"master key: {master['current']} ({master['provider']}, {len(master['keys'])} held)")
    table = Table("tenant", "active key", "retired", "destroyed", "protected", "to rewrap")
    for r in rows:
        table.add_row(
            r.tenant,
            r.active or "-",
            ", ".join(r.retired) or "-",
            str(r.destroyed),
            str(r.protected),
            str(r.needs_rewrap),
        )
    out.print(table)


def _run_rewrap(hub: Hub, job_id: str, timeout: float) -> None:
    from hub.jobs.runner import JobRunner
    from hub.objects.keyops import REWRAP_JOB, rewrap_handler

    runner = JobRunner(hub.db, {REWRAP_JOB: rewrap_handler(hub.keys)}, name="cli:keys")
    outcome = runner.run_job(job_id, timeout=timeout)
    if outcome.state != "done":
        console.print(f"[red]rewrap job {job_id} {outcome.state}:[/red] {outcome.error}")
        raise typer.Exit(1)
    result = outcome.result or {}
    destroyed = ", ".join(result.get("destroyed") or []) or "none"
    console.print(f"rewrapped {result.get('rewrapped', 0)} data keys; destroyed: {destroyed}")


@keys_app.command("rotate")
def rotate(
    tenant: Annotated[str, typer.Option(help="The tenant (slug) whose key to rotate.")],
    wait: Annotated[
        bool,
        typer.Option(help="Wait HUB_KEY_CACHE_TTL before rewrapping, for other hub processes."),
    ] = True,
    keep_retired: Annotated[
        bool, typer.Option(help="Keep the retired key after the rewrap (default: destroy it).")
    ] = False,
    queue_only: Annotated[
        bool, typer.Option(help="Only queue the rewrap job (`keys rewrap` runs it later).")
    ] = False,
) -> None:
    """Rotate a tenant's key: new writes use the new key at once; a resumable job rewraps the
    stored data keys, then destroys the retired key. Reads never fail meanwhile."""
    from hub.audit import Actor, AuditEvent, TenantRef
    from hub.objects.keyops import enqueue_rewrap, retired_keys

    hub = _hub()
    try:
        tid = _tenant(hub, tenant)
        with hub.db.session() as session:
            before = retired_keys(session, tid)
        old = hub.keys.tenant_key(tid).key_id
        new = hub.keys.rotate_tenant_key(tid).key_id
        _audit(
            hub,
            AuditEvent.key_rotated(
                Actor.system("cli"), key_id=old, new_key_id=new, owner=TenantRef(tid, tenant)
            ),
        )
        delay = hub.settings.key_cache_ttl if wait else 0.0
        job_id = enqueue_rewrap(
            hub.db, tid, tenant, delay_s=delay, destroy=not keep_retired, created_by="cli"
        )
        console.print(f"{tenant}: key {new} is active (was {old}); rewrap job {job_id}")
        if before:
            console.print(f"also rewrapping from earlier retired keys: {', '.join(before)}")
        if not queue_only:
            if delay:
                console.print(f"waiting {delay:.0f} s for other hub processes to see the new key")
            _run_rewrap(hub, job_id, timeout=delay + 24 * 3600)
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    finally:
        hub.close()


@keys_app.command("rewrap")
def rewrap(
    tenant: Annotated[str, typer.Option(help="The tenant (slug).")],
    keep_retired: Annotated[
        bool, typer.Option(help="Keep the retired keys afterwards (a new job only).")
    ] = False,
) -> None:
    """Rewrap a tenant's data keys still under a retired key: runs the tenant's pending rewrap
    job (an interrupted or queued rotation) as queued, else a new one."""
    from hub.jobs import repository as jobs
    from hub.objects.keyops import REWRAP_JOB, enqueue_rewrap

    hub = _hub()
    try:
        tid = _tenant(hub, tenant)
        with hub.db.session() as session:
            pending = jobs.list_jobs(
                session, tenant_id=tid, states=["queued", "running"], kind=REWRAP_JOB, limit=1
            )
            job_id = pending[0].id if pending else None
        if job_id is None:
            job_id = enqueue_rewrap(
                hub.db, tid, tenant, delay_s=0, destroy=not keep_retired, created_by="cli"
            )
        _run_rewrap(hub, job_id, timeout=24 * 3600)
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    finally:
        hub.close()


@keys_app.command("rotate-master")
def rotate_master(
    retire: Annotated[
        bool, typer.Option(help="Destroy the old master key once nothing needs it.")
    ] = False,
) -> None:
    """Rotate the master key (new key in the keyring or HSM) and rewrap every tenant key.

    With HUB_MASTER_KEY: set the new key there and the old one in HUB_PREVIOUS_MASTER_KEYS,
    then run this to rewrap the tenant keys under the new one.
    """
    from hub.audit import Actor, AuditEvent
    from hub.crypto import KeyStateError

    hub = _hub()
    try:
        keys = hub.keys
        try:
            result = keys.rotate_master_key()
            old, new, count = result.old_key_id, result.new_key_id, result.rewrapped
        except KeyStateError:  # HUB_MASTER_KEY: the operator rotated it in the environment
            new = keys.provider.key_id
            old = next((k for k in keys.provider.key_ids() if k != new), new)
            count = keys.rewrap_tenant_keys()
        _audit(
            hub,
            AuditEvent.key_rotated(
                Actor.system("cli"), key_id=old, new_key_id=new, rewrapped=count
            ),
        )
        console.print(f"master key {new} is current; rewrapped {count} tenant keys")
        if retire:
            for kid in keys.provider.key_ids():
                if kid != new:
                    keys.retire_master_key(kid)
                    _audit(hub, AuditEvent.key_shredded(Actor.system("cli"), key_id=kid))
                    console.print(f"destroyed master key {kid}")
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    finally:
        hub.close()


@keys_app.command("shred")
def shred(
    tenant: Annotated[str, typer.Option(help="The tenant (slug) to crypto-shred.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Crypto-shred a tenant (offboarding): destroy its keys. Its protected fields become
    unrecoverable; its objects are served without them from then on. Cannot be undone."""
    from hub.audit import Actor, AuditEvent, TenantRef
    from hub.objects.keyops import shred_tenant

    if not yes:
        typer.confirm(f"Destroy every key of {tenant}? Its protected data is lost", abort=True)
    hub = _hub()
    try:
        tid = _tenant(hub, tenant)
        destroyed, cleared = shred_tenant(hub.db, hub.keys, tid)
        for kid in destroyed:
            event = AuditEvent.key_shredded(
                Actor.system("cli"), key_id=kid, owner=TenantRef(tid, tenant)
            )
            _audit(hub, event)
        console.print(f"{tenant}: destroyed {len(destroyed)} keys; {cleared} versions cleared")
    except HubError as exc:
        console.print(f"[red]error:[/red] {exc.description}")
        raise typer.Exit(1) from None
    finally:
        hub.close()


def _objects(document: Any) -> list[dict[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("objects"), list):
        return [o for o in document["objects"] if isinstance(o, dict)]
    if isinstance(document, list):
        return [o for o in document if isinstance(o, dict)]
    if isinstance(document, dict) and "type" in document:
        return [document]
    raise ValueError("expected a TAXII envelope, a STIX bundle, a list of objects or an object")


def _load_key(key: str) -> dict[str, Any]:
    text = sys.stdin.read() if key == "-" else key if key.lstrip().startswith("{") else None
    if text is None:
        text = Path(key).read_text()
    jwk = json.loads(text)
    if not isinstance(jwk, dict):
        raise ValueError("the key must be a JWK (a JSON object)")
    return jwk


def decrypt(
    file: Annotated[Path, typer.Argument(help="JSON received from the hub ('-': stdin).")],
    key: Annotated[
        str, typer.Option("--key", help="The private JWK: a file, '-' for stdin, or inline JSON.")
    ],
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Open the fields the hub delivered encrypted to you (its field-encryption extension).

    Reads an envelope, a bundle, a list or one object; writes the same with every protected
    field decrypted and put back. Fails whole if any field does not open.
    """
    from hub.crypto import DecryptionFailed, InvalidValue, open_protected_fields

    try:
        raw = sys.stdin.read() if str(file) == "-" else file.read_text()
        document = json.loads(raw)
        objects = _objects(document)
        jwk = _load_key(key)
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    opened: dict[int, dict[str, Any]] = {}
    for obj in objects:
        try:
            opened[id(obj)] = open_protected_fields(obj, jwk)
        except InvalidValue as exc:
            console.print(f"[red]error:[/red] {exc.description}")
            raise typer.Exit(2) from None
        except DecryptionFailed:
            console.print(f"[red]error:[/red] {obj.get('id')}: protected fields do not open")
            raise typer.Exit(1) from None
    if isinstance(document, dict) and isinstance(document.get("objects"), list):
        result: Any = {**document, "objects": [opened.get(id(o), o) for o in document["objects"]]}
    elif isinstance(document, list):
        result = [opened.get(id(o), o) for o in document]
    else:
        result = opened[id(document)]
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)
        console.print(f"wrote {output}: {len(objects)} objects")
