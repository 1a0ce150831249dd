"""legado: mapping of imported legacy rows; hash_unico wide enough for the legacy's 50-character hashes

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

import beg_pipeline.db.models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "legado_mapeamento",
        sa.Column("tabela", sa.String(length=30), nullable=False),
        sa.Column("id_legado", sa.String(length=64), nullable=False),
        sa.Column("id_novo", sa.String(length=64), nullable=False),
        sa.Column("hash_da_linha", sa.String(length=64), nullable=False,
                  comment="SHA-256 of the legacy row as last imported"),
        sa.Column("hash_gravado", sa.String(length=64), nullable=True,
                  comment="SHA-256 of the new row as the import wrote it"),
        sa.Column("data_importacao", beg_pipeline.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tabela", "id_legado", name=op.f("pk_legado_mapeamento")),
    )
    with op.batch_alter_table("legado_mapeamento", schema=None) as batch_op:
        batch_op.create_index("ix_legado_mapeamento_tabela_id_novo", ["tabela", "id_novo"], unique=False)
    _largura_hash_unico(32, 64)


def downgrade() -> None:
    _largura_hash_unico(64, 32)
    op.drop_table("legado_mapeamento")


def _largura_hash_unico(de: int, para: int) -> None:
    """SQLite ignores VARCHAR lengths, and a batch copy of ``clientes`` would trip the foreign keys of ``processos``."""
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("clientes", "hash_unico", existing_type=sa.String(length=de), type_=sa.String(length=para),
                    existing_nullable=True)
