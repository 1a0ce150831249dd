"""``beg legado importar`` against a legacy-shaped database built from schema.md (tests/legado_fixture.py)."""

from __future__ import annotations

import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from minio import Minio
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from beg_pipeline.cli import cli
from beg_pipeline.db.models import Auditoria, Cliente, Execucao, LegadoMapeamento, Operadora, Processo, Usuario
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import aprovacoes
from beg_pipeline.services.autenticacao import LoginRecusado, autenticar
from beg_pipeline.storage import object_store_from_settings
from tests.builders import pessoa
from tests.conftest import POSTGRES_URL
from tests.legado_fixture import CANARIO, CANONICO, SENHA_LOGIN, LegadoFicticio
from tests.s3_server import running_s3_server


@pytest.fixture
def legado_pg(request, tmp_path):
    """A legacy PostgreSQL database (CREATE DATABASE per test), filled by ``LegadoFicticio``."""
    if not POSTGRES_URL:
        pytest.skip("BEG_TEST_POSTGRES_URL not set: the legacy PostgreSQL database needs it")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    nome = f"legado_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{nome}"'))
    url = make_url(POSTGRES_URL).set(database=nome).render_as_string(hide_password=False)
    criados = []

    def criar(job_em_voo: str | None = None) -> LegadoFicticio:
        legado = LegadoFicticio(url, tmp_path / "bucket-beg", job_em_voo=job_em_voo).criar()
        criados.append(legado)
        return legado

    yield criar
    for legado in criados:
        legado.fechar()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{nome}" WITH (FORCE)'))
    admin.dispose()


def importar(settings, legado: LegadoFicticio, *extra: str):
    env = {"BEG_DATA_DIR": str(settings.data_dir), "BEG_DATABASE_URL": settings.resolved_database_url,
           "BEG_SECRET_KEY": settings.secret_key.get_secret_value()}
    return CliRunner().invoke(cli, ["legado", "importar", "--url", legado.url, "--pdfs", str(legado.pasta_pdfs),
                                    *extra], env=env, catch_exceptions=False)


def _importavel(legado: LegadoFicticio, pid: str) -> bool:
    linha = next(p for p in legado.processos if p["id"] == pid)
    return linha["cliente_id"] != legado.ids["c/curto"] and linha["status_processo"] != "STATUS_ESTRANHO"


def _contagens(ctx) -> dict[str, int]:
    with ctx.db.leitura() as s:
        return {m.__tablename__: s.scalar(select(func.count()).select_from(m))
                for m in (Usuario, Cliente, Processo, Execucao, Auditoria, LegadoMapeamento)}


def _esperado(legado: LegadoFicticio) -> tuple[Counter, dict[str, Decimal]]:
    """Statuses and monthly sums the legacy's importable processes must have in the new system."""
    importaveis = {legado.ids[c] for c in ("c/oi", "c/vivo", "c/emb", "c/dig", "c/azu", "c/net")}
    status, somas = Counter(), Counter()
    for p in legado.processos:
        if p["cliente_id"] not in importaveis or p["status_processo"] == "STATUS_ESTRANHO":
            continue
        bruto = p["status_processo"]
        status[CANONICO.get(bruto) or ("AGUARDANDO_ENVIO_SAT" if p["aprovado_por_usuario_id"] else
                                       "AGUARDANDO_DOWNLOAD")] += 1
        somas[p["mes_ano"]] += p["valor_fatura"] or Decimal("0")
    return status, dict(somas)


