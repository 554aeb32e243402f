"""saved launch plans

Revision ID: 7d3b9e2a4c51
Revises: c4a7d2e91f3b
Create Date: 2026-12-05 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = '7d3b9e2a4c51'
down_revision: str | None = 'c4a7d2e91f3b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'launch_plan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region', sa.String(length=13), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('note', sa.String(length=4000), nullable=True),
        sa.Column('participants', sa.Integer(), nullable=False),
        sa.Column('recommended', sa.String(length=30), nullable=True),
        sa.Column('catalog_version', sa.String(length=60), nullable=False),
        sa.Column('catalog_digest', sa.String(length=40), nullable=False),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('launch_plan', schema=None) as batch_op:
        batch_op.create_index('ix_launch_plan_region', ['region', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('launch_plan', schema=None) as batch_op:
        batch_op.drop_index('ix_launch_plan_region')
    op.drop_table('launch_plan')
