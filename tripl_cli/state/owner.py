"""Which project's target a state database belongs to (`tripl_state_owner`, one row)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from tripl_cli.state.schema import state_owner


def owner_of(conn: sa.Connection) -> tuple[str, str] | None:
    """(project, target) that claimed this state, if any."""
    row = conn.execute(sa.select(state_owner.c.project, state_owner.c.target)).first()
    return None if row is None else (str(row.project), str(row.target))


def claim(conn: sa.Connection, project: str, target: str, *, now: datetime) -> None:
    """Record the owner; raises IntegrityError if another claimed it meanwhile."""
    conn.execute(
        sa.insert(state_owner).values(id=1, project=project, target=target, claimed_at=now)
    )
