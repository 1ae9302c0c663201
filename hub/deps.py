"""Shared FastAPI dependencies, as `Annotated` aliases so route signatures read as declarations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.runtime import Hub

__all__ = ["HubDep", "SessionDep", "get_hub", "get_session"]


def get_hub(request: Request) -> Hub:
    """The process's :class:`Hub`, stored on the app by `create_app`."""
    hub: Hub = request.app.state.hub
    return hub


async def _hub(request: Request) -> Hub:
    # `async`: FastAPI runs a plain `def` dependency in a worker thread, a hop that costs more
    # than this attribute lookup.
    return get_hub(request)


HubDep = Annotated[Hub, Depends(_hub)]


def get_session(hub: HubDep) -> Iterator[Session]:
    """A read session for the request; writers open their own write transaction."""
    with hub.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
