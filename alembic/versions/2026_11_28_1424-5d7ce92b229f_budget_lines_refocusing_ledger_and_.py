"""budget lines refocusing ledger and idempotency

Revision ID: 5d7ce92b229f
Revises: c6168406efc0
Create Date: 2026-11-28 14:24:32.451654
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = '5d7ce92b229f'
down_revision: str | None = 'c6168406efc0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The database's own last line of defence for the money, whatever the application does:
# ledger entries are never changed or deleted, an applied refocusing is never edited, and no
# entry may leave a line below what is committed against it (checked at commit on PostgreSQL;
# on SQLite per row, which the service satisfies by writing increases before decreases).
_LINE_BALANCE = """
    SELECT
      l.original_ceiling
      + COALESCE(SUM(CASE e.kind WHEN 'shift_in' THEN e.amount
                                 WHEN 'shift_out' THEN -e.amount ELSE 0 END), 0)
      - COALESCE(SUM(CASE e.kind WHEN 'commit' THEN e.amount
                                 WHEN 'release' THEN -e.amount ELSE 0 END), 0)
    FROM budget_line l LEFT JOIN budget_entry e ON e.budget_line_id = l.id
    WHERE l.id = NEW.budget_line_id
    GROUP BY l.original_ceiling
"""
_GUARDS = {
    "postgresql": [
        """CREATE FUNCTION kopdes_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$""",
        """CREATE TRIGGER budget_entry_append_only BEFORE UPDATE OR DELETE ON budget_entry
        FOR EACH ROW EXECUTE FUNCTION kopdes_refuse_change()""",
        """CREATE TRIGGER refocusing_applied_is_final BEFORE UPDATE OR DELETE ON refocusing
        FOR EACH ROW WHEN (OLD.status = 'applied') EXECUTE FUNCTION kopdes_refuse_change()""",
        f"""CREATE FUNCTION budget_line_stays_covered() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE available bigint;
        BEGIN
          available := ({_LINE_BALANCE});
          IF available < 0 THEN
            RAISE EXCEPTION 'budget line % would fall below its commitments', NEW.budget_line_id;
          END IF;
          RETURN NEW;
        END $$""",
        """CREATE CONSTRAINT TRIGGER budget_line_stays_covered AFTER INSERT ON budget_entry
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION budget_line_stays_covered()""",
    ],
    "sqlite": [
        """CREATE TRIGGER budget_entry_no_update BEFORE UPDATE ON budget_entry
        BEGIN SELECT RAISE(ABORT, 'budget_entry is append-only'); END""",
        """CREATE TRIGGER budget_entry_no_delete BEFORE DELETE ON budget_entry
        BEGIN SELECT RAISE(ABORT, 'budget_entry is append-only'); END""",
        """CREATE TRIGGER refocusing_applied_no_update BEFORE UPDATE ON refocusing
        WHEN OLD.status = 'applied'
        BEGIN SELECT RAISE(ABORT, 'refocusing is append-only once applied'); END""",
        """CREATE TRIGGER refocusing_applied_no_delete BEFORE DELETE ON refocusing
        WHEN OLD.status = 'applied'
        BEGIN SELECT RAISE(ABORT, 'refocusing is append-only once applied'); END""",
        f"""CREATE TRIGGER budget_line_stays_covered AFTER INSERT ON budget_entry
        WHEN ({_LINE_BALANCE}) < 0
        BEGIN SELECT RAISE(ABORT, 'budget line would fall below its commitments'); END""",
    ],
}
_DROP_GUARDS = {
    "postgresql": [
        "DROP TRIGGER budget_line_stays_covered ON budget_entry",
        "DROP FUNCTION budget_line_stays_covered()",
        "DROP TRIGGER refocusing_applied_is_final ON refocusing",
        "DROP TRIGGER budget_entry_append_only ON budget_entry",
        "DROP FUNCTION kopdes_refuse_change()",
    ],
    "sqlite": [
        "DROP TRIGGER budget_line_stays_covered",
        "DROP TRIGGER refocusing_applied_no_delete",
        "DROP TRIGGER refocusing_applied_no_update",
        "DROP TRIGGER budget_entry_no_delete",
        "DROP TRIGGER budget_entry_no_update",
    ],
}


def upgrade() -> None:
    op.create_table('idempotency_record',
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('operation', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('actor', 'key')
    )
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_record_created_at'), ['created_at'], unique=False)

    op.create_table('budget_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('skpd', sa.String(length=200), nullable=False),
    sa.Column('sub_kegiatan_code', sa.String(length=20), nullable=False),
    sa.Column('sub_kegiatan_name', sa.String(length=300), nullable=False),
    sa.Column('kode_rekening', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('original_ceiling', sa.BigInteger(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('original_ceiling >= 0', name='original_ceiling_not_negative'),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('budget_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_line_fiscal_year'), ['fiscal_year'], unique=False)
        batch_op.create_index('uq_budget_line_code', ['fiscal_year', 'region_code', 'sub_kegiatan_code', 'kode_rekening'], unique=True)

    op.create_table('refocusing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('reason', sa.String(length=4000), nullable=False),
    sa.Column('legal_basis', sa.String(length=500), nullable=False),
    sa.Column('document_type', sa.String(length=20), nullable=False),
    sa.Column('document_number', sa.String(length=200), nullable=False),
    sa.Column('document_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('submitted_by', sa.String(length=100), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sa.String(length=100), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_by', sa.String(length=100), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.ForeignKeyConstraint(['reverses_id'], ['refocusing.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reverses_id')
    )
    with op.batch_alter_table('refocusing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refocusing_region_code'), ['region_code'], unique=False)

    op.create_table('refocusing_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refocusing_id', sa.Integer(), nullable=False),
    sa.Column('from_line_id', sa.Integer(), nullable=False),
    sa.Column('to_line_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount > 0', name='amount_positive'),
    sa.CheckConstraint('from_line_id <> to_line_id', name='two_different_lines'),
    sa.ForeignKeyConstraint(['from_line_id'], ['budget_line.id'], ),
    sa.ForeignKeyConstraint(['refocusing_id'], ['refocusing.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_line_id'], ['budget_line.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('refocusing_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refocusing_movement_refocusing_id'), ['refocusing_id'], unique=False)

    op.create_table('budget_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('refocusing_id', sa.Integer(), nullable=True),
    sa.Column('training_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name='amount_positive'),
    sa.ForeignKeyConstraint(['budget_line_id'], ['budget_line.id'], ),
    sa.ForeignKeyConstraint(['refocusing_id'], ['refocusing.id'], ),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('budget_entry', schema=None) as batch_op:
        batch_op.create_index('ix_budget_entry_line', ['budget_line_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_entry_refocusing_id'), ['refocusing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_budget_entry_training_id'), ['training_id'], unique=False)

    op.create_table('refocusing_training',
    sa.Column('refocusing_id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['refocusing_id'], ['refocusing.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('refocusing_id', 'training_id')
    )
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_training_budget_line_id_budget_line', 'budget_line', ['budget_line_id'], ['id']
        )

    for statement in _GUARDS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP_GUARDS[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.drop_constraint('fk_training_budget_line_id_budget_line', type_='foreignkey')

    op.drop_table('refocusing_training')
    with op.batch_alter_table('budget_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_entry_training_id'))
        batch_op.drop_index(batch_op.f('ix_budget_entry_refocusing_id'))
        batch_op.drop_index('ix_budget_entry_line')

    op.drop_table('budget_entry')
    with op.batch_alter_table('refocusing_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refocusing_movement_refocusing_id'))

    op.drop_table('refocusing_movement')
    with op.batch_alter_table('refocusing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refocusing_region_code'))

    op.drop_table('refocusing')
    with op.batch_alter_table('budget_line', schema=None) as batch_op:
        batch_op.drop_index('uq_budget_line_code')
        batch_op.drop_index(batch_op.f('ix_budget_line_fiscal_year'))

    op.drop_table('budget_line')
    with op.batch_alter_table('idempotency_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_record_created_at'))

    op.drop_table('idempotency_record')
