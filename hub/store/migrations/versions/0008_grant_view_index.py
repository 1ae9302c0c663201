"""index grants by view, so replacing a version's views does not scan every grant

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 19:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Deleting object_view rows cascades to access_grant.view_seq: without this index each
    # deleted view scanned the whole grant table (re-evaluation grew quadratically).
    op.create_index("ix_access_grant_view_seq", "access_grant", ["view_seq"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_access_grant_view_seq", table_name="access_grant")
