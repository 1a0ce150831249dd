"""Visão mensal page: counts by status and carrier, amounts, due dates, download success rate, report files."""

from __future__ import annotations

from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA
from beg_pipeline.services import processos, relatorios
from tests.app_fixtures import campo, entrar, fila_de_exemplo, hoje, ir, textos
from tests.builders import MES, mes_com_processos


def test_month_summary_chart_risks_and_report_files(ctx, store):
    exemplo = fila_de_exemplo(ctx, store)
    extra = mes_com_processos(ctx, n_clientes=6)[-1]  # a sixth client whose download failed
    execucao = processos.abrir_execucao(ctx, SISTEMA, extra.id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, "senha recusada", ClasseFalha.CREDENCIAIS)
    relatorios.armazenar_relatorio(relatorios.gerar_relatorio(ctx, MES, hoje()), store)

    at = ir(entrar("aprovador@beg.com.br"), "visao_mensal")
    assert campo(at, "Mês").value == MES
    metricas = {m.label: m.value for m in at.metric}
    assert metricas == {"Processos": "6", "Valor total": "R$ 1.930,00", "Vencidas": "1",
                        "Vencem em até 3 dias úteis": "1", "Sucesso dos downloads": "80%"}
    assert at.get("vega_lite_chart"), "o gráfico por operadora e situação"
    por_operadora = at.dataframe[0].value
    assert "Aguardando aprovação" in por_operadora.columns and "Valor total" in por_operadora.columns
    riscos = at.dataframe[1].value
    assert list(riscos["Cliente"]) == [exemplo["processos"][n].cliente.razao_social for n in (0, 1)]
    assert list(riscos["Prazo"]) == ["Vencida", "Vence em breve"]
    assert dict(zip(*at.dataframe[2].value.T.values, strict=True)) == {"CREDENCIAIS": 1}
    assert [b.label for b in at.get("download_button")] == ["Baixar relatório (CSV)", "Baixar relatório (XLSX)"]

    campo(at, "Mês").set_value("10/2026").run()
    assert {m.label: m.value for m in at.metric}["Processos"] == "5"
    assert "O relatório deste mês ainda não foi gerado" in textos(at)
