"""Every dead end has a way forward in the app, by profile: the approver supplies a scanned invoice's due date,
corrects an invoice, undoes an approval, marks it sent to SAT by hand; the operator cancels a robot job and is told
when Dagster is not reachable. Each action lands in the audit trail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from beg_pipeline.db.models import Auditoria
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.rpa.simulador import Simulador
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import aprovacoes, processos, upload_manual
from tests.app_fixtures import baixar_fatura, botao, campo, entrar, ir, mensagens, rotulos
from tests.builders import mes_com_processos, pessoa, visto
from tests.servicos.test_acoes_processo import LENTO, _submeter_download, pdf_digitalizado

VENCIMENTO = dt.date(2026, 12, 20)


@pytest.fixture
def gente(ctx, app_env):
    return {perfil: pessoa(ctx, perfil, f"{perfil.value.lower()}@beg.com.br")
            for perfil in (Perfil.ADMINISTRADOR, Perfil.APROVADOR, Perfil.OPERADOR)}


def _acoes(ctx, processo_id) -> dict[str, dict]:
    with ctx.db.leitura() as s:
        return {a.acao: a.detalhes for a in s.scalars(select(Auditoria).where(Auditoria.processo_id == processo_id))}


def _data(at, rotulo: str):
    [widget] = [d for d in at.date_input if d.label == rotulo]
    return widget


def test_the_approver_supplies_a_scanned_invoices_amount_and_due_date(ctx, store, gente):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    upload_manual.enviar_fatura_manual(ctx, gente[Perfil.OPERADOR], store, processo.id, pdf_digitalizado(), "scan.pdf")
    at = ir(entrar("aprovador@beg.com.br"), "fila_aprovacao")
    assert any("sem valor ou vencimento" in m for m in mensagens(at, "warning"))
    campo(at, "Valor da fatura (R$)").set_value(87.4)
    botao(at, "Aprovar").click().run()
    assert any("sem o vencimento" in m for m in mensagens(at, "error"))
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_APROVACAO"

    _data(at, "Vencimento da fatura").set_value(VENCIMENTO)
    botao(at, "Aprovar").click().run()
    assert not at.exception, at.exception
    assert any("aprovada" in m for m in mensagens(at, "success"))
    aprovado = processos.obter_processo(ctx, processo.id)
    assert (aprovado.status_processo, aprovado.valor_fatura, aprovado.data_vencimento) == (
        "AGUARDANDO_ENVIO_SAT", Decimal("87.40"), VENCIMENTO)
    assert _acoes(ctx, processo.id)["APROVAR"]["informado_na_aprovacao"]["data_vencimento"] == "2026-12-20"


def test_correct_undo_and_mark_sent_from_the_process_page_are_audited(ctx, store, gente):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    baixar_fatura(ctx, store, processo, Decimal("500.00"), dt.date(2026, 12, 5))
    aprovacoes.aprovar(ctx, gente[Perfil.APROVADOR], processo.id, sha256=visto(ctx, processo.id))
    operador = ir(entrar("operador@beg.com.br"), "processo_detalhe", id=str(processo.id))
    assert not {"Salvar correção", "Desfazer aprovação", "Marcar como enviada"} & set(rotulos(operador))

    at = ir(entrar("aprovador@beg.com.br"), "processo_detalhe", id=str(processo.id))
    assert "Baixar agora" not in rotulos(at) and "Enviar ao SAT agora" not in rotulos(at)
    campo(at, "Valor (R$)").set_value(512.3)
    _data(at, "Vencimento").set_value(VENCIMENTO)
    botao(at, "Salvar correção").click().run()
    assert any("motivo da correção" in m for m in mensagens(at, "error"))
    campo(at, "Valor (R$)").set_value(512.3)
    _data(at, "Vencimento").set_value(VENCIMENTO)
    campo(at, "Motivo da correção").input("segunda via com juros")
    botao(at, "Salvar correção").click().run()
    assert "Fatura corrigida." in mensagens(at, "success")
    corrigido = processos.obter_processo(ctx, processo.id)
    assert (corrigido.valor_fatura, corrigido.data_vencimento) == (Decimal("512.30"), VENCIMENTO)

    campo(at, "Motivo para desfazer").input("aprovada por engano")
    botao(at, "Desfazer aprovação").click().run()
    assert any("Aprovação desfeita" in m for m in mensagens(at, "success"))
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_APROVACAO"

    aprovacoes.aprovar(ctx, gente[Perfil.ADMINISTRADOR], processo.id, sha256=visto(ctx, processo.id))
    at = ir(at, "processo_detalhe", id=str(processo.id))
    campo(at, "Protocolo do SAT").input("SAT-2026-0042")
    campo(at, "Motivo da marcação").input("enviada no portal do SAT pela equipe")
    botao(at, "Marcar como enviada").click().run()
    assert "Processo marcado como enviado ao SAT." in mensagens(at, "success")
    assert processos.obter_processo(ctx, processo.id).status_processo == "UPLOAD_REALIZADO"
    acoes = _acoes(ctx, processo.id)
    assert acoes["CORRIGIR_FATURA"]["motivo"] == "segunda via com juros"
    assert acoes["DESFAZER_APROVACAO"]["motivo"] == "aprovada por engano"
    assert acoes["MARCAR_ENVIADO_SAT"] == {"motivo": "enviada no portal do SAT pela equipe",
                                           "protocolo": "SAT-2026-0042"}


def test_the_operator_cancels_a_robot_job_and_sees_it_cancelled(ctx, gente, monkeypatch):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    with Simulador(LENTO, ctx.settings) as sim, RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
        monkeypatch.setenv("BEG_RPA_URL", sim.base_url)
        execucao = _submeter_download(ctx, client, processo)
        at = ir(entrar("operador@beg.com.br"), "processo_detalhe", id=str(processo.id))
        campo(at, "Motivo do cancelamento").input("cliente pediu para aguardar")
        botao(at, "Cancelar o job do robô").click().run()
        assert not at.exception, at.exception
        assert any("Job cancelado" in m for m in mensagens(at, "success"))
        assert sim.jobs[execucao.job_id].status == "CANCELLED"
    assert any("Cancelada" in e.label for e in at.expander)
    assert "Cancelar o job do robô" not in rotulos(at)
    assert _acoes(ctx, processo.id)["DOWNLOAD_FATURA_CANCELADO"]["job_id"] == execucao.job_id


def test_run_now_tells_the_operator_when_dagster_is_not_reachable(ctx, gente, monkeypatch):
    monkeypatch.setenv("BEG_DAGSTER_URL", "http://127.0.0.1:9")
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    at = ir(entrar("operador@beg.com.br"), "processo_detalhe", id=str(processo.id))
    botao(at, "Baixar agora").click().run()
    [erro] = mensagens(at, "error")
    assert "Dagster em http://127.0.0.1:9 não iniciou" in erro and "BEG_DAGSTER_URL" in erro