def _verificar_importacao(ctx, legado: LegadoFicticio) -> None:
    status, somas = _esperado(legado)
    with ctx.db.leitura() as s:
        novos = s.execute(select(Processo.status_processo, Processo.mes_ano, Processo.valor_fatura)).all()
        assert Counter(r.status_processo for r in novos) == status
        somas_novas = Counter()
        for r in novos:
            somas_novas[r.mes_ano] += r.valor_fatura or Decimal("0")
        assert dict(somas_novas) == somas
        assert len({r.mes_ano for r in novos}) >= 12
        # approvers kept: every legacy approver uuid became the merged user's id
        aprovador = s.scalar(select(Usuario.id).where(Usuario.email == "aprovador@beg.com.br"))
        com_aprovador = [p["id"] for p in legado.processos if p["aprovado_por_usuario_id"]
                         and p["status_processo"] != "STATUS_ESTRANHO"
                         and p["cliente_id"] != legado.ids["c/curto"]]
        assert com_aprovador
        assert set(s.scalars(select(Processo.aprovado_por_usuario_id)
                             .where(Processo.id.in_([uuid.UUID(i) for i in com_aprovador])))) == {aprovador}
        # every PDF present in the bucket copy is stored under a new key with its SHA-256
        store = object_store_from_settings(ctx.settings)
        for pid, dados in legado.pdfs_gravados.items():
            processo = s.get(Processo, uuid.UUID(pid))
            if processo is None:
                continue  # its client was rejected
            assert processo.fatura_s3_key.startswith("faturas/")
            assert store.get(processo.fatura_s3_key) == dados
            assert store.stat(processo.fatura_s3_key).sha256 == processo.fatura_sha256
        for pid in legado.pdfs_ausentes:
            processo = s.get(Processo, uuid.UUID(pid))
            assert processo is None or processo.fatura_sha256 is None
        for pid, data in legado.vencimentos_trocados.items():
            processo = s.get(Processo, uuid.UUID(pid))
            assert processo is None or processo.data_vencimento == data
        # attempts unique, at most one EXECUTANDO per process and type, one audit row per imported object
        tentativas = s.execute(select(Execucao.processo_id, Execucao.tipo_execucao, Execucao.numero_tentativa)).all()
        assert len(tentativas) == len(set(tentativas))
        auditados = s.scalar(select(func.count()).select_from(Auditoria).where(Auditoria.acao == "IMPORTAR_LEGADO"))
        assert auditados >= s.scalar(select(func.count()).select_from(Processo)) + len(tentativas)


def test_import_reconciles_is_idempotent_and_incremental(settings, ctx, legado_pg):
    legado = legado_pg()
    simulacao = importar(settings, legado, "--dry-run")
    assert simulacao.exit_code == 0, simulacao.output
    assert "Simulação" in simulacao.output and "Reconciliação confere" in simulacao.output
    assert _contagens(ctx) == dict.fromkeys(_contagens(ctx), 0)  # the dry run wrote nothing
    assert object_store_from_settings(settings).list("") == []

    primeira = importar(settings, legado)
    assert primeira.exit_code == 0, primeira.output
    _verificar_importacao(ctx, legado)
    for dirty in ("STATUS_ESTRANHO", "CNPJ '1234567'", "PDF ausente na cópia do bucket", "dia e mês trocados",
                  "só existe em users", "não tem conta de login", "pseudo-operadora SAT", "EXECUTANDO abandonada",
                  "numero_tentativa renumerado", "sem aprovador no legado", "conta sem e-mail", "outro bucket",
                  "não é um objeto do bucket", "repetido (maiúsculas/minúsculas)"):
        assert dirty in primeira.output, dirty
    ausentes = [chave for pid, chave in legado.pdfs_ausentes.items() if _importavel(legado, pid)]
    assert ausentes and all(f"{pid}: PDF ausente na cópia do bucket: {chave}" in primeira.output
                            for pid, chave in legado.pdfs_ausentes.items() if _importavel(legado, pid))
    store = object_store_from_settings(settings)
    relatorios = store.list("legado/")
    assert any(k.endswith("reconciliacao.csv") for k in relatorios)
    csv_texto = store.get(next(k for k in relatorios if k.endswith("reconciliacao.csv"))).decode("utf-8-sig")
    assert "processos,status,UPLOAD_REALIZADO" in csv_texto and "NÃO" not in csv_texto

    antes = _contagens(ctx)
    segunda = importar(settings, legado)
    assert segunda.exit_code == 0, segunda.output
    depois = _contagens(ctx)
    assert depois == antes  # a second run changes nothing (not even the audit trail)
    assert "criados" not in segunda.output.split("Valores convertidos")[0]

    novo = legado.adicionar_processo()
    terceira = importar(settings, legado)
    assert terceira.exit_code == 0, terceira.output
    with ctx.db.leitura() as s:
        chegou = s.get(Processo, uuid.UUID(novo))
    assert chegou.status_processo == "AGUARDANDO_DOWNLOAD" and chegou.valor_fatura == Decimal("321.09")
    assert _contagens(ctx)["processos"] == antes["processos"] + 1


