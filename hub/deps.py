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


HubDep = Annotated[Hub, Depends(get_hub)]


def get_session(hub: HubDep) -> Iterator[Session]:
    """A read session for the request; writers open their own write transaction."""
    with hub.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
