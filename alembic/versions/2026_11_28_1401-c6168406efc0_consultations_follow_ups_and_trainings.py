"""consultations follow-ups and trainings

Revision ID: c6168406efc0
Revises: c218eac2034e
Create Date: 2026-11-28 14:01:34.205754
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = 'c6168406efc0'
down_revision: str | None = 'c218eac2034e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('training',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('modules', sa.JSON(), nullable=False),
    sa.Column('venue', sa.String(length=500), nullable=True),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('planned_start', sa.Date(), nullable=True),
    sa.Column('planned_end', sa.Date(), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('estimated_cost', sa.BigInteger(), nullable=False),
    sa.Column('budget_line_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.create_index('ix_training_region', ['region_code', 'status'], unique=False)

    op.create_table('training_attendee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=True),
    sa.Column('cooperative_id', sa.Integer(), nullable=True),
    sa.Column('attended', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('training_attendee', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_attendee_cooperative_id'), ['cooperative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_attendee_training_id'), ['training_id'], unique=False)

    op.create_table('training_invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=True),
    sa.Column('person_name', sa.String(length=200), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('training_invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_invitation_cooperative_id'), ['cooperative_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_invitation_training_id'), ['training_id'], unique=False)

    op.create_table('training_transition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('training_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['training_id'], ['training.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('training_transition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_transition_training_id'), ['training_id'], unique=False)

    op.create_table('consultation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=True),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('district_code', sa.String(length=8), nullable=False),
    sa.Column('regency_code', sa.String(length=5), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_phone', sa.String(length=20), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('business_units', sa.JSON(), nullable=False),
    sa.Column('summary', sa.String(length=4000), nullable=True),
    sa.Column('advice', sa.String(length=4000), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_by', sa.String(length=100), nullable=True),
    sa.Column('deleted_reason', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['officer_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['village_code'], ['region.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_cooperative_id'), ['cooperative_id'], unique=False)
        batch_op.create_index('ix_consultation_district', ['district_code', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultation_officer_id'), ['officer_id'], unique=False)
        batch_op.create_index('ix_consultation_regency', ['regency_code', 'occurred_at'], unique=False)
        batch_op.create_index('ix_consultation_updated', ['updated_at', 'id'], unique=False)

    op.create_table('consultation_topic',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', 'topic')
    )
    with op.batch_alter_table('consultation_topic', schema=None) as batch_op:
        batch_op.create_index('ix_consultation_topic_topic', ['topic', 'consultation_id'], unique=False)

    op.create_table('follow_up',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=2000), nullable=False),
    sa.Column('responsible', sa.String(length=20), nullable=False),
    sa.Column('officer_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=2000), nullable=True),
    sa.Column('cancel_reason', sa.String(length=1000), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultation.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['officer_id'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_consultation_id'), ['consultation_id'], unique=False)
        batch_op.create_index('ix_follow_up_due', ['status', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_up_officer_id'), ['officer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_officer_id'))
        batch_op.drop_index('ix_follow_up_due')
        batch_op.drop_index(batch_op.f('ix_follow_up_consultation_id'))

    op.drop_table('follow_up')
    with op.batch_alter_table('consultation_topic', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_topic_topic')

    op.drop_table('consultation_topic')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_updated')
        batch_op.drop_index('ix_consultation_regency')
        batch_op.drop_index(batch_op.f('ix_consultation_officer_id'))
        batch_op.drop_index('ix_consultation_district')
        batch_op.drop_index(batch_op.f('ix_consultation_cooperative_id'))

    op.drop_table('consultation')
    with op.batch_alter_table('training_transition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_transition_training_id'))

    op.drop_table('training_transition')
    with op.batch_alter_table('training_invitation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_invitation_training_id'))
        batch_op.drop_index(batch_op.f('ix_training_invitation_cooperative_id'))

    op.drop_table('training_invitation')
    with op.batch_alter_table('training_attendee', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_attendee_training_id'))
        batch_op.drop_index(batch_op.f('ix_training_attendee_cooperative_id'))

    op.drop_table('training_attendee')
    with op.batch_alter_table('training', schema=None) as batch_op:
        batch_op.drop_index('ix_training_region')

    op.drop_table('training')
