"""accounts api keys audit trail and encrypted nik

Revision ID: c218eac2034e
Revises: 8992b2904968
Create Date: 2026-11-28 13:47:20.128803
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401
from cryptography.fernet import Fernet

from alembic import op
from app.settings import get_settings

revision: str = 'c218eac2034e'
down_revision: str | None = '8992b2904968'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The audit trail is append-only: the database itself refuses to change or delete an event.
_APPEND_ONLY = {
    "postgresql": [
        """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$""",
        """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
        FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
        """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
        BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    ],
}
_DROP_APPEND_ONLY = {
    "postgresql": [
        "DROP TRIGGER audit_event_append_only ON audit_event",
        "DROP FUNCTION audit_event_append_only()",
    ],
    "sqlite": ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"],
}


def _fernet() -> Fernet:
    return Fernet(get_settings().nik_encryption_key.get_secret_value().encode())


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('resource_type', sa.String(length=40), nullable=False),
    sa.Column('resource_id', sa.String(length=40), nullable=True),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('client_ip', sa.String(length=64), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_actor', ['actor'], unique=False)
        batch_op.create_index('ix_audit_event_at', ['at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_region_code'), ['region_code'], unique=False)
        batch_op.create_index('ix_audit_event_resource', ['resource_type', 'resource_id'], unique=False)

    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('region_scope', sa.String(length=13), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_id', sa.String(length=20), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('scopes', sa.String(length=500), nullable=False),
    sa.Column('region_scope', sa.String(length=13), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_id')
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index('ix_api_key_region_scope', ['region_scope'], unique=False)

    op.create_table('refresh_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family', sa.String(length=36), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('refresh_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_token_family'), ['family'], unique=False)
        batch_op.create_index(batch_op.f('ix_refresh_token_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('officer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nik_ciphertext', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('nik_masked', sa.String(length=16), nullable=True))
    # Existing NIKs are encrypted with KOPDES_NIK_ENCRYPTION_KEY before the clear column goes.
    fernet = _fernet()
    connection = op.get_bind()
    for officer_id, nik in connection.execute(
        sa.text("SELECT id, nik FROM officer WHERE nik IS NOT NULL")
    ).all():
        connection.execute(
            sa.text("UPDATE officer SET nik_ciphertext = :c, nik_masked = :m WHERE id = :id"),
            {"c": fernet.encrypt(nik.encode()).decode(), "m": nik[:4] + "*" * 8 + nik[-4:],
             "id": officer_id},
        )
    with op.batch_alter_table('officer', schema=None) as batch_op:
        batch_op.drop_column('nik')

    for statement in _APPEND_ONLY[connection.dialect.name]:
        op.execute(statement)



def downgrade() -> None:
    connection = op.get_bind()
    for statement in _DROP_APPEND_ONLY[connection.dialect.name]:
        op.execute(statement)

    with op.batch_alter_table('officer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nik', sa.VARCHAR(length=16), nullable=True))
    fernet = _fernet()
    for officer_id, ciphertext in connection.execute(
        sa.text("SELECT id, nik_ciphertext FROM officer WHERE nik_ciphertext IS NOT NULL")
    ).all():
        connection.execute(
            sa.text("UPDATE officer SET nik = :nik WHERE id = :id"),
            {"nik": fernet.decrypt(ciphertext.encode()).decode(), "id": officer_id},
        )
    with op.batch_alter_table('officer', schema=None) as batch_op:
        batch_op.drop_column('nik_masked')
        batch_op.drop_column('nik_ciphertext')

    with op.batch_alter_table('refresh_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_token_user_id'))
        batch_op.drop_index(batch_op.f('ix_refresh_token_family'))

    op.drop_table('refresh_token')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index('ix_api_key_region_scope')

    op.drop_table('api_key')
    op.drop_table('user_account')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_resource')
        batch_op.drop_index(batch_op.f('ix_audit_event_region_code'))
        batch_op.drop_index('ix_audit_event_at')
        batch_op.drop_index('ix_audit_event_actor')

    op.drop_table('audit_event')
