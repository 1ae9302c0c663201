"""Console sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure behind TLS),
stored only as its SHA-256, ended by sign-out, by `idle` seconds without a request, or
`lifetime` seconds after sign-in, whichever comes first. Each session has its own CSRF token."""

from __future__ import annotations

import secrets
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import col

from hub.console.accounts import Account, account_of, token_digest
from hub.store.db import Database
from hub.store.models import ConsoleSession, ConsoleUser

__all__ = ["Live", "end_session", "end_user_sessions", "open_session", "start_session"]

#: A session's last-seen time is written at most this often (seconds), not on every page.
TOUCH_EVERY = 30


def start_session(db: Database, account: Account) -> str:
    """A new session for `account`; returns the cookie's token (never stored in clear)."""
    token = secrets.token_urlsafe(32)
    now = int(time.time())
    with db.write_session() as session:
        session.add(
            ConsoleSession(
                token_hash=token_digest(token),
                user_id=account.user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
            )
        )
    return token


class Live:
    """A session found valid: the account and the session's CSRF token."""

    __slots__ = ("account", "csrf")

    def __init__(self, account: Account, csrf: str) -> None:
        self.account = account
        self.csrf = csrf


def open_session(db: Database, token: str, *, idle: int, lifetime: int) -> Live | None:
    """The live session of `token`, or None (unknown, ended, idle too long, too old, or its
    account disabled). A session found expired is ended for good."""
    if not token or len(token) > 200:
        return None
    digest = token_digest(token)
    now = int(time.time())
    with db.session() as session:
        row = session.get(ConsoleSession, digest)
        if row is None or row.ended_at is not None:
            return None
        expired = now - row.last_seen_at > idle or now - row.created_at > lifetime
        user = session.get(ConsoleUser, row.user_id)
        account = account_of(session, user) if user is not None and not expired else None
        csrf, stale = row.csrf_token, now - row.last_seen_at >= TOUCH_EVERY
    if account is None:
        end_session(db, token)
        return None
    if stale:
        with db.write_session() as session:
            session.execute(
                sa.update(ConsoleSession)
                .where(col(ConsoleSession.token_hash) == digest)
                .values(last_seen_at=now)
            )
    return Live(account, csrf)


def end_session(db: Database, token: str) -> None:
    """End the session of `token` (sign-out); nothing happens for an unknown token."""
    with db.write_session() as session:
        session.execute(
            sa.update(ConsoleSession)
            .where(col(ConsoleSession.token_hash) == token_digest(token))
            .where(col(ConsoleSession.ended_at).is_(None))
            .values(ended_at=int(time.time()))
        )


def end_user_sessions(session: Session, user_id: int) -> None:
    """End every session of a user (inside the caller's transaction)."""
    session.execute(
        sa.update(ConsoleSession)
        .where(col(ConsoleSession.user_id) == user_id)
        .where(col(ConsoleSession.ended_at).is_(None))
        .values(ended_at=int(time.time()))
    )
