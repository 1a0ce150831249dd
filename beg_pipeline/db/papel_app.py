"""The restricted PostgreSQL role the application connects as (``beg db papel-app``).

Migrations and restores run as the tables' owner (``BEG_DATABASE_URL_MIGRACOES``); the application, Dagster and the
CLI's daily work run as this role (``BEG_DATABASE_URL``): it reads and writes rows, only inserts into ``auditoria``,
and cannot ALTER, TRUNCATE or drop triggers, since it owns nothing.
"""

from __future__ import annotations

import re

from psycopg2.extensions import encrypt_password
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, make_url

from beg_pipeline.db.engine import criar_engine
from beg_pipeline.db.models import Base

NOME_VALIDO = re.compile(r"[a-z_][a-z0-9_]{0,62}")
SOMENTE_INSERCAO = ("auditoria",)
SOMENTE_LEITURA = ("alembic_version",)


class PapelInvalido(ValueError):
    """The role cannot be set up (bad name, not PostgreSQL, or the same user as the owner)."""


def validar_nome(papel: str | None) -> None:
    if not NOME_VALIDO.fullmatch(papel or ""):
        raise PapelInvalido(f"nome de papel inválido: {papel!r} (use letras minúsculas, dígitos e _, até 63 "
                            f"caracteres; com --papel ou como usuário em BEG_DATABASE_URL)")


def configurar_papel(url_dono: str, papel: str, senha: str | None = None) -> None:
    """Create the role if missing (LOGIN, nothing else), set its password if given, and grant its privileges."""
    engine = _engine_do_dono(url_dono, papel)
    try:
        with engine.begin() as conn:
            existe = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :papel"), {"papel": papel}).first()
            acao = "ALTER" if existe else "CREATE"
            conn.execute(text(f'{acao} ROLE "{papel}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS'))
            if senha:  # sent already hashed (SCRAM): the plain password never reaches the server's statement log
                verificador = encrypt_password(senha, papel, conn.connection.dbapi_connection, "scram-sha-256")
                conn.exec_driver_sql(f'ALTER ROLE "{papel}" PASSWORD %s', (verificador,))
            _conceder(conn, papel)
    finally:
        engine.dispose()


def conceder_privilegios(url_dono: str, papel: str) -> None:
    """Grant the role what the application needs on every current table (run after each migration)."""
    engine = _engine_do_dono(url_dono, papel)
    try:
        with engine.begin() as conn:
            _conceder(conn, papel)
    finally:
        engine.dispose()


def _engine_do_dono(url_dono: str, papel: str) -> Engine:
    url = make_url(url_dono)
    if url.get_backend_name() != "postgresql":
        raise PapelInvalido("o papel restrito só existe no PostgreSQL (no SQLite, proteja o arquivo do banco)")
    validar_nome(papel)
    if url.username == papel:
        raise PapelInvalido(f"o papel {papel!r} é o dono das tabelas: escolha outro nome para o aplicativo")
    return criar_engine(url_dono)


def _conceder(conn: Connection, papel: str) -> None:
    banco = conn.execute(text("SELECT current_database()")).scalar_one()
    esquema = conn.execute(text("SELECT current_schema()")).scalar_one()
    existentes = set(conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :e"), {"e": esquema})
                     .scalars())
    tabelas = sorted(existentes & {*Base.metadata.tables, *SOMENTE_LEITURA})  # never Dagster's tables, if it shares
    conn.execute(text(f'GRANT CONNECT ON DATABASE "{banco}" TO "{papel}"'))
    conn.execute(text(f'GRANT USAGE ON SCHEMA "{esquema}" TO "{papel}"'))
    for tabela in tabelas:
        if tabela in SOMENTE_INSERCAO:
            privilegios = "SELECT, INSERT"
        elif tabela in SOMENTE_LEITURA:
            privilegios = "SELECT"
        else:
            privilegios = "SELECT, INSERT, UPDATE, DELETE"
        conn.execute(text(f'REVOKE ALL ON TABLE "{esquema}"."{tabela}" FROM "{papel}"'))
        conn.execute(text(f'GRANT {privilegios} ON TABLE "{esquema}"."{tabela}" TO "{papel}"'))
    sequencias = conn.execute(text(
        "SELECT DISTINCT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid "
        "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE s.relkind = 'S' AND n.nspname = :e AND t.relname = ANY(:tabelas)"), {"e": esquema, "tabelas": tabelas})
    for sequencia in sequencias.scalars().all():  # auditoria.id
        conn.execute(text(f'GRANT USAGE, SELECT ON SEQUENCE "{esquema}"."{sequencia}" TO "{papel}"'))
