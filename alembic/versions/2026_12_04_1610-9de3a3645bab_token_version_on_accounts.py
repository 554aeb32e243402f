"""token version on accounts

Revision ID: 9de3a3645bab
Revises: 330c6868d710
Create Date: 2026-12-04 16:10:26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401

from alembic import op

revision: str = '9de3a3645bab'
down_revision: str | None = '330c6868d710'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Access tokens issued before carry the old hashed version and are refused from now on:
    # their holders refresh (refresh tokens are unaffected) or log in again.
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('token_version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('token_version')
