"""The way forward from each dead end, through the services and the real robot simulator: a scanned upload approved
with the approver's due date reaches SAT; corrections, undone approvals and manual "sent" marks are audited; a
cancelled or interrupted robot job ends CANCELADO at the robot and in the database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pytest
from pypdf import PdfWriter
from sqlalchemy import select

from beg_pipeline.db.models import Auditoria, Execucao
from beg_pipeline.domain.execucao import TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil, PermissaoNegada
from beg_pipeline.domain.processo import TransicaoInvalida
from beg_pipeline.rpa.contrato import PedidoDownload, RpaClient
from beg_pipeline.rpa.simulador import Simulador
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import acoes_processo, aprovacoes, processos, robos, rodada_robos, upload_manual
from beg_pipeline.services.contexto import Contexto, RegraViolada
from beg_pipeline.settings import Settings
from beg_pipeline.storage.factory import object_store_from_settings
from tests.builders import baixar, mes_com_processos, pessoa, visto, vistos
from tests.pipeline_fixtures import RAPIDO

LENTO = RAPIDO.model_copy(update={"latencia_s": 120.0, "jitter_s": 0.0})  # jobs stay RUNNING for the whole test
VENCIMENTO = dt.date(2026, 12, 20)


@pytest.fixture
def settings(tmp_path, secret_key, database_url) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, secret_key=secret_key,
                    rpa_poll_interval_s=0.05, rpa_retry_backoff_s=0.0, _env_file=None)


@pytest.fixture
def gente(ctx):
    return {perfil: pessoa(ctx, perfil, f"{perfil.value.lower()}@beg.com.br")
            for perfil in (Perfil.ADMINISTRADOR, Perfil.APROVADOR, Perfil.OPERADOR)}


def pdf_digitalizado() -> bytes:
    """A scan: a valid PDF with no text, so neither amount nor due date can be read."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    saida = io.BytesIO()
    writer.write(saida)
    return saida.getvalue()


def trilha(ctx, processo_id, acao: str) -> list[Auditoria]:
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Auditoria).where(Auditoria.processo_id == processo_id, Auditoria.acao == acao)))


def execucoes(ctx, processo_id, tipo: TipoExecucao) -> list[Execucao]:
    return [e for e in processos.execucoes_do_processo(ctx, processo_id) if e.tipo_execucao == tipo.value]


def _enviar_ao_sat(ctx, sim: Simulador) -> robos.ResumoRobos:
    with RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
        return robos.enviar_ao_sat(ctx, client, "11/2026", log=lambda _: None)


def test_scanned_upload_gets_its_due_date_from_the_approver_and_reaches_sat(ctx, gente):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    store = object_store_from_settings(ctx.settings)
    upload_manual.enviar_fatura_manual(ctx, gente[Perfil.OPERADOR], store, processo.id, pdf_digitalizado(), "scan.pdf")
    lido = processos.obter_processo(ctx, processo.id)
    assert lido.data_vencimento is None and lido.valor_fatura is None

    aprovador = gente[Perfil.APROVADOR]
    with pytest.raises(RegraViolada, match="sem o valor e o vencimento"):
        aprovacoes.aprovar(ctx, aprovador, processo.id, sha256=visto(ctx, processo.id))
    lote = aprovacoes.aprovar_em_lote(ctx, aprovador, [processo.id], sha256=vistos(ctx, [processo.id]))
    assert not lote.aprovados and "vencimento" in lote.recusados[0][1]
    with pytest.raises(RegraViolada, match="vencimento"):
        aprovacoes.aprovar(ctx, aprovador, processo.id, valor=Decimal("87.40"), sha256=visto(ctx, processo.id))
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_APROVACAO"

    aprovacoes.aprovar(ctx, aprovador, processo.id, valor=Decimal("87.40"), vencimento=VENCIMENTO,
                       sha256=visto(ctx, processo.id))
    aprovado = processos.obter_processo(ctx, processo.id)
    assert (aprovado.status_processo, aprovado.valor_fatura, aprovado.data_vencimento) == (
        "AGUARDANDO_ENVIO_SAT", Decimal("87.40"), VENCIMENTO)
    [registro] = trilha(ctx, processo.id, "APROVAR")
    assert registro.detalhes["informado_na_aprovacao"] == {"valor_fatura": "87.40", "data_vencimento": "2026-12-20"}

    with Simulador(RAPIDO, ctx.settings) as sim:
        resumo = _enviar_ao_sat(ctx, sim)
        assert resumo.concluidos == 1 and resumo.pendentes == 0
        assert sim.submissoes_por_processo == {f"SAT/{processo.id}": 1}
    assert processos.obter_processo(ctx, processo.id).status_processo == "UPLOAD_REALIZADO"


