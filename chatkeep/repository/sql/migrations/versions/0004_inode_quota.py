"""Inode quotas (contract, Version 1.1, "Hostile trees and resource limits"): a
workspace's `quota_inodes`, the shared usage's `used_inodes` and each claim's `inodes`.

Existing workspaces keep `quota_inodes` NULL: the service's default (`--quota-inodes`)
applies to them until a quota is set (decision 024). Their usage is forgotten, so that
the next read (start-up reconciliation recounts every workspace) counts bytes and
inodes on disk together.

Revision ID: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the inode columns (`quota_inodes`, `used_inodes`, the claims' `inodes`); every
    usage is counted on disk again."""
    op.add_column("workspaces", sa.Column("quota_inodes", sa.BigInteger, nullable=True))
    op.add_column("workspace_usage", sa.Column("used_inodes", sa.BigInteger, nullable=True))
    op.add_column(
        "usage_claims",
        sa.Column("inodes", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.execute("UPDATE workspace_usage SET used_bytes = NULL, generation = generation + 1")


def downgrade() -> None:
    """Drop the inode columns."""
    for table, column in (
        ("usage_claims", "inodes"),
        ("workspace_usage", "used_inodes"),
        ("workspaces", "quota_inodes"),
    ):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
