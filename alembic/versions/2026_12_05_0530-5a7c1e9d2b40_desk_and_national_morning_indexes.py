"""indexes for the walk-in desk and the national morning table

Revision ID: 5a7c1e9d2b40
Revises: 95f44641552d
Create Date: 2026-12-05 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = '5a7c1e9d2b40'
down_revision: str | None = '95f44641552d'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.create_index(
            'ix_consultation_withdrawn',
            ['id'],
            unique=False,
            postgresql_where=sa.text('deleted_at IS NOT NULL'),
            sqlite_where=sa.text('deleted_at IS NOT NULL'),
        )
    # The walk-in desk's search for a village by part of its name (PostgreSQL only; pg_trgm
    # is created by 4b1e2f3a9c10).
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index(
            'ix_region_name_trigram',
            'region',
            ['name'],
            postgresql_using='gin',
            postgresql_ops={'name': 'gin_trgm_ops'},
        )


def downgrade() -> None:
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_withdrawn')
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_region_name_trigram', table_name='region')
