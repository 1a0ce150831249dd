"""Asset ``relatorio_mensal``: the month's summary as CSV and XLSX, shown as Markdown in the UI."""

import datetime as dt

import dagster as dg

from beg_pipeline.assets.envios_sat import envios_sat
from beg_pipeline.assets.metadados import legenda
from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.partitions import PARTICOES_PADRAO
from beg_pipeline.resources import ArmazenamentoResource, BancoResource
from beg_pipeline.services.relatorios import armazenar_relatorio, gerar_relatorio

VALIDADE_LINK_S = 7 * 24 * 3600  # the longest a presigned S3 link may live


@dg.asset(partitions_def=PARTICOES_PADRAO, group_name="ciclo_mensal", deps=[envios_sat], kinds={"pandas"},
          description="Relatório do mês em CSV e XLSX: por operadora e status, valores (R$), vencidas, a vencer, "
                      "taxa de sucesso dos downloads e falhas por classe.",
          metadata=legenda({
              "resumo": "o relatório em tabela",
              "processos": "processos do mês (quantidade)",
              "vencidas": "faturas vencidas e não enviadas ao SAT (quantidade)",
              "vencem_em_breve": "faturas que vencem nos próximos dias (quantidade)",
              "csv / xlsx": "links para baixar as planilhas (no S3 valem 7 dias; rode de novo para um novo link)",
              "chave_csv / chave_xlsx": "onde as planilhas ficam no armazenamento",
          }))
def relatorio_mensal(context: dg.AssetExecutionContext, banco: BancoResource,
                     armazenamento: ArmazenamentoResource) -> dg.MaterializeResult:
    """Per carrier and status, amounts, overdue and due soon, download success rate, failures by class."""
    contexto = banco.contexto()
    hoje = dt.datetime.now(contexto.settings.tz).date()
    relatorio = gerar_relatorio(contexto, mes_ano_de_particao(context.partition_key), hoje)
    store = armazenamento.store()
    chaves = armazenar_relatorio(relatorio, store)
    return dg.MaterializeResult(metadata={
        "resumo": dg.MetadataValue.md(relatorio.markdown()),
        "processos": len(relatorio.processos),
        "vencidas": relatorio.vencidas,
        "vencem_em_breve": relatorio.vencem_em_breve,
        "csv": dg.MetadataValue.url(store.url(chaves["csv"], VALIDADE_LINK_S)),
        "xlsx": dg.MetadataValue.url(store.url(chaves["xlsx"], VALIDADE_LINK_S)),
        "chave_csv": dg.MetadataValue.path(chaves["csv"]),
        "chave_xlsx": dg.MetadataValue.path(chaves["xlsx"]),
    })
