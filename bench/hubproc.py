"""Run the hub in a process of its own: `python -m bench.hubproc --port P [--auth-cache]
[--workers N]`.

The app is `hub.app.create_app()` from the HUB_* environment, served by uvicorn on 127.0.0.1,
exactly as `fusion-hub serve` does, except that `--auth-cache` installs the bench's stand-in for
the coming per-request credential cache (`bench.common.AuthCache`). Used by the peers phase so
that the hub and its peers each run in their own process, and by the profile phase.
"""

from __future__ import annotations

import argparse

import uvicorn

from bench.common import AuthCache
from hub.app import create_app


def main() -> None:
    """Serve until terminated."""
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--auth-cache", action="store_true")
    p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = p.parse_args()
    if args.workers > 1:  # each worker builds its app from the HUB_* environment
        if args.auth_cache:
            raise SystemExit("--auth-cache needs one process")
        uvicorn.run(
            "hub.app:create_app",
            factory=True,
            host="127.0.0.1",
            port=args.port,
            log_config=None,
            access_log=False,
            workers=args.workers,
        )
        return
    app = create_app()
    if args.auth_cache:
        cache = AuthCache(app)
        if not cache.available:
            raise SystemExit(cache.reason)
        cache.enable()
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, access_log=False, workers=1)


if __name__ == "__main__":
    main()
