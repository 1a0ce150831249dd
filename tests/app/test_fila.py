"""Fila de aprovação page: flags and filters, approve, reject with a reason, bulk approval, four eyes, profiles."""

from __future__ import annotations

import pytest

from beg_pipeline.domain.perfis import Perfil, PermissaoNegada
from beg_pipeline.services import aprovacoes, auditoria, processos, upload_manual
from beg_pipeline.services.contexto import RegraViolada
from tests.app_fixtures import (
    botao,
    campo,
    entrar,
    fila_de_exemplo,
    ir,
    mensagens,
    rotulos,
    textos,
)
from tests.builders import visto, vistos


@pytest.fixture
def exemplo(ctx, store):
    return fila_de_exemplo(ctx, store)


def _acoes(ctx, processo_id) -> list[str]:
    with ctx.db.leitura() as s:
        return [a.acao for a in auditoria.trilha_do_processo(s, processo_id)]


def _status(ctx, processo_id) -> str:
    return processos.obter_processo(ctx, processo_id).status_processo


def _analisar(at, processo_id):
    campo(at, "Fatura em análise").set_value(processo_id).run()
    assert not at.exception, at.exception
    return at


def _selecionar_linhas(at, linhas: list[int]):
    tabela = at.dataframe[0]
    at.session_state[tabela.key] = {"selection": {"rows": linhas, "columns": [], "cells": []}}
    return at.run()


def test_queue_is_sorted_by_due_date_with_flags_and_filters(exemplo):
    at = ir(entrar("aprovador@beg.com.br"), "fila_aprovacao")
    tabela = at.dataframe[0].value
    p = exemplo["processos"]
    assert list(tabela["Cliente"]) == [p[0].cliente.razao_social, p[1].cliente.razao_social,
                                       *sorted([p[2].cliente.razao_social, p[3].cliente.razao_social]),
                                       p[4].cliente.razao_social]
    assert list(tabela["Situação"]) == ["● Vencida", "● Vence em breve", "● No prazo", "● No prazo", "● No prazo"]
    assert tabela["Sinais"][0] == "valor 895% acima da mediana (R$ 100,50)"
    assert list(tabela.columns)[:3] == ["Situação", "Sinais", "Cliente"]  # flags visible without scrolling
    assert list(tabela["Últimos valores"][0]) == [100.0, 101.0, 1000.0]
    assert all("PDF repetido" in s for s in tabela["Sinais"][2:4])
    assert "upload manual" in tabela["Sinais"][4]
    assert tabela["Valor"][0] == "R$ 1.000,00"
    metricas = {m.label: m.value for m in at.metric}
    assert metricas["Aguardando aprovação"] == "5" and metricas["Vencidas"] == "1"
    assert metricas["Vencem em até 3 dias úteis"] == "1"
    assert "Fatura vencida." in mensagens(at, "error")  # the soonest due invoice opens for analysis
    assert "Baixar PDF" in [b.label for b in at.get("download_button")]

    campo(at, "Operadora").set_value(p[2].cliente.operadora.codigo).run()
    assert set(at.dataframe[0].value["Operadora"]) == {p[2].cliente.operadora.codigo}
    campo(at, "Operadora").set_value("Todos").run()
    campo(at, "Cliente").input(p[1].cliente.razao_social[:12]).run()
    assert list(at.dataframe[0].value["Cliente"]) == [p[1].cliente.razao_social]
    campo(at, "Cliente").input("").run()
    campo(at, "Mês").set_value("10/2026").run()
    assert "Nenhuma fatura aguardando aprovação" in textos(at)


def test_approve_changes_the_process_once_even_with_two_approvers(ctx, exemplo):
    alvo = exemplo["processos"][1]
    aprovador = _analisar(ir(entrar("aprovador@beg.com.br"), "fila_aprovacao"), alvo.id)
    admin = _analisar(ir(entrar("administrador@beg.com.br"), "fila_aprovacao"), alvo.id)
    botao(aprovador, "Aprovar").click().run()
    assert any("aprovada" in m for m in mensagens(aprovador, "success"))
    assert alvo.cliente.razao_social not in list(aprovador.dataframe[0].value["Cliente"])
    botao(admin, "Aprovar").click().run()  # the same invoice, still on the other approver's screen
    assert not admin.exception and alvo.cliente.razao_social not in list(admin.dataframe[0].value["Cliente"])
    assert _status(ctx, alvo.id) == "AGUARDANDO_ENVIO_SAT"
    assert _acoes(ctx, alvo.id).count("APROVAR") == 1
    aprovador_id = exemplo["gente"][Perfil.APROVADOR].usuario_id
    assert processos.obter_processo(ctx, alvo.id).aprovado_por_usuario_id == aprovador_id


