"""ledger sums from a covering index

Revision ID: c128a3e6d4be
Revises: 6c42d30f6540
Create Date: 2026-11-28 15:25:16.651470
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = 'c128a3e6d4be'
down_revision: str | None = '6c42d30f6540'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('budget_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_entry_line'))
        batch_op.create_index('ix_budget_entry_line_amounts', ['budget_line_id', 'kind', 'amount'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('budget_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_budget_entry_line_amounts')
        batch_op.create_index(batch_op.f('ix_budget_entry_line'), ['budget_line_id', 'kind'], unique=False)

