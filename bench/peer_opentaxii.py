"""Driver for EclecticIQ `opentaxii` (TAXII 1.x and, from 0.3, 2.1), SQL backend on SQLite.

Installed into `bench/peers/opentaxii-venv` on first use. opentaxii 0.9.3 (its newest release)
predates SQLAlchemy 2, Flask 2.3 and marshmallow 4, so the venv pins the versions of its time;
with the newest ones its TAXII 2.1 endpoints fail. Two further things are needed to run its 2.1
API on SQLite, both done by the small runner below and reported in the output:

* its TAXII 2.1 responses are rendered with a bare `json.dumps`, which fails on the `uuid.UUID`
  ids its SQLite GUID column returns (HTTP 500 on collections and on every POST): the runner
  gives that `json.dumps` a `default=str`;
* it is served by Flask's threaded development server (`opentaxii-run-dev` hard-codes port
  9000 and 127.0.0.1 is what we want anyway).

The 2.1 API root, collection and account are created through its persistence and auth APIs
(what `opentaxii-add-api-root` / `-add-collection` / `-create-account` call). Requests carry a
JWT from `/management/auth` (Bearer): its Basic auth re-hashes the password on every request.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator

import httpx

from bench.common import Config
from bench.peers import PeerUnavailable, Target, ensure_venv
from bench.procs import started
from hub.server import free_port

__all__ = ["PACKAGES", "target"]

PACKAGES = [
    "opentaxii==0.9.3",
    "sqlalchemy>=1.4,<2",
    "flask>=2.2,<2.3",
    "werkzeug>=2.2,<2.3",
    "marshmallow>=3.13,<4",
]
USER, SECRET = "bench", "bench-opentaxii-secret"

CONFIG = """\
---
domain: "127.0.0.1:{port}"
support_basic_auth: yes
return_server_error_details: yes
auth_api:
  class: opentaxii.auth.sqldb.SQLDatabaseAPI
  parameters:
    db_connection: sqlite:///{work}/auth.db
    create_tables: yes
    secret: bench-only-signing-secret-0123456789abcdef
    token_ttl_secs: 86400
taxii1:
taxii2:
  title: bench
  description: opentaxii under the Fusion Hub bench
  contact: bench@example.test
  public_discovery: yes
  max_content_length: 52428800
  allow_custom_properties: yes
  persistence_api:
    class: opentaxii.persistence.sqldb.Taxii2SQLDatabaseAPI
    parameters:
      db_connection: sqlite:///{work}/data.db
      create_tables: yes
logging:
  opentaxii: warning
  root: warning
"""

SETUP = """\
import json
from opentaxii.cli import app
with app.app_context():
    api = app.taxii_server.servers.taxii2.persistence.api
    root = api.add_api_root(title="bench", default=True, is_public=False)
    col = api.add_collection(api_root_id=str(root.id), title="bench", alias="bench",
                             is_public=True, is_public_write=True)
    app.taxii_server.auth.api.create_account(username="{user}", password="{secret}",
                                             is_admin=True)
    print(json.dumps({{"root": str(root.id), "collection": str(col.id)}}))
"""

RUNNER = """\
import json, sys
import opentaxii.taxii2.http as taxii2_http
_dumps = json.dumps
class _Json:
    loads = staticmethod(json.loads)
    @staticmethod
    def dumps(obj, **kw):
        return _dumps(obj, default=str, **kw)
taxii2_http.json = _Json  # UUID ids from the SQLite GUID column (see bench/peer_opentaxii.py)
from opentaxii.http import app
app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True, use_reloader=False)
"""


@contextlib.contextmanager
def target(cfg: Config) -> Iterator[Target]:
    """A running opentaxii with one TAXII 2.1 API root and collection."""
    py, version = ensure_venv(
        "opentaxii", PACKAGES, "import importlib.metadata as m; print(m.version('opentaxii'))"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    work = cfg.workdir / f"opentaxii-{port}"
    work.mkdir(parents=True)
    (work / "config.yml").write_text(CONFIG.format(port=port, work=work))
    (work / "runner.py").write_text(RUNNER)
    env = {"OPENTAXII_CONFIG": str(work / "config.yml"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [str(py), "-c", SETUP.format(user=USER, secret=SECRET)],
        env=env,
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if out.returncode != 0:
        raise PeerUnavailable(f"opentaxii: setup failed: {out.stderr.strip()[-300:]}")
    ids = json.loads(out.stdout.strip().splitlines()[-1])
    argv = [str(py), str(work / "runner.py"), str(port)]
    try:
        with started(
            argv,
            ready_url=f"{base}/management/health",
            env=env,
            cwd=work,
            log=work / "server.log",
            timeout=60,
        ):
            r = httpx.post(
                f"{base}/management/auth", json={"username": USER, "password": SECRET}, timeout=30
            )
            if r.status_code != 200:
                raise PeerUnavailable(f"opentaxii: /management/auth: HTTP {r.status_code}")
            bearer = {"Authorization": f"Bearer {r.json()['token']}"}
            yield Target(
                name="opentaxii",
                version=version,
                base=base,
                objects_path=f"/taxii2/{ids['root']}/collections/{ids['collection']}/objects/",
                writer_headers=lambda _slug: bearer,
                reader_headers=bearer,
                note=(
                    "SQL backend on SQLite, Flask threaded dev server; JWT bearer; pinned "
                    "SQLAlchemy<2/Flask<2.3/marshmallow<4 and a json.dumps(default=str) shim"
                ),
            )
    except RuntimeError as exc:
        raise PeerUnavailable(f"opentaxii: {exc}") from None
