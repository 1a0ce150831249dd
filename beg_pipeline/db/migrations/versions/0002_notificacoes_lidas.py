"""notificacoes lidas

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 01:48:25.411627
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('notificacoes_lidas',
    sa.Column('notificacao_id', sa.Uuid(), nullable=False),
    sa.Column('usuario_id', sa.Uuid(), nullable=False),
    sa.Column('data_leitura', beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['notificacao_id'], ['notificacoes.id'], name=op.f('fk_notificacoes_lidas_notificacao_id_notificacoes')),
    sa.ForeignKeyConstraint(['usuario_id'], ['usuarios.id'], name=op.f('fk_notificacoes_lidas_usuario_id_usuarios')),
    sa.PrimaryKeyConstraint('notificacao_id', 'usuario_id', name=op.f('pk_notificacoes_lidas'))
    )


def downgrade() -> None:
    op.drop_table('notificacoes_lidas')
