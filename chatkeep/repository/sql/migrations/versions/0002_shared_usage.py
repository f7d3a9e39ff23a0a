"""Usage and in-flight quota claims in the database, shared by several processes.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the shared usage, claim and holder tables."""
    op.create_table(
        "workspace_usage",
        sa.Column("workspace_id", sa.String(36), primary_key=True),
        sa.Column("used_bytes", sa.BigInteger),
        sa.Column("generation", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "usage_holders",
        sa.Column("holder", sa.String(36), primary_key=True),
        sa.Column("seen_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "usage_claims",
        sa.Column("claim_id", sa.String(36), primary_key=True),
        sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
        sa.Column("holder", sa.String(36), nullable=False, index=True),
        sa.Column("bytes", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    """Drop the shared usage, claim and holder tables."""
    op.drop_table("usage_claims")
    op.drop_table("usage_holders")
    op.drop_table("workspace_usage")
