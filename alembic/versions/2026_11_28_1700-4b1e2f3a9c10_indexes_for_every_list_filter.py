"""indexes for every list filter

Revision ID: 4b1e2f3a9c10
Revises: c128a3e6d4be
Create Date: 2026-11-28 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '4b1e2f3a9c10'
down_revision: str | None = 'c128a3e6d4be'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSULTATION_RECENT = {
    'ix_consultation_province_recent': 'province_code',
    'ix_consultation_regency_recent': 'regency_code',
    'ix_consultation_district_recent': 'district_code',
    'ix_consultation_village_recent': 'village_code',
}


def upgrade() -> None:
    with op.batch_alter_table('cooperative', schema=None) as batch_op:
        batch_op.create_index('ix_cooperative_name_order', ['name', 'id'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index(
            'ix_cooperative_name_trigram',
            'cooperative',
            ['name'],
            postgresql_using='gin',
            postgresql_ops={'name': 'gin_trgm_ops'},
        )
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        for name, column in CONSULTATION_RECENT.items():
            batch_op.create_index(name, [column, 'id'], unique=False)
        batch_op.create_index('ix_consultation_occurred_at', ['occurred_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_occurred_at')
        for name in CONSULTATION_RECENT:
            batch_op.drop_index(name)
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_cooperative_name_trigram', table_name='cooperative')
    with op.batch_alter_table('cooperative', schema=None) as batch_op:
        batch_op.drop_index('ix_cooperative_name_order')
