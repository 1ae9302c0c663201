"""The replay guard for client assertions (RFC 7523 §3, item 7), shared by every hub process."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import col

from hub.store.db import Database
from hub.store.models import ClientAssertion

__all__ = ["MAX_JTI_LENGTH", "first_use"]

MAX_JTI_LENGTH = 200
#: Kept this long past the assertion's exp, beyond any clock-skew leeway that still accepts it.
KEEP_EXTRA_SECONDS = 300


def first_use(db: Database, client_id: str, jti: str, expires_at: int) -> bool:
    """Record that `client_id` used assertion `jti`; False if it was used before.

    Entries are kept a while past the assertion's expiry, then pruned: the table stays small.
    """
    if not jti or len(jti) > MAX_JTI_LENGTH:
        return False
    now = datetime.now(UTC)
    try:
        with db.write_session() as session:
            session.execute(sa.delete(ClientAssertion).where(col(ClientAssertion.expires_at) < now))
            session.add(
                ClientAssertion(
                    client_id=client_id,
                    jti=jti,
                    expires_at=datetime.fromtimestamp(expires_at + KEEP_EXTRA_SECONDS, UTC),
                )
            )
    except sa.exc.IntegrityError:
        return False
    return True
