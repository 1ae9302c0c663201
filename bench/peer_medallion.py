"""Driver for OASIS `medallion` (the TAXII 2.1 reference server), memory backend.

Installed from the package index into `bench/peers/medallion-venv` on first use and run with its
own `medallion` command (Flask's threaded development server, as the project documents for
testing) on 127.0.0.1, with one API root, one collection and one user.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator

from bench.common import Config
from bench.peers import PeerUnavailable, Target, basic, ensure_venv
from bench.procs import started
from hub.server import free_port

__all__ = ["PACKAGES", "target"]

PACKAGES = ["medallion==3.0.0"]
USER, SECRET = "bench", "bench-medallion-secret"


@contextlib.contextmanager
def target(cfg: Config) -> Iterator[Target]:
    """A running medallion with an empty collection."""
    py, version = ensure_venv(
        "medallion", PACKAGES, "import importlib.metadata as m; print(m.version('medallion'))"
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    col = str(uuid.uuid4())
    work = cfg.workdir / f"medallion-{port}"
    work.mkdir(parents=True)
    data = {
        "/discovery": {
            "title": "bench",
            "description": "medallion under the Fusion Hub bench",
            "contact": "bench@example.test",
            "default": f"{base}/bench/",
            "api_roots": [f"{base}/bench/"],
        },
        "bench": {
            "information": {
                "title": "bench",
                "description": "bench API root",
                "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 50 * 1024 * 1024,
            },
            "status": [],
            "collections": [
                {
                    "id": col,
                    "title": "bench",
                    "description": "bench collection",
                    "can_read": True,
                    "can_write": True,
                    "media_types": ["application/stix+json;version=2.1"],
                    "objects": [],
                    "manifest": [],
                }
            ],
        },
    }
    (work / "data.json").write_text(json.dumps(data))
    config = {
        "backend": {
            "module": "medallion.backends.memory_backend",
            "module_class": "MemoryBackend",
            "filename": str(work / "data.json"),
        },
        "users": {USER: SECRET},
        "taxii": {"max_page_size": 1000},
    }
    (work / "config.json").write_text(json.dumps(config))
    exe = py.parent / "medallion"
    argv = [str(exe), "--host", "127.0.0.1", "--port", str(port), "--log-level", "WARN"]
    argv.append(str(work / "config.json"))
    try:
        with started(
            argv, ready_url=f"{base}/taxii2/", cwd=work, log=work / "server.log", timeout=60
        ):
            yield Target(
                name="medallion",
                version=version,
                base=base,
                objects_path=f"/bench/collections/{col}/objects/",
                writer_headers=lambda _slug: basic(USER, SECRET),
                reader_headers=basic(USER, SECRET),
                note="memory backend, Flask threaded dev server; plain-text Basic",
            )
    except RuntimeError as exc:
        raise PeerUnavailable(f"medallion: {exc}") from None