def test_correction_is_audited_with_its_reason_until_the_sat_job_starts(ctx, gente):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    baixar(ctx, processo.id)
    aprovador = gente[Perfil.APROVADOR]
    with pytest.raises(PermissaoNegada):
        acoes_processo.corrigir_fatura(ctx, gente[Perfil.OPERADOR], processo.id, Decimal("1"), VENCIMENTO, "motivo x")
    with pytest.raises(ValueError, match="motivo da correção"):
        acoes_processo.corrigir_fatura(ctx, aprovador, processo.id, Decimal("99.90"), VENCIMENTO, " ")
    with pytest.raises(RegraViolada, match="maior que zero"):
        acoes_processo.corrigir_fatura(ctx, aprovador, processo.id, Decimal("0"), VENCIMENTO, "valor da 2ª via")

    acoes_processo.corrigir_fatura(ctx, aprovador, processo.id, Decimal("99.90"), VENCIMENTO, "valor da 2ª via")
    corrigido = processos.obter_processo(ctx, processo.id)
    assert (corrigido.valor_fatura, corrigido.data_vencimento, corrigido.status_processo) == (
        Decimal("99.90"), VENCIMENTO, "AGUARDANDO_APROVACAO")
    [registro] = trilha(ctx, processo.id, "CORRIGIR_FATURA")
    assert registro.detalhes == {"motivo": "valor da 2ª via",
                                 "antes": {"valor_fatura": "1234.56", "data_vencimento": "2026-12-10"},
                                 "depois": {"valor_fatura": "99.90", "data_vencimento": "2026-12-20"}}
    assert registro.usuario_id == aprovador.usuario_id

    with pytest.raises(RegraViolada, match="Corrigir valor e vencimento"):  # approving is not correcting
        aprovacoes.aprovar(ctx, aprovador, processo.id, valor=Decimal("1.00"), sha256=visto(ctx, processo.id))
    aprovacoes.aprovar(ctx, aprovador, processo.id, valor=Decimal("99.90"),  # the same amount: nothing to correct
                       sha256=visto(ctx, processo.id))
    processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.UPLOAD_SAT)
    with pytest.raises(RegraViolada, match="já começou"):
        acoes_processo.corrigir_fatura(ctx, aprovador, processo.id, Decimal("1.00"), VENCIMENTO, "tarde demais")
    assert processos.obter_processo(ctx, processo.id).valor_fatura == Decimal("99.90")
    assert len(trilha(ctx, processo.id, "CORRIGIR_FATURA")) == 1


