"""calendar feed version on accounts

Revision ID: c4a7d2e91f3b
Revises: 5a7c1e9d2b40
Create Date: 2026-12-05 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = 'c4a7d2e91f3b'
down_revision: str | None = '5a7c1e9d2b40'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Feed tokens issued before carry no feed version and are read as version 1: the
    # subscriptions phones already have keep working until their owner revokes the link.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('calendar_feed_version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('calendar_feed_version')
