"""sessões do navegador (login mantido ao recarregar a página)

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02 08:30:00
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sessoes',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('usuario_id', sa.Uuid(), nullable=False),
    sa.Column('ticket_sha256', sa.String(length=64), nullable=True),
    sa.Column('token_sha256', sa.String(length=64), nullable=True),
    sa.Column('criada_em', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expira_em', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revogada_em', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], name=op.f('fk_sessoes_usuario_id_usuarios'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sessoes')),
    sa.UniqueConstraint('ticket_sha256', name=op.f('uq_sessoes_ticket_sha256')),
    sa.UniqueConstraint('token_sha256', name=op.f('uq_sessoes_token_sha256'))
    )
    with op.batch_alter_table('sessoes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sessoes_usuario_id'), ['usuario_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sessoes_expira_em'), ['expira_em'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sessoes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sessoes_expira_em'))
        batch_op.drop_index(batch_op.f('ix_sessoes_usuario_id'))

    op.drop_table('sessoes')
