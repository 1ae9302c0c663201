"""`fusion-hub demo`: example tenants, one client per tenant, and a sample published over TAXII."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import col

from hub.auth.clients import client_is_active, create_client, scopes_for_kind
from hub.crypto.keyring import LocalKeyring
from hub.demo.sample import Publisher, build_sample
from hub.errors import HubError
from hub.settings import Settings
from hub.sharing.service import sync_policies
from hub.store.db import Database
from hub.store.migrate import upgrade
from hub.store.models import Collection
from hub.store.tenants import list_tenants
from hub.taxii.media import TAXII_MEDIA_TYPE
from hub.tenancy.service import sync_directory

__all__ = ["CONSOLE_USERS_FILE", "CREDENTIALS_FILE", "ensure_console_users", "run_demo"]

CREDENTIALS_FILE = "demo-credentials.json"
CONSOLE_USERS_FILE = "demo-console-users.json"
SAMPLE_COLLECTION = "shared-exchange"


def _write_private(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def ensure_credentials(settings: Settings, db: Database) -> dict[str, dict[str, str]]:
    """One client per active tenant with every scope its kind can hold; reused when still valid.

    Written to ``$HUB_DATA_DIR/demo-credentials.json`` (mode 0600) as
    ``{slug: {client_id, client_secret, identity_id}}``.
    """
    path = settings.data_dir / CREDENTIALS_FILE
    creds: dict[str, dict[str, str]] = {}
    if path.exists():
        creds = json.loads(path.read_text())
    with db.session() as session:
        tenants = [(t.slug, t.kind, t.identity_id) for t in list_tenants(session)]
    result: dict[str, dict[str, str]] = {}
    for slug, kind, identity_id in tenants:
        entry = creds.get(slug)
        if not entry or not client_is_active(db, entry["client_id"], entry["client_secret"]):
            client_id, secret = create_client(db, slug, scopes_for_kind(kind), name="demo client")
            entry = {"client_id": client_id, "client_secret": secret}
        result[slug] = {
            "client_id": entry["client_id"],
            "client_secret": entry["client_secret"],
            "identity_id": identity_id,
        }
    _write_private(path, result)
    return result


def ensure_console_users(settings: Settings, db: Database) -> dict[str, dict[str, str]]:
    """One policy officer per active tenant (``officer.<slug>``), reused while its entry is kept.

    Written to ``$HUB_DATA_DIR/demo-console-users.json`` (mode 0600) as
    ``{slug: {username, password, totp_secret, totp_uri}}``: the demo's people keep their
    password and authenticator secret there; the database holds neither in clear.
    """
    from hub.console.accounts import create_user, list_users

    path = settings.data_dir / CONSOLE_USERS_FILE
    kept: dict[str, dict[str, str]] = json.loads(path.read_text()) if path.exists() else {}
    existing = {u["username"] for u in list_users(db)}
    keyring = LocalKeyring.create_or_open(settings.data_dir)
    with db.session() as session:
        slugs = [t.slug for t in list_tenants(session)]
    result: dict[str, dict[str, str]] = {}
    for slug in slugs:
        username = f"officer.{slug}"
        entry = kept.get(slug)
        if entry and entry.get("username") == username and username in existing:
            result[slug] = entry
            continue
        if username in existing:
            continue  # made by an earlier demo whose file is gone: its secrets are unknown here
        made = create_user(
            db,
            keyring,
            tenant=slug,
            username=username,
            role="policy-officer",
            display_name=f"Policy officer, {slug}",
            issuer=settings.title,
        )
        result[slug] = {
            "username": made.username,
            "password": made.password,
            "totp_secret": made.totp_secret,
            "totp_uri": made.totp_uri,
        }
    _write_private(path, result)
    return result


def publish_sample(
    base_url: str, db: Database, creds: dict[str, dict[str, str]], *, now: datetime
) -> tuple[int, int]:
    """POST each national cell's sample over TAXII; returns (objects accepted, failures)."""
    from hub.taxii.router import API_ROOT

    with db.session() as session:
        tenants = [t for t in list_tenants(session) if t.kind == "national-cell"]
        collection = session.scalars(
            sa.select(Collection).where(col(Collection.alias) == SAMPLE_COLLECTION)
        ).first()
    if collection is None:
        return 0, 0
    publishers = [Publisher(t.slug, t.identity_id, t.name, t.country or "") for t in tenants]
    sample = build_sample(publishers, now=now)
    ok = failed = 0
    url = f"{base_url}{API_ROOT}collections/{collection.id}/objects/"
    with httpx.Client(timeout=60) as client:
        for slug, objects in sample.items():
            c = creds[slug]
            resp = client.post(
                url,
                content=json.dumps({"objects": objects}),
                headers={"Content-Type": TAXII_MEDIA_TYPE, "Accept": TAXII_MEDIA_TYPE},
                auth=(c["client_id"], c["client_secret"]),
            )
            if resp.status_code != 202:
                raise HubError(f"publishing the sample failed: {resp.status_code} {resp.text}")
            status = resp.json()
            ok += status["success_count"]
            failed += status["failure_count"]
    return ok, failed


