"""Insert-or-update in one statement, on the two engines chatkeep speaks to."""

from __future__ import annotations

from sqlalchemy import Column, Insert, Table
from sqlalchemy.dialects import postgresql, sqlite


def upsert(table: Table, key: Column[str], dialect: str, keep: tuple[str, ...] = ()) -> Insert:
    """Insert a row, or update the row of the same `key` in place: its primary key (a
    creation ordinal) and the columns named in `keep` stay as they were."""
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    kept = {key.name, *keep, *(c.name for c in table.primary_key.columns if c is not key)}
    updated = {c.name: statement.excluded[c.name] for c in table.c if c.name not in kept}
    return statement.on_conflict_do_update(index_elements=[key], set_=updated)
