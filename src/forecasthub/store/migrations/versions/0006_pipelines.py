"""pipelines (schedules, step attempts, one deployed version per group)

Step attempts need no table: each step of ``pipeline_runs.steps`` records its Attempts and Errors.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pipeline_schedules',
    sa.Column('dataset_group_arn', sa.String(length=300), nullable=False),
    sa.Column('cron', sa.String(length=120), nullable=False),
    sa.Column('last_fire_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fires', sa.Integer(), nullable=False),
    sa.Column('last_run_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('modified_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('dataset_group_arn')
    )
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pipeline', sa.String(length=16), nullable=False,
                                      server_default='inference'))
    # exactly one deployed version per dataset group, enforced by the database (a partial index)
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.create_index('uq_model_versions_deployed', ['dataset_group_arn'], unique=True,
                              sqlite_where=sa.text('deployed'), postgresql_where=sa.text('deployed'))


def downgrade() -> None:
    with op.batch_alter_table('model_versions', schema=None) as batch_op:
        batch_op.drop_index('uq_model_versions_deployed')
    with op.batch_alter_table('pipeline_runs', schema=None) as batch_op:
        batch_op.drop_column('pipeline')
    op.drop_table('pipeline_schedules')
