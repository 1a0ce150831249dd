"""vagas de robo: the shared budget of robot jobs in flight

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('vagas_robo',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('operadora', sa.String(length=30), nullable=False),
    sa.Column('dono', sa.String(length=200), nullable=False),
    sa.Column('job_id', sa.String(length=100), nullable=True),
    sa.Column('expira_em', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data_criacao', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vagas_robo'))
    )
    op.create_index(op.f('ix_vagas_robo_dono'), 'vagas_robo', ['dono'], unique=False)
    op.create_index(op.f('ix_vagas_robo_expira_em'), 'vagas_robo', ['expira_em'], unique=False)
    op.create_index(op.f('ix_vagas_robo_job_id'), 'vagas_robo', ['job_id'], unique=False)
    op.create_index(op.f('ix_vagas_robo_operadora'), 'vagas_robo', ['operadora'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_vagas_robo_operadora'), table_name='vagas_robo')
    op.drop_index(op.f('ix_vagas_robo_job_id'), table_name='vagas_robo')
    op.drop_index(op.f('ix_vagas_robo_expira_em'), table_name='vagas_robo')
    op.drop_index(op.f('ix_vagas_robo_dono'), table_name='vagas_robo')
    op.drop_table('vagas_robo')
