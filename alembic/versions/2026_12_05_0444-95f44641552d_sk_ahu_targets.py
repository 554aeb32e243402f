"""sk ahu targets

Revision ID: 95f44641552d
Revises: 8e8e97e99a49
Create Date: 2026-12-05 04:44:03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = '95f44641552d'
down_revision: str | None = '8e8e97e99a49'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sk_ahu_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=13), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('target', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=4000), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sk_ahu_target', schema=None) as batch_op:
        batch_op.create_index('ix_sk_ahu_target_region_period', ['region', 'ends_on'], unique=False)

    with op.batch_alter_table('legal_event', schema=None) as batch_op:
        batch_op.create_index('ix_legal_event_milestone_day', ['milestone', 'occurred_on', 'cooperative_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('legal_event', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_event_milestone_day')

    with op.batch_alter_table('sk_ahu_target', schema=None) as batch_op:
        batch_op.drop_index('ix_sk_ahu_target_region_period')

    op.drop_table('sk_ahu_target')