def test_an_approval_can_be_undone_until_its_sat_job_starts(ctx, gente):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    baixar(ctx, processo.id)
    aprovador = gente[Perfil.APROVADOR]
    with pytest.raises(TransicaoInvalida):
        acoes_processo.desfazer_aprovacao(ctx, aprovador, processo.id, "ainda não aprovada")
    aprovacoes.aprovar(ctx, aprovador, processo.id, sha256=visto(ctx, processo.id))
    with pytest.raises(PermissaoNegada):
        acoes_processo.desfazer_aprovacao(ctx, gente[Perfil.OPERADOR], processo.id, "não posso")

    acoes_processo.desfazer_aprovacao(ctx, aprovador, processo.id, "aprovei o mês errado")
    desfeito = processos.obter_processo(ctx, processo.id)
    assert desfeito.status_processo == "AGUARDANDO_APROVACAO" and desfeito.aprovado_por_usuario_id is None
    [registro] = trilha(ctx, processo.id, "DESFAZER_APROVACAO")
    assert registro.detalhes["motivo"] == "aprovei o mês errado"
    assert registro.detalhes["aprovado_por"] == str(aprovador.usuario_id)

    aprovacoes.aprovar(ctx, gente[Perfil.ADMINISTRADOR], processo.id, sha256=visto(ctx, processo.id))
    processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.UPLOAD_SAT)
    with pytest.raises(RegraViolada, match="já começou"):
        acoes_processo.desfazer_aprovacao(ctx, aprovador, processo.id, "tarde demais")
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_ENVIO_SAT"
    assert len(trilha(ctx, processo.id, "DESFAZER_APROVACAO")) == 1


def test_marked_as_sent_by_hand_keeps_the_protocol_and_the_robot_never_sends_it(ctx, gente):
    enviado, outro = mes_com_processos(ctx, n_clientes=2)
    aprovador = gente[Perfil.APROVADOR]
    for p in (enviado, outro):
        baixar(ctx, p.id)
        aprovacoes.aprovar(ctx, aprovador, p.id, sha256=visto(ctx, p.id))
    with pytest.raises(RegraViolada, match="protocolo"):
        acoes_processo.marcar_enviado_sat(ctx, aprovador, enviado.id, " ", "enviado pelo portal do SAT")
    with pytest.raises(ValueError, match="motivo"):
        acoes_processo.marcar_enviado_sat(ctx, aprovador, enviado.id, "SAT-123", "")

    acoes_processo.marcar_enviado_sat(ctx, aprovador, enviado.id, "SAT-123", "enviado pelo portal do SAT")
    final = processos.obter_processo(ctx, enviado.id)
    assert final.status_processo == "UPLOAD_REALIZADO" and final.enviado_para_sat and final.data_envio_sat
    [execucao] = execucoes(ctx, enviado.id, TipoExecucao.UPLOAD_SAT)
    assert execucao.status_execucao == "CONCLUIDO" and execucao.executado_por_usuario_id == aprovador.usuario_id
    assert execucao.resultado_saida["protocolo"] == "SAT-123" and execucao.resultado_saida["manual"] is True
    [registro] = trilha(ctx, enviado.id, "MARCAR_ENVIADO_SAT")
    assert registro.detalhes == {"motivo": "enviado pelo portal do SAT", "protocolo": "SAT-123"}
    with pytest.raises(TransicaoInvalida, match="já está em UPLOAD_REALIZADO"):
        acoes_processo.marcar_enviado_sat(ctx, aprovador, enviado.id, "SAT-123", "clique repetido")

    with Simulador(RAPIDO, ctx.settings) as sim:
        _enviar_ao_sat(ctx, sim)
        assert sim.submissoes_por_processo == {f"SAT/{outro.id}": 1}


def _submeter_download(ctx: Contexto, client: RpaClient, processo) -> Execucao:
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    cliente = processo.cliente
    pedido = PedidoDownload(login=cliente.login_portal, senha=ctx.cofre.decifrar(cliente.senha_portal),
                            filtro=cliente.filtro, cnpj=cliente.cnpj, processo_id=str(processo.id))
    aceito = client.submeter_download(cliente.operadora.codigo, pedido)
    rodada_robos.registrar_job(ctx, execucao.id, aceito.job_id)
    return processos.execucoes_do_processo(ctx, processo.id)[-1]


