"""Run the hub with uvicorn in a background thread, on loopback (demo seeding, tests, benches)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

__all__ = ["background_server", "free_port"]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextmanager
def background_server(
    app: FastAPI, host: str = "127.0.0.1", port: int = 0, *, lifespan: bool = False
) -> Iterator[str]:
    """Serve `app` until the block ends; yields the base URL (``http://127.0.0.1:PORT``).

    The app's lifespan (job runner, audit checkpoints, audit of failed logins) runs only with
    `lifespan`, as under `fusion-hub serve`.
    """
    port = port or free_port(host)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        lifespan="on" if lifespan else "off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"hub-server-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the hub did not start on {host}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
