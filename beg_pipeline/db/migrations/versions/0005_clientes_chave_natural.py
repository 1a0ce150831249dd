"""notificacoes.chave: one notification per account and cause (e.g. an account without portal credentials)

The client natural key needs no schema change: an empty FILTRO is stored as "" (like unidade and servico), so the
existing UNIQUE(cnpj, operadora_id, filtro, unidade, servico) keeps rows without filtro unique.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('notificacoes', sa.Column('chave', sa.String(length=200), nullable=True,
                                            comment='de-duplication key: one notification per key'))
    op.create_index('uq_notificacoes_chave', 'notificacoes', ['chave'], unique=True)


def downgrade() -> None:
    op.drop_index('uq_notificacoes_chave', table_name='notificacoes')
    with op.batch_alter_table('notificacoes') as batch_op:
        batch_op.drop_column('chave')
