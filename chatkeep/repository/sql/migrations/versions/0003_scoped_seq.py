"""Chats numbered within their workspace and files within their chat (`seq`), so that
listings and their cursors no longer use the service-wide row ordinal (decision 022).

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Existing rows are numbered in their old order, the row ordinal, within their scope.
_NUMBER = """
UPDATE {table} SET seq = numbered.n
FROM (SELECT ordinal AS o, row_number() OVER (PARTITION BY {scope} ORDER BY ordinal) AS n
      FROM {table}) AS numbered
WHERE {table}.ordinal = numbered.o
"""


def upgrade() -> None:
    """Number chats within their workspace and files within their chat (`seq`), and
    index the listings by it."""
    for table, scope in (("chats", "workspace_id"), ("chat_files", "chat_id")):
        op.add_column(table, sa.Column("seq", sa.BigInteger, nullable=True))
        op.execute(_NUMBER.format(table=table, scope=scope))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("seq", existing_type=sa.BigInteger, nullable=False)
    op.drop_index("chats_by_workspace_created", "chats")
    op.drop_index("chats_by_workspace_updated", "chats")
    op.create_index("chats_by_workspace_seq", "chats", ["workspace_id", "seq"], unique=True)
    op.create_index("chats_by_workspace_created", "chats", ["workspace_id", "created_at", "seq"])
    op.create_index("chats_by_workspace_updated", "chats", ["workspace_id", "updated_at", "seq"])
    op.drop_index("ix_chat_files_chat_id", "chat_files")
    op.create_index("chat_files_by_chat_seq", "chat_files", ["chat_id", "seq"], unique=True)
    op.create_index("chat_files_by_chat_created", "chat_files", ["chat_id", "created_at", "seq"])


def downgrade() -> None:
    """Drop the `seq` columns and their indexes."""
    op.drop_index("chat_files_by_chat_created", "chat_files")
    op.drop_index("chat_files_by_chat_seq", "chat_files")
    op.create_index("ix_chat_files_chat_id", "chat_files", ["chat_id"])
    for name in ("updated", "created", "seq"):
        op.drop_index(f"chats_by_workspace_{name}", "chats")
    op.create_index(
        "chats_by_workspace_created", "chats", ["workspace_id", "created_at", "ordinal"]
    )
    op.create_index(
        "chats_by_workspace_updated", "chats", ["workspace_id", "updated_at", "ordinal"]
    )
    for table in ("chat_files", "chats"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("seq")
