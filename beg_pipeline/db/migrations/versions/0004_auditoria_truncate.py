"""auditoria: TRUNCATE recusado

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 07:00:00

UPDATE and DELETE on ``auditoria`` are refused by row triggers (0001); PostgreSQL's TRUNCATE fires no row
trigger, so a statement trigger refuses it too. SQLite has no TRUNCATE (``DELETE`` without WHERE is refused).
The table owner can still drop triggers: the application connects as a restricted role (``beg db papel-app``).
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""CREATE TRIGGER auditoria_sem_truncate BEFORE TRUNCATE ON auditoria
                      FOR EACH STATEMENT EXECUTE FUNCTION auditoria_somente_insercao()""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS auditoria_sem_truncate ON auditoria")