def test_canary_password_never_in_plaintext(settings, ctx, legado_pg, tmp_path):
    legado = legado_pg()
    resultado = importar(settings, legado)
    assert resultado.exit_code == 0, resultado.output
    assert CANARIO not in resultado.output and "eyJ-token-do-robo" not in resultado.output
    with ctx.db.leitura() as s:
        cifrada = s.scalar(select(Cliente.senha_portal).where(Cliente.senha_portal.is_not(None)).limit(1))
    assert cifrada and CANARIO not in cifrada
    ctx.db.dispose()
    for arquivo in Path(settings.data_dir).rglob("*"):
        if arquivo.is_file():
            conteudo = arquivo.read_bytes()
            assert CANARIO.encode() not in conteudo, arquivo
            assert b"gho_token_secreto" not in conteudo and b"eyJ-token-do-robo" not in conteudo, arquivo
    if ctx.db.is_sqlite:
        banco = Path(make_url(settings.resolved_database_url).database)
        for arquivo in banco.parent.glob(banco.name + "*"):
            assert CANARIO.encode() not in arquivo.read_bytes()
    else:
        with ctx.db.leitura() as s:
            despejo = " ".join(str(v) for tabela in ("clientes", "execucoes", "auditoria", "legado_mapeamento")
                               for linha in s.execute(text(f"SELECT * FROM {tabela}")) for v in linha)
        assert CANARIO not in despejo
    # the portal password still works for the robot: it decrypts to the legacy value
    with ctx.db.leitura() as s:
        cliente = s.scalar(select(Cliente).where(Cliente.login_portal == "acme"))
    assert ctx.cofre.decifrar(cliente.senha_portal) == CANARIO


def test_sqlite_legacy_with_integer_ids_and_missing_late_columns(settings, ctx, tmp_path):
    legado = LegadoFicticio(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "bucket", sqlite=True,
                            tardias=False).criar()
    try:
        resultado = importar(settings, legado)
        assert resultado.exit_code == 0, resultado.output
        assert "colunas ausentes no legado" in resultado.output and "fatura_s3_key" in resultado.output
        assert "gravado como users.id inteiro" in resultado.output
        status, _ = _esperado(legado)
        with ctx.db.leitura() as s:
            assert Counter(s.scalars(select(Processo.status_processo))) == status
            admin = s.scalar(select(Usuario.id).where(Usuario.email == "admin@beg.com.br"))
            # approvers written as the integer users.id "1" resolve to that login's user
            inteiros = [uuid.UUID(p["id"]) for p in legado.processos if p["aprovado_por_usuario_id"] == "1"
                        and p["cliente_id"] != legado.ids["c/curto"] and p["status_processo"] != "STATUS_ESTRANHO"]
            assert inteiros and set(s.scalars(select(Processo.aprovado_por_usuario_id)
                                              .where(Processo.id.in_(inteiros)))) == {admin}
            criado = s.scalar(select(Processo.data_criacao).where(Processo.id == inteiros[0]))
        with legado.engine.connect() as conn:  # the legacy's creation time is kept (SQLite's now() is UTC)
            original = conn.execute(text("SELECT data_criacao FROM processos WHERE id = :i"),
                                    {"i": str(inteiros[0])}).scalar_one()
        assert criado.replace(tzinfo=None).isoformat(" ").startswith(str(original)[:19])
        assert importar(settings, legado).exit_code == 0
        # the dev database's werkzeug hash (usuarios.password_hash) is accepted once, then argon2id
        assert autenticar(ctx, "operador@beg.com.br", SENHA_LOGIN).perfil.value == "OPERADOR"
        with ctx.db.leitura() as s:
            assert s.scalar(select(Usuario.senha_hash).where(Usuario.email == "operador@beg.com.br")).startswith(
                "$argon2id$")
    finally:
        legado.fechar()


