"""indexes for the national reads

The mentoring figures and the follow-up list, on the national data: a province's
consultations in a period, a cooperative's latest contact, a consultation's open follow-ups,
and all follow-ups in due order.

Revision ID: 8e8e97e99a49
Revises: 9de3a3645bab
Create Date: 2026-12-04 20:27:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '8e8e97e99a49'
down_revision: str | None = '9de3a3645bab'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.create_index(
            'ix_consultation_province', ['province_code', 'occurred_at'], unique=False
        )
        batch_op.create_index(
            'ix_consultation_cooperative_seen', ['cooperative_id', 'occurred_at'], unique=False
        )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.create_index('ix_follow_up_due_order', ['due_date', 'id'], unique=False)
        batch_op.create_index(
            'ix_follow_up_consultation_open',
            ['consultation_id', 'status', 'due_date'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        batch_op.drop_index('ix_follow_up_consultation_open')
        batch_op.drop_index('ix_follow_up_due_order')
    with op.batch_alter_table('consultation', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_cooperative_seen')
        batch_op.drop_index('ix_consultation_province')
