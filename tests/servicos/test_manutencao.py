"""Backups restore every table; old robot logs are archived before they are trimmed."""

import datetime as dt
import json
import uuid

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from beg_pipeline.db.models import Execucao
from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA
from beg_pipeline.services import manutencao, processos, rodada_robos
from beg_pipeline.storage import object_store_from_settings
from tests.builders import baixar, mes_com_processos
from tests.conftest import POSTGRES_URL
from tests.instalacao.test_cli import dump


def _banco_vazio(ctx, tmp_path, request) -> str:
    if ctx.db.is_sqlite:
        return f"sqlite:///{tmp_path / 'restaurado.db'}"
    nome = f"beg_r_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{nome}"'))

    def apagar():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{nome}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(apagar)
    return make_url(POSTGRES_URL).set(database=nome).render_as_string(hide_password=False)


def test_backup_restores_every_table(ctx, tmp_path, request):
    procs = mes_com_processos(ctx, n_clientes=5)
    baixar(ctx, procs[0].id)
    store = object_store_from_settings(ctx.settings)
    chave = manutencao.backup_banco(ctx, store)
    assert chave.startswith("backups/") and store.stat(chave).size > 0
    destino = _banco_vazio(ctx, tmp_path, request)
    manutencao.restaurar_banco(destino, store, chave)
    original = dump(ctx.db.url)
    assert original["processos"] and original["auditoria"]
    assert dump(destino) == original


def test_old_logs_are_archived_then_trimmed(ctx):
    [p] = mes_com_processos(ctx, n_clientes=1)
    execucao = processos.abrir_execucao(ctx, SISTEMA, p.id, TipoExecucao.DOWNLOAD_FATURA)
    rodada_robos.registrar_rodada(ctx, logs={execucao.id: "Login no portal"})
    rodada_robos.registrar_rodada(ctx, logs={execucao.id: "Buscando fatura"})
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, "erro 500", ClasseFalha.TRANSITORIA)
    store = object_store_from_settings(ctx.settings)
    assert manutencao.arquivar_logs_antigos(ctx, store, dias=180) == 0
    daqui_a_um_ano = dt.datetime.now(dt.UTC) + dt.timedelta(days=365)
    assert manutencao.arquivar_logs_antigos(ctx, store, dias=180, momento=daqui_a_um_ano) == 1
    [arquivo] = store.list("arquivo-logs/")
    registro = json.loads(store.get(arquivo))
    assert registro["log"] == "Login no portal\nBuscando fatura" and registro["execucao_id"] == str(execucao.id)
    with ctx.db.leitura() as s:
        assert s.scalar(select(Execucao.mensagem_log)) is None