def test_reject_needs_a_reason(ctx, exemplo):
    alvo = exemplo["processos"][2]
    at = _analisar(ir(entrar("aprovador@beg.com.br"), "fila_aprovacao"), alvo.id)
    botao(at, "Rejeitar").click().run()
    assert any("motivo" in m for m in mensagens(at, "error"))
    assert _status(ctx, alvo.id) == "AGUARDANDO_APROVACAO"
    campo(at, "Motivo da rejeição").input("Fatura de outro cliente")
    botao(at, "Rejeitar").click().run()
    assert any("rejeitada" in m for m in mensagens(at, "success"))
    processo = processos.obter_processo(ctx, alvo.id)
    assert processo.status_processo == "AGUARDANDO_DOWNLOAD" and "Fatura de outro cliente" in processo.observacoes
    assert _acoes(ctx, alvo.id)[-1] == "REJEITAR"


def test_operador_never_sees_approval_controls_and_the_service_refuses_him(ctx, exemplo):
    at = ir(entrar("operador@beg.com.br"), "fila_aprovacao")
    assert len(at.dataframe[0].value) == 5
    assert not {"Aprovar", "Rejeitar"} & set(rotulos(at))
    assert not [b for b in rotulos(at) if b.startswith("Aprovar selecionadas")]
    assert any("não aprova nem rejeita" in m for m in mensagens(at, "info"))
    operador, alvo = exemplo["gente"][Perfil.OPERADOR], exemplo["processos"][1].id
    with pytest.raises(PermissaoNegada):
        aprovacoes.aprovar(ctx, operador, alvo, sha256=visto(ctx, alvo))
    with pytest.raises(PermissaoNegada):
        aprovacoes.aprovar_em_lote(ctx, operador, [alvo], sha256=vistos(ctx, [alvo]))
    with pytest.raises(PermissaoNegada):
        aprovacoes.rejeitar(ctx, operador, alvo, "motivo qualquer")
    assert _status(ctx, alvo) == "AGUARDANDO_APROVACAO"


def test_bulk_approval_asks_for_confirmation_and_reports_each_refusal(ctx, store, exemplo):
    p = exemplo["processos"]
    admin = exemplo["gente"][Perfil.ADMINISTRADOR]
    aprovacoes.rejeitar(ctx, admin, p[1].id, "para reenviar à mão")
    upload_manual.enviar_fatura_manual(ctx, admin, store, p[1].id, store.get(processos.obter_processo(ctx, p[1].id)
                                                                         .fatura_s3_key), "refeita.pdf")
    at = ir(entrar("administrador@beg.com.br"), "fila_aprovacao")
    clientes = list(at.dataframe[0].value["Cliente"])
    indice = {c: n for n, c in enumerate(clientes)}
    linhas = [indice[p[n].cliente.razao_social] for n in (0, 1, 4)]
    _selecionar_linhas(at, linhas)
    botao(at, "Aprovar selecionadas (3)").click().run()
    assert "Confirmar aprovação" in rotulos(at)
    botao(at, "Cancelar").click().run()
    assert "Confirmar aprovação" not in rotulos(at) and _status(ctx, p[0].id) == "AGUARDANDO_APROVACAO"

    botao(at, "Aprovar selecionadas (3)").click().run()
    botao(at, "Confirmar aprovação").click().run()
    assert "2 fatura(s) aprovada(s)." in mensagens(at, "success")
    assert any("quatro olhos" in m and p[1].cliente.razao_social in m for m in mensagens(at, "warning"))
    assert [_status(ctx, p[n].id) for n in (0, 1, 4)] == ["AGUARDANDO_ENVIO_SAT", "AGUARDANDO_APROVACAO",
                                                          "AGUARDANDO_ENVIO_SAT"]
    assert len(at.dataframe[0].value) == 3 and "Confirmar aprovação" not in rotulos(at)


def test_four_eyes_blocks_whoever_uploaded_the_invoice_by_hand(ctx, store, exemplo, monkeypatch):
    manual, admin = exemplo["processos"][4], exemplo["gente"][Perfil.ADMINISTRADOR]
    aprovacoes.rejeitar(ctx, admin, manual.id, "enviar de novo pelo admin")
    upload_manual.enviar_fatura_manual(ctx, admin, store, manual.id,
                                   store.get(processos.obter_processo(ctx, manual.id).fatura_s3_key), "refeita.pdf")
    at = _analisar(ir(entrar("administrador@beg.com.br"), "fila_aprovacao"), manual.id)
    assert botao(at, "Aprovar com justificativa").disabled  # the same PDF as the rejected one: a blocking signal too
    assert any("quatro olhos" in m for m in mensagens(at, "warning"))
    with pytest.raises(RegraViolada, match="quatro olhos"):
        aprovacoes.aprovar(ctx, admin, manual.id, sha256=visto(ctx, manual.id))

    monkeypatch.setenv("BEG_QUATRO_OLHOS", "false")
    at.run()
    assert any("já rejeitada por administrador@beg.com.br" in m and "enviar de novo pelo admin" in m
               for m in mensagens(at, "error"))
    campo(at, "Justificativa para aprovar mesmo assim").input("PDF conferido de novo: está certo").run()
    botao(at, "Aprovar com justificativa").click().run()
    assert _status(ctx, manual.id) == "AGUARDANDO_ENVIO_SAT"
