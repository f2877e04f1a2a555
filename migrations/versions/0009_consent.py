"""consent

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 05:31:19.933457
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('data_subject',
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.Enum('PERSON', 'ORGANIZATION', name='subjectkind', native_enum=False, length=32), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('resident_id_hash', sa.String(length=64), nullable=True),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('subject'),
    sa.UniqueConstraint('resident_id_hash')
    )
    op.create_table('consent',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('grantee_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('scenario', sa.String(length=2000), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mode', sa.Enum('ONE_TIME', 'PERIODIC', name='consentmode', native_enum=False, length=32), nullable=False),
    sa.Column('frequency', sa.String(length=40), nullable=True),
    sa.Column('max_uses', sa.Integer(), nullable=True),
    sa.Column('uses_per_period', sa.Integer(), nullable=True),
    sa.Column('data_life', sa.String(length=40), nullable=True),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('separate', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('ACTIVE', 'NOT_YET_VALID', 'EXPIRED', 'EXHAUSTED', 'REVOKED', name='consentstatus', native_enum=False, length=32), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.String(length=2000), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.Column('revoke_seq', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grantee_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['subject'], ['data_subject.subject'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.create_index('ix_consent_grantee_created', ['grantee_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_consent_subject_created', ['subject', 'created_at', 'id'], unique=False)

    op.create_table('consent_item',
    sa.Column('consent_id', sa.Uuid(), nullable=False),
    sa.Column('item', sa.String(length=120), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], ),
    sa.PrimaryKeyConstraint('consent_id', 'item')
    )
    op.create_table('data_use',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('item', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.Enum('ALLOWED', 'DENIED', name='useoutcome', native_enum=False, length=32), nullable=False),
    sa.Column('reason', sa.Enum('REVOKED', 'EXPIRED', 'NOT_YET_VALID', 'OUT_OF_SCOPE', 'PURPOSE_MISMATCH', 'EXHAUSTED', 'FREQUENCY_EXCEEDED', 'NOT_GRANTEE', name='denialreason', native_enum=False, length=32), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_use', schema=None) as batch_op:
        batch_op.create_index('ix_data_use_consent_at', ['consent_id', 'at'], unique=False)
        batch_op.create_index('ix_data_use_subject_at', ['subject', 'at', 'id'], unique=False)
        batch_op.create_index('ix_data_use_user_at', ['user_id', 'at'], unique=False)

    op.create_table('complaint',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('against_id', sa.Uuid(), nullable=False),
    sa.Column('consent_id', sa.Uuid(), nullable=True),
    sa.Column('use_id', sa.Uuid(), nullable=True),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('status', sa.Enum('RECEIVED', 'ASSIGNED', 'RESOLVED', name='complaintstatus', native_enum=False, length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assignee', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.Enum('UPHELD', 'REJECTED', name='complaintoutcome', native_enum=False, length=32), nullable=True),
    sa.Column('resolution', sa.String(length=4000), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['against_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['consent_id'], ['consent.id'], ),
    sa.ForeignKeyConstraint(['use_id'], ['data_use.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_against_received', ['against_id', 'received_at'], unique=False)
        batch_op.create_index('ix_complaint_status_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_complaint_subject_received', ['subject', 'received_at', 'id'], unique=False)

    with op.batch_alter_table('data_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sensitive_personal', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('data_item', schema=None) as batch_op:
        batch_op.drop_column('sensitive_personal')

    with op.batch_alter_table('complaint', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_subject_received')
        batch_op.drop_index('ix_complaint_status_due')
        batch_op.drop_index('ix_complaint_against_received')

    op.drop_table('complaint')
    with op.batch_alter_table('data_use', schema=None) as batch_op:
        batch_op.drop_index('ix_data_use_user_at')
        batch_op.drop_index('ix_data_use_subject_at')
        batch_op.drop_index('ix_data_use_consent_at')

    op.drop_table('data_use')
    op.drop_table('consent_item')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_subject_created')
        batch_op.drop_index('ix_consent_grantee_created')

    op.drop_table('consent')
    op.drop_table('data_subject')
