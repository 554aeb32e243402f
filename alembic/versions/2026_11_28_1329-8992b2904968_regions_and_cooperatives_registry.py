"""regions and cooperatives registry

Revision ID: 8992b2904968
Revises: 
Create Date: 2026-11-28 13:29:57.224521
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = '8992b2904968'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reference_dataset',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('version', sa.String(length=200), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('region',
    sa.Column('code', sa.String(length=13), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('parent_code', sa.String(length=13), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('code')
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_region_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_parent_code'), ['parent_code'], unique=False)

    op.create_table('cooperative',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('district_code', sa.String(length=8), nullable=False),
    sa.Column('regency_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('is_joint', sa.Boolean(), nullable=False),
    sa.Column('members_male', sa.Integer(), nullable=False),
    sa.Column('members_female', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('last_rat_year', sa.Integer(), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('akta_number', sa.String(length=100), nullable=True),
    sa.Column('akta_date', sa.Date(), nullable=True),
    sa.Column('notary_name', sa.String(length=200), nullable=True),
    sa.Column('sk_ahu_number', sa.String(length=120), nullable=True),
    sa.Column('sk_ahu_date', sa.Date(), nullable=True),
    sa.Column('sk_ahu_format', sa.String(length=10), nullable=True),
    sa.Column('nik_koperasi', sa.String(length=20), nullable=True),
    sa.Column('nib', sa.String(length=13), nullable=True),
    sa.Column('npwp', sa.String(length=16), nullable=True),
    sa.Column('business_units_other', sa.String(length=500), nullable=True),
    sa.Column('legal_stage', sa.String(length=20), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cooperative', schema=None) as batch_op:
        batch_op.create_index('ix_cooperative_district_order', ['district_code', 'village_code', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cooperative_legal_stage'), ['legal_stage'], unique=False)
        batch_op.create_index('ix_cooperative_province_order', ['province_code', 'village_code', 'id'], unique=False)
        batch_op.create_index('ix_cooperative_regency_order', ['regency_code', 'village_code', 'id'], unique=False)
        batch_op.create_index('ix_cooperative_updated', ['updated_at', 'id'], unique=False)
        batch_op.create_index('ix_cooperative_village_order', ['village_code', 'id'], unique=False)
        batch_op.create_index('uq_cooperative_village_single', ['village_code'], unique=True, postgresql_where=sa.text('NOT is_joint'), sqlite_where=sa.text('NOT is_joint'))

    op.create_table('cooperative_business_unit',
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cooperative_id', 'unit')
    )
    with op.batch_alter_table('cooperative_business_unit', schema=None) as batch_op:
        batch_op.create_index('ix_cooperative_business_unit_unit', ['unit', 'cooperative_id'], unique=False)

    op.create_table('legal_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.Column('milestone', sa.String(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('document_number', sa.String(length=120), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('legal_event', schema=None) as batch_op:
        batch_op.create_index('uq_legal_event_milestone', ['cooperative_id', 'milestone'], unique=True)

    op.create_table('officer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.String(length=10), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('nik', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('officer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officer_cooperative_id'), ['cooperative_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('officer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officer_cooperative_id'))

    op.drop_table('officer')
    with op.batch_alter_table('legal_event', schema=None) as batch_op:
        batch_op.drop_index('uq_legal_event_milestone')

    op.drop_table('legal_event')
    with op.batch_alter_table('cooperative_business_unit', schema=None) as batch_op:
        batch_op.drop_index('ix_cooperative_business_unit_unit')

    op.drop_table('cooperative_business_unit')
    with op.batch_alter_table('cooperative', schema=None) as batch_op:
        batch_op.drop_index('uq_cooperative_village_single', postgresql_where=sa.text('NOT is_joint'), sqlite_where=sa.text('NOT is_joint'))
        batch_op.drop_index('ix_cooperative_village_order')
        batch_op.drop_index('ix_cooperative_updated')
        batch_op.drop_index('ix_cooperative_regency_order')
        batch_op.drop_index('ix_cooperative_province_order')
        batch_op.drop_index(batch_op.f('ix_cooperative_legal_stage'))
        batch_op.drop_index('ix_cooperative_district_order')

    op.drop_table('cooperative')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_parent_code'))
        batch_op.drop_index(batch_op.f('ix_region_level'))

    op.drop_table('region')
    op.drop_table('reference_dataset')
