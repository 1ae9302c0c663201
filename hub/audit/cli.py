"""`fusion-hub audit …`: verify the trail, sign checkpoints, query, prune.

Exit codes: 0 success (for ``verify``: the trail is intact), 1 the trail fails verification or
the command failed, 2 bad configuration or arguments.
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
    from hub.audit.signing import Checkpoint, CheckpointSigner, PublicKey
    from hub.settings import Settings
    from hub.store.db import Database

__all__ = ["audit_app"]

audit_app = typer.Typer(help="The audit trail: verify, checkpoints, queries, retention.")
console = Console(stderr=True)
out = Console()


@contextmanager
def _database(s: Settings) -> Iterator[Database]:
    from hub.store.db import Database

    db = Database(s.database_url)
    try:
        yield db
    finally:
        db.dispose()


def _signer(s: Settings) -> CheckpointSigner:
    from hub.audit.signing import CheckpointSigner
    from hub.crypto.keyring import KEYRING_FILE, LocalKeyring
    from hub.errors import HubError

    try:
        keyring = LocalKeyring(s.data_dir / KEYRING_FILE)
        keyring.load()
        return CheckpointSigner.from_keyring(keyring)
    except HubError as exc:
        console.print(f"[red]signing key unavailable:[/red] {exc.description}")
        raise typer.Exit(2) from None


def _load_checkpoints(path: Path) -> list[Checkpoint]:
    """Checkpoints as the API serves them: a page, a list, one checkpoint, or JSON Lines."""
    from hub.audit.signing import Checkpoint

    text = path.read_text()
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        doc = [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(doc, dict):
        doc = doc.get("items", [doc])
    return [Checkpoint.from_dict(item) for item in doc]


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@audit_app.command()
def verify(
    checkpoints: Annotated[
        Path | None, typer.Option(help="Checkpoints you kept (JSON or JSON Lines) to check too.")
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="PEM public key to trust (default: the hub's own).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Verify the hash chain and the checkpoints; name the first bad sequence number."""
    from hub.audit.signing import PublicKey
    from hub.audit.verify import verify_log

    s = _settings()
    try:
        extra = _load_checkpoints(checkpoints) if checkpoints else []
        public: PublicKey = (
            PublicKey.from_pem(public_key.read_bytes()) if public_key else _signer(s).public
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _fail(f"cannot read {checkpoints or public_key}: {exc}", 2) from None
    with _database(s) as db, db.session() as session:
        report = verify_log(session, public, extra)
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
    elif report.ok:
        console.print(
            f"audit trail intact: entries {report.start_seq}..{report.head_seq} "
            f"({report.entries_checked} checked), {report.checkpoints_valid} valid checkpoints, "
            f"head {report.head_hash[:16]}…"
        )
    else:
        if report.first_bad_seq is not None:
            console.print(
                f"[red]audit trail broken: first bad sequence number {report.first_bad_seq}"
            )
        for p in report.problems:
            console.print(f"[red]  {p.kind} at {p.seq}: {p.message}")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command()
def checkpoint() -> None:
    """Sign the chain's head now (after verifying it since the last checkpoint)."""
    from hub.audit.checkpoints import create_checkpoint
    from hub.errors import HubError

    s = _settings()
    signer = _signer(s)
    with _database(s) as db:
        try:
            cp = create_checkpoint(db, signer, kind="manual")
        except HubError as exc:
            raise _fail(exc.description) from None
    if cp is None:
        console.print("the audit trail is empty; nothing to sign")
        return
    out.print_json(json.dumps(cp.as_dict()))


@audit_app.command("public-key")
def public_key_cmd() -> None:
    """Print the checkpoint verification key (PEM) for tenants and auditors to keep."""
    public = _signer(_settings()).public
    console.print(f"key id {public.key_id} (Ed25519)")
    out.print(public.pem(), end="", highlight=False)


@audit_app.command()
def prune(
    days: Annotated[
        int | None, typer.Option(min=1, help="Keep this many days (default: the setting).")
    ] = None,
) -> None:
    """Remove entries older than the retention period, behind a signed checkpoint."""
    from hub.audit.checkpoints import prune as do_prune
    from hub.errors import HubError

    s = _settings()
    keep = days or s.audit_retention_days
    if keep is None:
        raise _fail("no retention: pass --days or set HUB_AUDIT_RETENTION_DAYS", 2)
    signer = _signer(s)
    with _database(s) as db:
        try:
            result = do_prune(db, signer, retention_days=keep)
        except HubError as exc:
            raise _fail(exc.description) from None
    if result.checkpoint is None:
        console.print("nothing older than the retention period")
    else:
        console.print(
            f"removed {result.removed} entries; the trail now starts at {result.checkpoint.seq}"
        )


@audit_app.command()
def query(
    object_id: Annotated[
        str | None, typer.Option("--object", help="Who received this object.")
    ] = None,
    recipient: Annotated[str | None, typer.Option(help="What this tenant received.")] = None,
    policy: Annotated[bool, typer.Option("--policy", help="Policy history.")] = False,
    action: Annotated[list[str] | None, typer.Option(help="Only these actions.")] = None,
    tenant: Annotated[str | None, typer.Option(help="Only entries concerning this tenant.")] = None,
    as_tenant: Annotated[
        str | None, typer.Option(help="See what this tenant would see (default: operator view).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="RFC 3339 UTC, inclusive.")] = None,
    until: Annotated[str | None, typer.Option(help="RFC 3339 UTC, exclusive.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 100,
    fmt: Annotated[
        str, typer.Option("--format", help="table, json or jsonl (all pages).")
    ] = "table",
) -> None:
    """Query the trail with the API's filters (as the operator, or as a tenant)."""
    from hub.audit import queries
    from hub.errors import HubError
    from hub.tenancy.service import tenant_scope_for_cli
    from hub.timeutil import parse_taxii_timestamp

    if sum((object_id is not None, recipient is not None, policy)) > 1:
        raise _fail("choose at most one of --object, --recipient, --policy", 2)
    if fmt not in ("table", "json", "jsonl"):
        raise _fail("--format is table, json or jsonl", 2)
    try:
        window = queries.TimeRange(
            parse_taxii_timestamp(since) if since else None,
            parse_taxii_timestamp(until) if until else None,
        )
    except ValueError as exc:
        raise _fail(str(exc), 2) from None
    s = _settings()
    with _database(s) as db:
        try:
            viewer: queries.Viewer = (
                tenant_scope_for_cli(db, as_tenant) if as_tenant else queries.OperatorView()
            )
        except LookupError as exc:
            raise _fail(str(exc), 2) from None

        def page(session: Any, after: int | None) -> queries.Page:
            kw: dict[str, Any] = {"window": window, "after": after, "limit": limit}
            if object_id is not None:
                return queries.who_received(session, viewer, object_id, **kw)
            if recipient is not None:
                return queries.received_by(session, viewer, recipient, **kw)
            if policy:
                return queries.policy_history(session, viewer, tenant=tenant, **kw)
            return queries.entries(session, viewer, actions=action or (), tenant=tenant, **kw)

        try:
            with db.session() as session:
                if fmt == "jsonl":
                    for item in queries.iter_pages(lambda a: page(session, a)):
                        out.print(json.dumps(item), highlight=False, soft_wrap=True)
                    return
                result = page(session, None)
        except HubError as exc:
            raise _fail(exc.description) from None
    if fmt == "json":
        out.print_json(json.dumps(result.as_dict()))
        return
    _table(result)


def _table(result: Any) -> None:
    table = Table("seq", "time", "action", "outcome", "tenant", "client", "collection", "objects")
    for item in result.items:
        table.add_row(
            str(item["seq"]),
            item["time"],
            item.get("action", "read"),
            item.get("outcome", "success"),
            item.get("tenant") or item.get("recipient") or "",
            item.get("client") or "",
            item.get("collection") or "",
            str(len(item.get("objects") or [])),
        )
    out.print(table)
    if result.next is not None:
        console.print(f"more: use --format jsonl for every entry (next after {result.next})")
