"""Asset ``relatorio_mensal``: the month's summary as CSV and XLSX, shown as Markdown in the UI."""

import datetime as dt

import dagster as dg

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.partitions import PARTICOES_PADRAO
from beg_pipeline.resources import ArmazenamentoResource, BancoResource
from beg_pipeline.services.relatorios import armazenar_relatorio, gerar_relatorio


@dg.asset(partitions_def=PARTICOES_PADRAO, group_name="ciclo_mensal", deps=[envios_sat], kinds={"pandas"})
def relatorio_mensal(context: dg.AssetExecutionContext, banco: BancoResource,
                     armazenamento: ArmazenamentoResource) -> dg.MaterializeResult:
    """Per carrier and status, amounts, overdue and due soon, download success rate, failures by class."""
    contexto = banco.contexto()
    hoje = dt.datetime.now(contexto.settings.tz).date()
    relatorio = gerar_relatorio(contexto, mes_ano_de_particao(context.partition_key), hoje)
    chaves = armazenar_relatorio(relatorio, armazenamento.store())
    return dg.MaterializeResult(metadata={
        "resumo": dg.MetadataValue.md(relatorio.markdown()),
        "processos": len(relatorio.processos),
        "vencidas": relatorio.vencidas,
        "vencem_em_breve": relatorio.vencem_em_breve,
        "csv": chaves["csv"],
        "xlsx": chaves["xlsx"],
    })
