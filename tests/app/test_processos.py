"""Processos pages: the paged list with 10,000 rows, the detail (fields, PDF, executions and logs, audit), retry."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.services import aprovacoes, auditoria, processos, rodada_robos
from beg_pipeline.services.demo import csv_demo
from beg_pipeline.services.importacao_clientes import importar_clientes
from tests.app_fixtures import (
    baixar_fatura,
    botao,
    campo,
    entrar,
    ir,
    mensagens,
    rotulos,
    textos,
)
from tests.builders import ADMIN, mes_com_processos, pessoa, visto


def test_list_stays_responsive_with_10000_processes(ctx, app_env):
    mes_com_processos(ctx, n_clientes=1)
    importar_clientes(ctx, ADMIN, csv_demo(1000))
    for mes in range(1, 11):
        processos.criar_processos_do_mes(ctx, SISTEMA, f"{mes:02d}/2026")
    pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    at = entrar("operador@beg.com.br")
    inicio = time.perf_counter()
    ir(at, "processos")
    assert time.perf_counter() - inicio < 5
    assert len(at.dataframe[0].value) == 50
    assert "10001 processo(s) · página 1 de 201" in textos(at)

    campo(at, "Página").set_value(3).run()
    assert "página 3 de 201" in textos(at) and len(at.dataframe[0].value) == 50
    campo(at, "Buscar").input("RICAL RACK INDUSTRIA 01").run()
    assert "página 1 de" in textos(at)
    assert set(at.dataframe[0].value["Cliente"]) == {"RICAL RACK INDUSTRIA 01 LTDA"}
    campo(at, "Mês").set_value("11/2026").run()
    assert len(at.dataframe[0].value) == 1
    campo(at, "Situação").set_value("UPLOAD_REALIZADO").run()
    assert "Nenhum processo encontrado." in textos(at)


def test_a_row_opens_the_detail_with_fields_pdf_executions_and_audit(ctx, store, app_env):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    baixar_fatura(ctx, store, processo, Decimal("1234.56"), dt.date(2026, 12, 10))
    aprovacoes.aprovar(ctx, aprovador, processo.id, sha256=visto(ctx, processo.id))
    at = ir(entrar("aprovador@beg.com.br"), "processos")
    tabela = at.dataframe[0]
    at.session_state[tabela.key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert at.title[0].value == processo.cliente.razao_social
    metricas = {m.label: m.value for m in at.metric}
    assert metricas == {"Valor": "R$ 1.234,56", "Vencimento": "10/12/2026", "Tentativas de download": "1"}
    assert "Aguardando envio ao SAT" in textos(at)
    campos = dict(zip(*at.dataframe[0].value.T.values, strict=True))
    assert campos["Aprovada por"] == "aprovador@beg.com.br" and campos["Conta (filtro)"] == processo.cliente.filtro
    assert [t.label for t in at.tabs] == ["Dados", "Fatura (PDF)", "Execuções (1)", "Auditoria (2)"]
    assert "Baixar PDF" in [b.label for b in at.get("download_button")]
    assert "fatura encontrada e baixada" in at.code[0].value
    assert list(at.dataframe[1].value["Ação"]) == ["DOWNLOAD_CONCLUIDO", "APROVAR"]
    assert "Liberar nova tentativa de download" not in rotulos(at)


def test_operador_sends_a_failed_process_back_for_a_new_download(ctx, store, app_env):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    rodada_robos.registrar_rodada(ctx, logs={execucao.id: "portal: usuário ou senha inválidos"})
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, "senha do portal recusada",
                              ClasseFalha.CREDENCIAIS)

    aprovador = ir(entrar("aprovador@beg.com.br"), "processo_detalhe", id=str(processo.id))
    assert "Liberar nova tentativa de download" not in rotulos(aprovador)
    at = ir(entrar("operador@beg.com.br"), "processo_detalhe", id=str(processo.id))
    assert "senha do portal recusada" in mensagens(at, "error")
    assert "portal: usuário ou senha inválidos" in at.code[0].value
    botao(at, "Liberar nova tentativa de download").click().run()
    assert any("Tentativas zeradas" in m for m in mensagens(at, "success"))
    atual = processos.obter_processo(ctx, processo.id)
    assert (atual.tentativas_download, atual.classe_ultima_falha) == (0, None)
    with ctx.db.leitura() as s:
        assert auditoria.trilha_do_processo(s, processo.id)[-1].acao == "LIBERAR_NOVA_TENTATIVA"

    botao(at, "Enviar o PDF manualmente").click().run()
    assert at.title[0].value == "Upload manual de fatura"
    assert campo(at, "Processo aguardando download").value == processo.id


def test_unknown_process_id_shows_a_hint(ctx, app_env):
    pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    at = ir(entrar("operador@beg.com.br"), "processo_detalhe", id="nao-e-um-uuid")
    assert "Escolha um processo na lista de processos." in mensagens(at, "info")


def test_detail_shows_the_sat_protocol_readable_audit_details_and_robot_log_in_local_time(ctx, store, app_env):
    """Issue 17.7: the SAT protocol lived only in raw JSON in the audit; robot log lines carried UTC instants."""
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    baixar_fatura(ctx, store, processo, Decimal("10.00"), dt.date(2026, 12, 10))
    aprovacoes.aprovar(ctx, aprovador, processo.id, sha256=visto(ctx, processo.id))
    envio = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.UPLOAD_SAT)
    rodada_robos.registrar_rodada(ctx, logs={envio.id: "2026-12-02T13:00:05+00:00 INFO protocolo recebido"})
    processos.concluir_envio_sat(ctx, envio.id, {"protocolo": "SAT-7F3A9C", "job_id": "job-42"})
    at = ir(entrar("aprovador@beg.com.br"), "processo_detalhe", id=str(processo.id))
    campos = dict(zip(*at.dataframe[0].value.T.values, strict=True))
    assert campos["Protocolo SAT"] == "SAT-7F3A9C" and campos["Operadora"] == processo.cliente.operadora.codigo
    trilha = at.dataframe[1].value.set_index("Ação")
    assert trilha.loc["ENVIO_SAT_CONCLUIDO", "Detalhes"] == "Protocolo SAT: SAT-7F3A9C · Job do robô: job-42"
    assert "02/12/2026 10:00:05 INFO protocolo recebido" in at.code[0].value