def test_a_cancelled_job_is_cancelled_at_the_robot_and_its_execution_ends_cancelado(ctx, gente):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    operador = gente[Perfil.OPERADOR]
    with Simulador(LENTO, ctx.settings) as sim, RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
        execucao = _submeter_download(ctx, client, processo)
        with pytest.raises(PermissaoNegada):
            acoes_processo.cancelar_job(ctx, gente[Perfil.APROVADOR], execucao.id, "portal fora do ar", client)
        with pytest.raises(ValueError, match="motivo do cancelamento"):
            acoes_processo.cancelar_job(ctx, operador, execucao.id, "", client)

        acoes_processo.cancelar_job(ctx, operador, execucao.id, "portal fora do ar", client)
        assert sim.jobs[execucao.job_id].status == "CANCELLED"
        with pytest.raises(RegraViolada, match="já terminou"):
            acoes_processo.cancelar_job(ctx, operador, execucao.id, "clique repetido", client)
    [fechada] = execucoes(ctx, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    assert fechada.status_execucao == "CANCELADO" and fechada.data_fim is not None
    assert "portal fora do ar" in fechada.detalhes_erro["mensagem"]
    [registro] = trilha(ctx, processo.id, "DOWNLOAD_FATURA_CANCELADO")
    assert registro.usuario_id == operador.usuario_id
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_DOWNLOAD"  # retryable


def test_an_interrupted_batch_cancels_its_jobs_in_flight(ctx):
    procs = mes_com_processos(ctx, n_clientes=3)
    with Simulador(LENTO, ctx.settings) as sim, RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
        def dormir(_segundos: float) -> None:
            if sim.contar("RUNNING") + sim.contar("PENDING") == len(procs) and all(
                    e.job_id for p in procs for e in execucoes(ctx, p.id, TipoExecucao.DOWNLOAD_FATURA)):
                raise KeyboardInterrupt  # what a terminated Dagster run raises in the step
        with pytest.raises(KeyboardInterrupt):
            robos.baixar_faturas(ctx, object_store_from_settings(ctx.settings), client, "11/2026",
                                 hoje=dt.date(2026, 12, 1), log=lambda _: None, dormir=dormir)
        assert sim.contar("RUNNING") + sim.contar("PENDING") == 0
        assert sim.contar("CANCELLED") == len(procs)
    finais = [e.status_execucao for p in procs for e in execucoes(ctx, p.id, TipoExecucao.DOWNLOAD_FATURA)]
    assert finais == ["CANCELADO"] * len(procs)


def test_a_one_process_run_touches_only_that_process(ctx):
    alvo, *outros = mes_com_processos(ctx, n_clientes=3)
    with Simulador(RAPIDO, ctx.settings) as sim, RpaClient(sim.base_url, rpa_token(ctx.settings)) as client:
        resumo = robos.baixar_faturas(ctx, object_store_from_settings(ctx.settings), client, "11/2026",
                                      hoje=dt.date(2026, 12, 1), log=lambda _: None, processo_id=alvo.id)
        assert resumo.concluidos == 1 and dict(sim.submissoes_por_processo) == {str(alvo.id): 1}
    assert processos.obter_processo(ctx, alvo.id).status_processo == "AGUARDANDO_APROVACAO"
    assert {processos.obter_processo(ctx, p.id).status_processo for p in outros} == {"AGUARDANDO_DOWNLOAD"}


def test_run_now_says_so_when_the_dagster_webserver_is_not_reachable(ctx, gente):
    processo = mes_com_processos(ctx, n_clientes=1)[0]
    fora = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={"dagster_url": "http://127.0.0.1:9"}))
    with pytest.raises(acoes_processo.DagsterIndisponivel, match=r"Dagster em http://127\.0\.0\.1:9 não iniciou"):
        acoes_processo.executar_agora(fora, gente[Perfil.OPERADOR], processo.id, acoes_processo.Etapa.BAIXAR)
    with pytest.raises(RegraViolada, match="AGUARDANDO_ENVIO_SAT"):
        acoes_processo.executar_agora(fora, gente[Perfil.OPERADOR], processo.id, acoes_processo.Etapa.ENVIAR_SAT)
    with pytest.raises(PermissaoNegada):
        acoes_processo.executar_agora(fora, gente[Perfil.APROVADOR], processo.id, acoes_processo.Etapa.BAIXAR)
    assert trilha(ctx, processo.id, "EXECUTAR_AGORA_BAIXAR") == []