def test_legacy_login_password_accepted_once_then_argon2(settings, ctx, legado_pg):
    legado = legado_pg()
    assert importar(settings, legado).exit_code == 0
    with pytest.raises(LoginRecusado):
        autenticar(ctx, "admin@beg.com.br", "senha-errada")
    ator = autenticar(ctx, "Admin@BEG.com.br", SENHA_LOGIN)
    assert ator.perfil.value == "ADMINISTRADOR"
    with ctx.db.leitura() as s:
        senha_hash = s.scalar(select(Usuario.senha_hash).where(Usuario.email == "admin@beg.com.br"))
        inativo = s.scalar(select(Usuario.status_ativo).where(Usuario.email == "curioso@gmail.com"))
    assert senha_hash.startswith("$argon2id$")
    assert autenticar(ctx, "admin@beg.com.br", SENHA_LOGIN).usuario_id == ator.usuario_id
    assert inativo is False  # self-registered account: imported, inactive until an admin says otherwise


def test_changes_on_both_sides_keep_the_new_system_and_disagreement_exits_non_zero(settings, ctx, legado_pg):
    legado = legado_pg()
    assert importar(settings, legado).exit_code == 0
    with ctx.db.leitura() as s:
        em_aprovacao = s.scalars(select(Processo.id).where(Processo.status_processo == "AGUARDANDO_APROVACAO")
                                 .order_by(Processo.id).limit(2)).all()
    alterado_nos_dois, so_no_legado = (str(p) for p in em_aprovacao)
    aprovacoes.rejeitar(ctx, pessoa(ctx, Perfil.APROVADOR, "novo@beg.com.br"), uuid.UUID(alterado_nos_dois),
                       "fatura de outro cliente")
    with legado.engine.begin() as conn:  # the legacy changes both rows meanwhile
        conn.execute(text("UPDATE processos SET valor_fatura = 999.99 WHERE id IN (:a, :b)"),
                     {"a": alterado_nos_dois, "b": so_no_legado})
    resultado = importar(settings, legado)
    assert resultado.exit_code == 0, resultado.output
    assert f"processos {alterado_nos_dois}: alterado no legado e no sistema novo" in resultado.output
    with ctx.db.leitura() as s:
        mantido, chegou = s.get(Processo, uuid.UUID(alterado_nos_dois)), s.get(Processo, uuid.UUID(so_no_legado))
    assert mantido.status_processo == "AGUARDANDO_DOWNLOAD" and mantido.valor_fatura != Decimal("999.99")
    assert chegou.valor_fatura == Decimal("999.99") and chegou.status_processo == "AGUARDANDO_APROVACAO"

    with ctx.db.leitura() as s:  # an imported PDF lost from the store: the reconciliation must fail
        perdida = s.scalar(select(Processo.fatura_s3_key).where(Processo.fatura_s3_key.is_not(None),
                                                                Processo.id != mantido.id).limit(1))
    object_store_from_settings(settings).delete(perdida)
    falha = importar(settings, legado)
    assert falha.exit_code == 1
    assert "pdfs       total" in falha.output and "NÃO confere" in falha.output