def run_demo(settings: Settings, *, publish_sample_data: bool = True) -> str:
    """Prepare a demonstration hub: schema, keyring, tenants, clients and the sample."""
    from hub.app import create_app
    from hub.server import background_server

    data_dir = settings.ensure_data_dir()
    LocalKeyring.create_or_open(data_dir)
    db = Database(settings.database_url)
    try:
        upgrade(db)
        sync_directory(db, settings.tenants_dir)
        if settings.policies_dir.is_dir():  # the example policies of policies/
            sync_policies(db, settings.policies_dir, settings.tenants_dir, author="demo")
        creds = ensure_credentials(settings, db)
        people = ensure_console_users(settings, db)
        ok = failed = 0
        if publish_sample_data:
            app = create_app(settings)
            with background_server(app) as base_url:
                ok, failed = publish_sample(base_url, db, creds, now=datetime.now(UTC))
    finally:
        db.dispose()
    path = settings.data_dir / CREDENTIALS_FILE
    lines = [f"demo ready: {len(creds)} tenants, credentials in {path} (mode 0600)"]
    if publish_sample_data:
        lines.append(f"sample published over TAXII: {ok} objects accepted, {failed} refused")
    lines.append(connect_instructions(settings, path))
    lines.append(console_instructions(settings, people))
    return "\n".join(lines)


def connect_instructions(settings: Settings, credentials: Path) -> str:
    """How a partner connects: where the hub listens and two commands to try."""
    base = settings.base_url
    cred = (
        "$(python3 -c 'import json; c=json.load(open(\"" + str(credentials) + '"))["interpol"]; '
        'print(c["client_id"] + ":" + c["client_secret"])\')'
    )
    return f"""
The hub serves TAXII 2.1 at {base}/taxii2/ (API root {base}/taxii2/hub/).
Connect as INTERPOL with curl:
  curl -u "{cred}" -H 'Accept: application/taxii+json;version=2.1' {base}/taxii2/hub/collections/
or with the OASIS taxii2-client in Python:
  python3 -c "import json; from taxii2client.v21 import Server; \\
    c=json.load(open('{credentials}'))['interpol']; \\
    s=Server('{base}/taxii2/', user=c['client_id'], password=c['client_secret']); \\
    print([(x.title, x.can_read, x.can_write) for x in s.default.collections])"
Health: curl {base}/readyz"""


def console_instructions(settings: Settings, people: dict[str, dict[str, str]]) -> str:
    """Where the console is and how the demo's policy officers sign in."""
    users = settings.data_dir / CONSOLE_USERS_FILE
    lines = [
        "",
        f"The policy officers' console is at {settings.base_url}/console/ .",
        f"One policy officer per tenant; passwords and authenticator secrets in {users}:",
    ]
    for slug, person in sorted(people.items()):
        lines.append(f"  {slug:12} user {person['username']:22} password {person['password']}")
    code = (
        'python3 -c "import json; from hub.console.totp import now_code; '
        f"print(now_code(json.load(open('{users}'))['ng-nctc']['totp_secret']))\""
    )
    lines += [
        "Each sign-in also asks for the code of an authenticator app holding the user's",
        "totp_uri; or print the current code for, e.g., ng-nctc with:",
        f"  .venv/bin/{code}",
    ]
    return "\n".join(lines)
