"""The audit trail on PostgreSQL and the application's restricted role (issue 14, finding 9): TRUNCATE is refused
even to the owner; the app's role works normally but cannot rewrite the audit trail or change the schema."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from beg_pipeline.db.models import Auditoria
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import autenticacao
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import Settings
from tests.builders import pessoa
from tests.instalacao.test_cli import run

SENHA_DO_PAPEL = "Senha#DoPapel-7731"
SO_POSTGRES = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _recusado(url: str, sql: str) -> str:
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as erro, engine.begin() as conn:
            conn.execute(text(sql))
        return str(erro.value.orig)
    finally:
        engine.dispose()


@pytest.fixture
def papel(database_url):
    """A role name unique to the test; dropped afterwards (roles belong to the whole cluster)."""
    nome = f"beg_app_{uuid.uuid4().hex[:8]}"
    yield nome
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": nome}).first():
            conn.execute(text(f'DROP OWNED BY "{nome}"'))
            conn.execute(text(f'DROP ROLE "{nome}"'))
    engine.dispose()


@SO_POSTGRES  # SQLite has no TRUNCATE; DELETE there is refused by the 0001 triggers
def test_truncate_of_the_audit_trail_is_refused_to_the_owner(ctx, database_url):
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    assert "somente inserção" in _recusado(database_url, "TRUNCATE auditoria")
    assert "somente inserção" in _recusado(database_url, "TRUNCATE auditoria CASCADE")
    with ctx.db.leitura() as s:
        assert s.scalar(select(func.count()).select_from(Auditoria)) == 1


@SO_POSTGRES
def test_the_app_role_works_but_cannot_rewrite_the_audit_trail(tmp_path, database_url, secret_key, papel):
    url_app = make_url(database_url).set(username=papel, password=None).render_as_string(hide_password=False)
    env = {"BEG_DATA_DIR": str(tmp_path / "data"), "BEG_DATABASE_URL": url_app,
           "BEG_DATABASE_URL_MIGRACOES": database_url}
    saida = run(env, "db", "papel-app", stdin=f"{SENHA_DO_PAPEL}\n")
    assert papel in saida.stdout and SENHA_DO_PAPEL not in saida.stdout + saida.stderr
    assert "atualizados" in run(env, "db", "upgrade").stdout  # the next migration re-grants
    dono = create_engine(database_url)
    with dono.connect() as conn:
        atributos = conn.execute(text("SELECT rolsuper, rolcreaterole, rolcreatedb, rolpassword FROM pg_authid "
                                      "WHERE rolname = :n"), {"n": papel}).one()
    dono.dispose()
    assert atributos[:3] == (False, False, False) and atributos[3].startswith("SCRAM-SHA-256$")

    ctx = Contexto(Settings(data_dir=tmp_path / "data", database_url=url_app, secret_key=secret_key, _env_file=None))
    try:  # ordinary work as the app role: create a user, log in (throttle upsert, audit insert), fail a login
        pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
        assert autenticacao.autenticar(ctx, "ap@beg.com.br", "senha-forte-123", ip="10.0.0.9").email == "ap@beg.com.br"
        with pytest.raises(autenticacao.LoginRecusado):
            autenticacao.autenticar(ctx, "ap@beg.com.br", "errada-errada-1", ip="10.0.0.9")
        with ctx.db.leitura() as s:
            assert s.scalar(select(func.count()).select_from(Auditoria)) == 3
    finally:
        ctx.db.dispose()
    assert "Backup gravado" in run(env, "db", "backup").stdout  # the daily backup (pg_dump) runs as the app role
    for sql in ("UPDATE auditoria SET acao = 'NADA'", "DELETE FROM auditoria", "TRUNCATE auditoria",
                "TRUNCATE processos", "ALTER TABLE processos ADD COLUMN x integer",
                "ALTER TABLE auditoria DISABLE TRIGGER ALL", "DROP TRIGGER auditoria_somente_insercao ON auditoria",
                "CREATE TABLE outra (id integer)", "UPDATE alembic_version SET version_num = 'x'"):
        motivo = _recusado(url_app, sql)
        assert "permission denied" in motivo or "must be owner" in motivo, (sql, motivo)


def test_the_app_role_command_explains_what_it_needs(tmp_path, database_url):
    env = {"BEG_DATA_DIR": str(tmp_path / "data"), "BEG_DATABASE_URL": database_url}
    sem_dono = run(env, "db", "papel-app", "--papel", "beg_app", "--sem-senha", ok=False)
    assert sem_dono.returncode == 2 and "BEG_DATABASE_URL_MIGRACOES" in sem_dono.stderr
    if database_url.startswith("sqlite"):
        sqlite = run({**env, "BEG_DATABASE_URL_MIGRACOES": database_url}, "db", "papel-app", "--sem-senha", ok=False)
        assert sqlite.returncode == 2 and "só existe no PostgreSQL" in sqlite.stderr
    invalido = run({**env, "BEG_DATABASE_URL_MIGRACOES": database_url}, "db", "papel-app", "--papel", 'x"; DROP',
                   "--sem-senha", ok=False)
    assert invalido.returncode == 2 and "Traceback" not in invalido.stderr
    assert ("nome de papel inválido" if database_url.startswith("postgresql") else "PostgreSQL") in invalido.stderr