def test_pdfs_read_from_the_live_legacy_bucket(settings, ctx, tmp_path):
    legado = LegadoFicticio(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "copia", sqlite=True).criar()
    with running_s3_server() as endpoint:
        cliente = Minio(endpoint, access_key="legado", secret_key="segredo-do-bucket", secure=False,
                        region="us-east-1")
        cliente.make_bucket("beg-legado")
        for arquivo in legado.pasta_pdfs.rglob("*.pdf"):
            cliente.fput_object("beg-legado", arquivo.relative_to(legado.pasta_pdfs).as_posix(), str(arquivo))
        env = {"BEG_DATA_DIR": str(settings.data_dir), "BEG_DATABASE_URL": settings.resolved_database_url,
               "BEG_SECRET_KEY": settings.secret_key.get_secret_value(), "BEG_LEGADO_S3_ENDPOINT": endpoint,
               "BEG_LEGADO_S3_ACCESS_KEY": "legado", "BEG_LEGADO_S3_SECRET_KEY": "segredo-do-bucket",
               "BEG_LEGADO_S3_BUCKET": "beg-legado"}
        resultado = CliRunner().invoke(cli, ["legado", "importar", "--url", legado.url], env=env,
                                       catch_exceptions=False)
        legado.fechar()
    assert resultado.exit_code == 0, resultado.output
    assert "segredo-do-bucket" not in resultado.output
    store = object_store_from_settings(settings)
    with ctx.db.leitura() as s:
        for pid, dados in legado.pdfs_gravados.items():
            processo = s.get(Processo, uuid.UUID(pid))
            if processo is not None:
                assert store.get(processo.fatura_s3_key) == dados


def test_clear_errors_for_an_unmigrated_target_or_a_bad_url(tmp_path, secret_key):
    env = {"BEG_DATA_DIR": str(tmp_path / "dados"), "BEG_SECRET_KEY": secret_key}
    legado = LegadoFicticio(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "pasta", sqlite=True).criar()
    legado.fechar()
    sem_migracao = CliRunner().invoke(cli, ["legado", "importar", "--url", legado.url, "--pdfs",
                                            str(tmp_path / "pasta")], env=env)
    assert sem_migracao.exit_code == 2 and "beg db upgrade" in sem_migracao.output
    inexistente = CliRunner().invoke(cli, ["legado", "importar", "--url", f"sqlite:///{tmp_path / 'nada.db'}",
                                           "--pdfs", str(tmp_path / "pasta")], env=env)
    assert inexistente.exit_code == 2 and "não existe" in inexistente.output
    assert not (tmp_path / "nada.db").exists()
    url_ruim = CliRunner().invoke(cli, ["legado", "importar", "--url", "mysql://u:senha-secreta@h/db", "--pdfs",
                                        str(tmp_path / "pasta")], env=env)
    assert url_ruim.exit_code == 2 and "--url inválida" in url_ruim.output
    assert "senha-secreta" not in url_ruim.output


def test_a_row_the_database_refuses_is_reported_and_the_run_goes_on(settings, ctx, tmp_path):
    with ctx.db.transacao() as s:  # the new system already has a carrier named like the legacy's OI
        s.add(Operadora(nome="Oi", codigo="OI_MOVEL", possui_rpa=False))
    legado = LegadoFicticio(f"sqlite:///{tmp_path / 'db.sqlite3'}", tmp_path / "bucket", sqlite=True).criar()
    legado.fechar()
    resultado = importar(settings, legado)
    assert resultado.exit_code == 0, resultado.output
    assert f"[REJEITADO] operadoras {legado.ids['op/OI']}: o banco recusou a linha" in resultado.output
    assert f"[REJEITADO] clientes {legado.ids['c/oi']}: operadora do cliente não foi importada" in resultado.output
    with ctx.db.leitura() as s:
        assert s.scalar(select(func.count()).select_from(Cliente)) == 5  # the other carriers' clients arrived
