"""Asset ``faturas``: invoice downloads by the carrier robots for every process still waiting for one."""

import datetime as dt

import dagster as dg

from beg_pipeline.assets.metadados import LEGENDA_ROBOS, legenda, tabela
from beg_pipeline.assets.processos_mensais import processos_mensais
from beg_pipeline.domain.calendario import mes_ano_de_particao
from beg_pipeline.partitions import PARTICOES_PADRAO
from beg_pipeline.resources import ArmazenamentoResource, BancoResource, RoboResource
from beg_pipeline.services.acoes_processo import processo_da_run
from beg_pipeline.services.faturas_faltando import notificar_faturas_faltando
from beg_pipeline.services.notificacoes import notificar_vencimentos
from beg_pipeline.services.robos import baixar_faturas


@dg.asset(partitions_def=PARTICOES_PADRAO, group_name="ciclo_mensal", deps=[processos_mensais], kinds={"python"},
          description="Faturas do mês baixadas pelos robôs das operadoras: cada processo à espera de fatura vira um "
                      "job na API dos robôs (concorrência limitada); o PDF é conferido e guardado, e o processo "
                      "segue para aprovação. Rodar a partição de novo só trabalha o que falta e acompanha jobs já em "
                      "andamento. As linhas dos robôs, uma por linha, ficam na saída stdout da execução (aba de logs "
                      "brutos); os eventos trazem o andamento, as esperas por vaga e as falhas.",
          metadata=legenda({"mes_ano": "mês de referência (MM/AAAA)", **LEGENDA_ROBOS}))
def faturas(context: dg.AssetExecutionContext, banco: BancoResource, armazenamento: ArmazenamentoResource,
            robo: RoboResource) -> dg.MaterializeResult:
    """Download jobs with bounded concurrency, robot logs streamed into this run, PDFs verified and stored.

    Running the partition again drives only what is still pending, adopting jobs already in flight. A run tagged
    ``beg/processo`` ("baixar agora" in the app) handles only that process.
    """
    contexto = banco.contexto()
    mes_ano = mes_ano_de_particao(context.partition_key)
    hoje = dt.datetime.now(contexto.settings.tz).date()
    with robo.client() as client:
        resumo = baixar_faturas(contexto, armazenamento.store(), client, mes_ano, hoje=hoje, log=context.log.info,
                                processo_id=processo_da_run(context))
    notificar_vencimentos(contexto, mes_ano, hoje)
    notificar_faturas_faltando(contexto, mes_ano, hoje)
    return dg.MaterializeResult(metadata={"mes_ano": mes_ano, **resumo.metadados(),
                                          "processos": tabela(resumo.linhas)})
