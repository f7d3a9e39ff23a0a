"""The first schema: workspaces, chats, chat files, sandbox sessions.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the four tables and their indexes."""
    op.create_table(
        "workspaces",
        sa.Column("workspace_id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("quota_bytes", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "chats",
        sa.Column("ordinal", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_id", sa.String(36), nullable=False, unique=True),
        sa.Column("workspace_id", sa.String(36), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "chats_by_workspace_created", "chats", ["workspace_id", "created_at", "ordinal"]
    )
    op.create_index(
        "chats_by_workspace_updated", "chats", ["workspace_id", "updated_at", "ordinal"]
    )
    op.create_table(
        "chat_files",
        sa.Column("ordinal", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("file_id", sa.String(36), nullable=False, unique=True),
        sa.Column("chat_id", sa.String(36), nullable=False, index=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("content_type", sa.Text),
        sa.Column("size_bytes", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("etag", sa.Text),
        sa.UniqueConstraint("chat_id", "name", name="one_file_per_chat_and_name"),
    )
    op.create_table(
        "sandbox_sessions",
        sa.Column("chat_id", sa.String(36), primary_key=True),
        sa.Column("workspace_id", sa.String(36), nullable=False, index=True),
        sa.Column("sandbox_id", sa.Text, nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger),
    )


def downgrade() -> None:
    """Drop the four tables."""
    for table in ("sandbox_sessions", "chat_files", "chats", "workspaces"):
        op.drop_table(table)
