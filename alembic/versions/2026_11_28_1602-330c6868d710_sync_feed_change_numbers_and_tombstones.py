"""sync feed: change numbers and tombstones

Revision ID: 330c6868d710
Revises: 4b1e2f3a9c10
Create Date: 2026-11-28 16:02:19.264756
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = '330c6868d710'
down_revision: str | None = '4b1e2f3a9c10'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Existing rows are numbered table after table, each in the order it was last changed.
SYNCED_TABLES = ['cooperative', 'officer', 'consultation', 'follow_up', 'training']


def upgrade() -> None:
    op.create_table('deleted_record',
    sa.Column('change', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deleted_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deleted_record_change'), ['change'], unique=True)

    op.create_table('sync_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_sync_clock_one_row')),
    sa.PrimaryKeyConstraint('id')
    )

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consultation_updated'))

    connection = op.get_bind()
    numbered = 0
    for table in SYNCED_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('change', sa.BigInteger(), nullable=True))
        # UPDATE ... FROM: PostgreSQL, and SQLite since 3.33.
        connection.execute(
            sa.text(
                f'UPDATE {table} SET change = numbered.n + :offset '
                f'FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY updated_at, id) AS n '
                f'FROM {table}) AS numbered WHERE numbered.id = {table}.id'
            ),
            {'offset': numbered},
        )
        numbered += connection.execute(sa.text(f'SELECT count(*) FROM {table}')).scalar_one()
        # On SQLite this rebuilds the table; removed cooperatives and officers leave
        # tombstones, so their ids must never be handed out again (AUTOINCREMENT).
        autoincrement = {'sqlite_autoincrement': table in ('cooperative', 'officer')}
        with op.batch_alter_table(table, schema=None, table_kwargs=autoincrement) as batch_op:
            batch_op.alter_column('change', existing_type=sa.BigInteger(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{table}_change'), ['change'], unique=True)

    op.bulk_insert(
        sa.table('sync_clock', sa.column('id', sa.Integer()), sa.column('value', sa.BigInteger())),
        [{'id': 1, 'value': numbered}],
    )


def downgrade() -> None:
    for table in reversed(SYNCED_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_change'))
            batch_op.drop_column('change')

    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_updated'), ['updated_at', 'id'], unique=False)

    op.drop_table('sync_clock')
    with op.batch_alter_table('deleted_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deleted_record_change'))

    op.drop_table('deleted_record')
