"""Asset ``processos_mensais``: the month's process for every active client."""

import dagster as dg

from beg_pipeline.assets.metadados import legenda, tabela
from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.domain.perfis import SISTEMA
from beg_pipeline.partitions import PARTICOES_PADRAO
from beg_pipeline.resources import BancoResource
from beg_pipeline.services.processos import criar_processos_do_mes


@dg.asset(partitions_def=PARTICOES_PADRAO, group_name="ciclo_mensal", kinds={"sql"},
          description="Processos do mês: um por cliente ativo de operadora ativa (rodar de novo não duplica).",
          metadata=legenda({
              "mes_ano": "mês de referência (MM/AAAA)",
              "criados": "processos abertos nesta execução (quantidade)",
              "ja_existentes": "processos que já existiam para o mês (quantidade)",
              "ignorados": "clientes sem processo: inativos ou de operadora inativa (quantidade)",
              "processos": "tabela: um processo por linha",
          }))
def processos_mensais(context: dg.AssetExecutionContext, banco: BancoResource) -> dg.MaterializeResult:
    """Opens the month's processo for every active client of an active carrier (idempotent)."""
    mes_ano = mes_ano_de_particao(context.partition_key)
    resumo = criar_processos_do_mes(banco.contexto(), SISTEMA, mes_ano)
    context.log.info(f"{mes_ano}: {resumo.criados} criados, {resumo.ja_existentes} já existiam, "
                     f"{resumo.ignorados} ignorados")
    return dg.MaterializeResult(metadata={
        "mes_ano": mes_ano,
        "criados": resumo.criados,
        "ja_existentes": resumo.ja_existentes,
        "ignorados": resumo.ignorados,
        "processos": tabela(resumo.linhas),
    })
