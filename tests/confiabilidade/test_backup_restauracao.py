"""Backup and restore of a database that has lived: a month through the pipeline under faults (failed attempts with
their JSON reasons, notifications, approvals, rejections, a manual upload, SAT uploads, the audit trail).

tests/servicos/test_manutencao.py::test_backup_restores_every_table proves the mechanism on a small database; here every
table is compared row by row after a real month, and a backup taken while people keep approving restores into a
database whose every process agrees with its own audit trail.
"""

from __future__ import annotations

import threading

import dagster as dg
from sqlalchemy import text

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.faturas import faturas
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.domain.processo import StatusProcesso, TransicaoInvalida
from beg_pipeline.services import aprovacoes, manutencao, processos, upload_manual
from beg_pipeline.services.contexto import Contexto, RegraViolada
from beg_pipeline.storage import object_store_from_settings
from tests.builders import mes_com_processos, pessoa, vistos
from tests.confiabilidade import figuras
from tests.confiabilidade.invariantes import backend
from tests.confiabilidade.test_escritores_concorrentes import _pdfs, _trilha_confere
from tests.confiabilidade.test_matriz_falhas import o_tempo_passa
from tests.instalacao.test_cli import dump
from tests.pipeline_fixtures import RAPIDO, recursos_para, simulador
from tests.servicos.test_manutencao import _banco_vazio

PARTICAO, MES = "2026-11-01", "11/2026"


def _um_mes_vivido(ctx) -> None:
    pids = [p.id for p in mes_com_processos(ctx, n_clientes=10)]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    operador = pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    store = object_store_from_settings(ctx.settings)
    with ctx.db.leitura() as s:
        cnpj = s.execute(text("SELECT cnpj FROM clientes ORDER BY cnpj LIMIT 1")).scalar()
    falhas = RAPIDO.model_copy(update={"taxa_arquivo_nao_pdf": 0.3,
                                       "credenciais_invalidas": {cnpj}})
    with simulador(falhas) as sim:
        assert dg.materialize([faturas], partition_key=PARTICAO, resources=recursos_para(sim)).success
        o_tempo_passa(sim)
        prontos = [p.id for p in processos.processos_do_mes(ctx, MES, StatusProcesso.AGUARDANDO_APROVACAO)]
        aprovacoes.rejeitar(ctx, aprovador, prontos[0], "fatura ilegível")
        aprovacoes.aprovar_em_lote(ctx, aprovador, prontos[1:], sha256=vistos(ctx, prontos[1:]))
        pendente = next(p for p in pids if processos.obter_processo(ctx, p).status_processo
                        == StatusProcesso.AGUARDANDO_DOWNLOAD.value)
        upload_manual.enviar_fatura_manual(ctx, operador, store, pendente, _pdfs()[0], "escaneada.pdf")
        assert dg.materialize([envios_sat], partition_key=PARTICAO, resources=recursos_para(sim)).success


def test_backup_of_a_lived_month_restores_every_row(ctx, pipeline_env, tmp_path, request):
    _um_mes_vivido(ctx)
    store = object_store_from_settings(ctx.settings)
    chave = manutencao.backup_banco(ctx, store)
    destino = _banco_vazio(ctx, tmp_path, request)
    manutencao.restaurar_banco(destino, store, chave)
    original, restaurado = dump(ctx.db.url), dump(destino)
    for tabela in ("processos", "execucoes", "auditoria", "notificacoes", "clientes", "usuarios"):
        assert original[tabela], f"{tabela} vazia: o mês não exercitou esta tabela"
    diferentes = sorted(t for t in original.keys() | restaurado.keys() if original.get(t) != restaurado.get(t))
    figuras.registrar("backup_restauracao", "mes_vivido", backend=backend(ctx), tabelas=len(original),
                      linhas=sum(len(v) for v in original.values()), tabelas_diferentes=len(diferentes),
                      bytes_backup=store.stat(chave).size)
    assert not diferentes, diferentes
    if ctx.db.is_sqlite:
        restaurada = Contexto(ctx.settings.model_copy(update={"database_url": destino}))
        with restaurada.db.leitura() as s:
            assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        restaurada.db.dispose()


def test_backup_taken_while_people_work_is_consistent(ctx, pipeline_env, tmp_path, request):
    _um_mes_vivido(ctx)
    aprovador = pessoa(ctx, Perfil.APROVADOR, "outro.aprovador@beg.com.br")
    operador = pessoa(ctx, Perfil.OPERADOR, "outro.operador@beg.com.br")
    store = object_store_from_settings(ctx.settings)
    pdf = _pdfs()[1]
    parar, decisoes, erros = threading.Event(), [], []

    def enviar_e_rejeitar():  # upload → reject → upload … on every process it can, until told to stop
        outro = Contexto(ctx.settings)
        try:
            while not parar.is_set():
                for p in processos.processos_do_mes(outro, MES):
                    try:
                        if p.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value:
                            upload_manual.enviar_fatura_manual(outro, operador, store, p.id, pdf, "x.pdf")
                        elif p.status_processo == StatusProcesso.AGUARDANDO_APROVACAO.value:
                            aprovacoes.rejeitar(outro, aprovador, p.id, "de novo, para o teste")
                        else:
                            continue
                        decisoes.append(p.id)
                    except (TransicaoInvalida, RegraViolada):
                        pass
        except Exception as exc:  # noqa: BLE001
            erros.append(repr(exc))
        finally:
            outro.db.dispose()

    escritor = threading.Thread(target=enviar_e_rejeitar)
    escritor.start()
    chaves = []
    try:
        for _ in range(30):  # three backups during which the writer committed something
            antes = len(decisoes)
            chave = manutencao.backup_banco(ctx, store)
            if len(decisoes) > antes:
                chaves.append(chave)
            if len(chaves) == 3 or erros:
                break
    finally:
        parar.set()
        escritor.join(60)
    assert not erros, erros
    assert len(chaves) == 3, f"só {len(chaves)} backups concorrentes com escritas"
    for n, chave in enumerate(chaves):
        pasta = tmp_path / f"restaurado{n}"
        pasta.mkdir()
        destino = _banco_vazio(ctx, pasta, request)
        manutencao.restaurar_banco(destino, store, chave)
        restaurada = Contexto(ctx.settings.model_copy(update={"database_url": destino}))
        try:
            transicoes, problemas = _trilha_confere(restaurada)
        finally:
            restaurada.db.dispose()
        assert transicoes > 0 and not problemas, problemas[:5]
    figuras.registrar("backup_restauracao", "backup_durante_escritas", backend=backend(ctx), backups=len(chaves),
                      escritas_durante=len(decisoes), restauracoes_inconsistentes=0)
