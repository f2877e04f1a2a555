"""sharing: demand list, share requests, grants, access tickets, verification sets, conditional opening, anomalies and usage reports (issue 12); resource de-identification records

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 04:23:34.799264
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('data_anomaly',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('reporter', sa.String(length=120), nullable=False),
    sa.Column('reporter_org_id', sa.Uuid(), nullable=True),
    sa.Column('text', sa.String(length=4000), nullable=False),
    sa.Column('status', sa.Enum('RECEIVED', 'CORRECTED', 'NOT_AN_ERROR', name='anomalystatus', native_enum=False, length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_provisional', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer', sa.String(length=4000), nullable=False),
    sa.Column('corrected_version', sa.Integer(), nullable=True),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['reporter_org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('data_anomaly', schema=None) as batch_op:
        batch_op.create_index('ix_data_anomaly_owner_received', ['owner_id', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_data_anomaly_status_due', ['status', 'due_at'], unique=False)

    op.create_table('open_application',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('applicant', sa.String(length=120), nullable=False),
    sa.Column('applicant_org_id', sa.Uuid(), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('scenario', sa.String(length=2000), nullable=False),
    sa.Column('security_measures', sa.String(length=4000), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'APPROVED', 'AGREED', 'REFUSED', 'WITHDRAWN', name='openapplicationstatus', native_enum=False, length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_provisional', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=2000), nullable=False),
    sa.Column('terms', sa.String(length=20000), nullable=False),
    sa.Column('terms_hash', sa.String(length=64), nullable=False),
    sa.Column('owner_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applicant_accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['applicant_org_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('open_application', schema=None) as batch_op:
        batch_op.create_index('ix_open_application_applicant_received', ['applicant', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_open_application_owner_received', ['owner_id', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_open_application_status_due', ['status', 'due_at'], unique=False)

    op.create_table('resource_deidentification',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('method', sa.String(length=200), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=False),
    sa.Column('checked_by', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Uuid(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('resource_deidentification', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_resource_deidentification_resource_id'), ['resource_id'], unique=False)

    op.create_table('share_demand',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('requester_id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=True),
    sa.Column('scenario', sa.String(length=2000), nullable=False),
    sa.Column('legal_duty', sa.String(length=2000), nullable=False),
    sa.Column('status', sa.Enum('OPEN', 'MET', 'WITHDRAWN', name='demandstatus', native_enum=False, length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_demand', schema=None) as batch_op:
        batch_op.create_index('ix_share_demand_requester_created', ['requester_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_share_demand_status_created', ['status', 'created_at', 'id'], unique=False)

    op.create_table('share_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('requester_id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('source_department_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('scenario', sa.String(length=2000), nullable=False),
    sa.Column('scenario_key', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.Enum('API', 'TABLE', 'FILE', 'OFFLINE_LINE', 'OFFLINE_MEDIA', 'PAPER', name='sharemode', native_enum=False, length=32), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('share_type', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'APPROVED', 'DELIVERED', 'REFUSED', 'DISPUTED', 'WITHDRAWN', name='sharerequeststatus', native_enum=False, length=32), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_due_provisional', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_law', sa.String(length=200), nullable=False),
    sa.Column('refusal_article', sa.String(length=100), nullable=False),
    sa.Column('refusal_reason', sa.String(length=2000), nullable=False),
    sa.Column('delivery_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_due_provisional', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_channel', sa.Enum('API', 'TABLE', 'FILE', 'OFFLINE_LINE', 'OFFLINE_MEDIA', 'PAPER', name='sharemode', native_enum=False, length=32), nullable=True),
    sa.Column('delivery_reference', sa.String(length=200), nullable=False),
    sa.Column('grant_id', sa.Uuid(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['requester_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.ForeignKeyConstraint(['source_department_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_request', schema=None) as batch_op:
        batch_op.create_index('ix_share_request_received', ['received_at', 'id'], unique=False)
        batch_op.create_index('ix_share_request_requester_received', ['requester_id', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_share_request_resource_scenario', ['resource_id', 'requester_id', 'status'], unique=False)
        batch_op.create_index('ix_share_request_source_received', ['source_department_id', 'received_at', 'id'], unique=False)
        batch_op.create_index('ix_share_request_status_answer_due', ['status', 'answer_due_at'], unique=False)
        batch_op.create_index('ix_share_request_status_delivery_due', ['status', 'delivery_due_at'], unique=False)

    op.create_table('verification_query',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('asker_id', sa.Uuid(), nullable=False),
    sa.Column('item', sa.String(length=64), nullable=False),
    sa.Column('answer', sa.Enum('MATCH', 'NO_MATCH', 'UNKNOWN', name='verificationanswer', native_enum=False, length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['asker_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verification_query', schema=None) as batch_op:
        batch_op.create_index('ix_verification_query_asker_at', ['asker_id', 'at'], unique=False)

    op.create_table('verification_set',
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('key', sa.LargeBinary(length=32), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('batches', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('resource_id')
    )
    op.create_table('share_demand_item',
    sa.Column('demand_id', sa.Uuid(), nullable=False),
    sa.Column('data_item_id', sa.Uuid(), nullable=False),
    sa.Column('source_department_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['data_item_id'], ['data_item.id'], ),
    sa.ForeignKeyConstraint(['demand_id'], ['share_demand.id'], ),
    sa.ForeignKeyConstraint(['source_department_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('demand_id', 'data_item_id')
    )
    with op.batch_alter_table('share_demand_item', schema=None) as batch_op:
        batch_op.create_index('ix_share_demand_item_item', ['data_item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_demand_item_source_department_id'), ['source_department_id'], unique=False)

    op.create_table('share_dispute',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('reason', sa.String(length=4000), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.Enum('UPHELD', 'OVERTURNED', name='disputeoutcome', native_enum=False, length=32), nullable=True),
    sa.Column('ruling', sa.String(length=4000), nullable=False),
    sa.Column('ruled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ruled_by_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['share_request.id'], ),
    sa.ForeignKeyConstraint(['ruled_by_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    with op.batch_alter_table('share_dispute', schema=None) as batch_op:
        batch_op.create_index('ix_share_dispute_open_filed', ['outcome', 'filed_at'], unique=False)

    op.create_table('share_grant',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('grantee_id', sa.Uuid(), nullable=False),
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('source_department_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('scenario', sa.String(length=2000), nullable=False),
    sa.Column('mode', sa.Enum('API', 'TABLE', 'FILE', 'OFFLINE_LINE', 'OFFLINE_MEDIA', 'PAPER', name='sharemode', native_enum=False, length=32), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('ACTIVE', 'SUSPENDED', 'REVOKED', name='grantstatus', native_enum=False, length=32), nullable=False),
    sa.Column('status_reason', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['grantee_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['share_request.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.ForeignKeyConstraint(['source_department_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id')
    )
    with op.batch_alter_table('share_grant', schema=None) as batch_op:
        batch_op.create_index('ix_share_grant_grantee_created', ['grantee_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_share_grant_source_created', ['source_department_id', 'created_at', 'id'], unique=False)

    op.create_table('share_request_item',
    sa.Column('request_id', sa.Uuid(), nullable=False),
    sa.Column('data_item_id', sa.Uuid(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['data_item_id'], ['data_item.id'], ),
    sa.ForeignKeyConstraint(['request_id'], ['share_request.id'], ),
    sa.PrimaryKeyConstraint('request_id', 'data_item_id')
    )
    op.create_table('verification_entry',
    sa.Column('resource_id', sa.Uuid(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('subject_item', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['resource_id'], ['verification_set.resource_id'], ),
    sa.PrimaryKeyConstraint('resource_id', 'digest')
    )
    with op.batch_alter_table('verification_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_entry_subject_item'), ['subject_item'], unique=False)

    op.create_table('access_ticket',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('grant_id', sa.Uuid(), nullable=False),
    sa.Column('grantee_id', sa.Uuid(), nullable=False),
    sa.Column('source_department_id', sa.Uuid(), nullable=False),
    sa.Column('items', sa.String(length=4000), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rows_released', sa.Integer(), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('use_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['grant_id'], ['share_grant.id'], ),
    sa.ForeignKeyConstraint(['grantee_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['source_department_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('access_ticket', schema=None) as batch_op:
        batch_op.create_index('ix_access_ticket_grant_issued', ['grant_id', 'issued_at', 'id'], unique=False)
        batch_op.create_index('ix_access_ticket_grantee_issued', ['grantee_id', 'issued_at', 'id'], unique=False)

    op.create_table('share_grant_item',
    sa.Column('grant_id', sa.Uuid(), nullable=False),
    sa.Column('data_item_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['data_item_id'], ['data_item.id'], ),
    sa.ForeignKeyConstraint(['grant_id'], ['share_grant.id'], ),
    sa.PrimaryKeyConstraint('grant_id', 'data_item_id')
    )
    op.create_table('share_violation_candidate',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('grantee_id', sa.Uuid(), nullable=False),
    sa.Column('grant_id', sa.Uuid(), nullable=True),
    sa.Column('resource_id', sa.Uuid(), nullable=True),
    sa.Column('kind', sa.Enum('NO_GRANT', 'ITEMS_OUTSIDE_GRANT', 'PURPOSE_MISMATCH', 'GRANT_EXPIRED', 'GRANT_SUSPENDED', 'GRANT_REVOKED', 'CONSENT_DENIED', 'VERIFICATION_RATE_EXCEEDED', name='violationkind', native_enum=False, length=32), nullable=False),
    sa.Column('detail', sa.String(length=2000), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['share_grant.id'], ),
    sa.ForeignKeyConstraint(['grantee_id'], ['organization.id'], ),
    sa.ForeignKeyConstraint(['resource_id'], ['resource.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('share_violation_candidate', schema=None) as batch_op:
        batch_op.create_index('ix_share_violation_grantee_at', ['grantee_id', 'at', 'id'], unique=False)

    op.create_table('usage_report',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('grant_id', sa.Uuid(), nullable=False),
    sa.Column('grantee_id', sa.Uuid(), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('quarter_start', sa.Date(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('effect', sa.String(length=4000), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ledger_seq', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['share_grant.id'], ),
    sa.ForeignKeyConstraint(['grantee_id'], ['organization.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('grant_id', 'quarter', name='uq_usage_report_quarter')
    )
    with op.batch_alter_table('usage_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_usage_report_grantee_id'), ['grantee_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('usage_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_usage_report_grantee_id'))

    op.drop_table('usage_report')
    with op.batch_alter_table('share_violation_candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_share_violation_grantee_at')

    op.drop_table('share_violation_candidate')
    op.drop_table('share_grant_item')
    with op.batch_alter_table('access_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_access_ticket_grantee_issued')
        batch_op.drop_index('ix_access_ticket_grant_issued')

    op.drop_table('access_ticket')
    with op.batch_alter_table('verification_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_entry_subject_item'))

    op.drop_table('verification_entry')
    op.drop_table('share_request_item')
    with op.batch_alter_table('share_grant', schema=None) as batch_op:
        batch_op.drop_index('ix_share_grant_source_created')
        batch_op.drop_index('ix_share_grant_grantee_created')

    op.drop_table('share_grant')
    with op.batch_alter_table('share_dispute', schema=None) as batch_op:
        batch_op.drop_index('ix_share_dispute_open_filed')

    op.drop_table('share_dispute')
    with op.batch_alter_table('share_demand_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_demand_item_source_department_id'))
        batch_op.drop_index('ix_share_demand_item_item')

    op.drop_table('share_demand_item')
    op.drop_table('verification_set')
    with op.batch_alter_table('verification_query', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_query_asker_at')

    op.drop_table('verification_query')
    with op.batch_alter_table('share_request', schema=None) as batch_op:
        batch_op.drop_index('ix_share_request_status_delivery_due')
        batch_op.drop_index('ix_share_request_status_answer_due')
        batch_op.drop_index('ix_share_request_source_received')
        batch_op.drop_index('ix_share_request_resource_scenario')
        batch_op.drop_index('ix_share_request_requester_received')
        batch_op.drop_index('ix_share_request_received')

    op.drop_table('share_request')
    with op.batch_alter_table('share_demand', schema=None) as batch_op:
        batch_op.drop_index('ix_share_demand_status_created')
        batch_op.drop_index('ix_share_demand_requester_created')

    op.drop_table('share_demand')
    with op.batch_alter_table('resource_deidentification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_resource_deidentification_resource_id'))

    op.drop_table('resource_deidentification')
    with op.batch_alter_table('open_application', schema=None) as batch_op:
        batch_op.drop_index('ix_open_application_status_due')
        batch_op.drop_index('ix_open_application_owner_received')
        batch_op.drop_index('ix_open_application_applicant_received')

    op.drop_table('open_application')
    with op.batch_alter_table('data_anomaly', schema=None) as batch_op:
        batch_op.drop_index('ix_data_anomaly_status_due')
        batch_op.drop_index('ix_data_anomaly_owner_received')

    op.drop_table('data_anomaly')
